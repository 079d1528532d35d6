package matching

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/relevance"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
)

// labelledSet is testdata/labelled.json: achievements, demands, and for
// each demand the graded relevance of achievements (2 solves it, 1
// related; unlisted 0).
type labelledSet struct {
	Achievements []labelledAchievement `json:"achievements"`
	Demands      []labelledDemand      `json:"demands"`
}

type labelledAchievement struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Summary        string   `json:"summary"`
	Industry       string   `json:"industry"`
	Keywords       []string `json:"keywords"`
	Maturity       string   `json:"maturity"`
	TransferModes  []string `json:"transfer_modes"`
	AskingPriceFen int64    `json:"asking_price_fen"`
	RegionCode     string   `json:"region_code"`
}

type labelledDemand struct {
	ID               string         `json:"id"`
	Title            string         `json:"title"`
	Description      string         `json:"description"`
	Industry         string         `json:"industry"`
	Keywords         []string       `json:"keywords"`
	CooperationModes []string       `json:"cooperation_modes"`
	BudgetMinFen     int64          `json:"budget_min_fen"`
	BudgetMaxFen     int64          `json:"budget_max_fen"`
	RegionCode       string         `json:"region_code"`
	Relevant         map[string]int `json:"relevant"`
}

var published = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func (a labelledAchievement) doc() search.Document {
	return search.Document{
		ID: a.ID, Kind: search.KindAchievement, OrgID: "org-" + a.ID, Title: a.Title, Keywords: a.Keywords,
		Body: a.Summary, Industry: a.Industry, Modes: a.TransferModes, Maturity: a.Maturity,
		RegionCode: a.RegionCode, PriceFen: a.AskingPriceFen, PublishedAt: published,
	}
}

func (d labelledDemand) doc() search.Document {
	return search.Document{
		ID: d.ID, Kind: search.KindDemand, OrgID: "org-" + d.ID, Title: d.Title, Keywords: d.Keywords,
		Body: d.Description, Industry: d.Industry, Modes: d.CooperationModes, RegionCode: d.RegionCode,
		BudgetMinFen: d.BudgetMinFen, BudgetMaxFen: d.BudgetMaxFen, PublishedAt: published,
	}
}

func loadLabelled(t testing.TB) labelledSet {
	t.Helper()
	b, err := os.ReadFile("testdata/labelled.json")
	if err != nil {
		t.Fatal(err)
	}
	var set labelledSet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("labelled.json: %v", err)
	}
	return set
}

// labelledEngine indexes the whole set in an in-memory bleve engine.
func labelledEngine(t testing.TB, set labelledSet) search.Engine {
	t.Helper()
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	var docs []search.Document
	for _, a := range set.Achievements {
		docs = append(docs, a.doc())
	}
	for _, d := range set.Demands {
		docs = append(docs, d.doc())
	}
	if err := eng.Upsert(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return eng
}

// figures are mean nDCG@10 and recall@10 over the queries of one run.
type figures struct{ ndcg, recall float64 }

func (f figures) String() string {
	return fmt.Sprintf("nDCG@10 %.3f  recall@10 %.3f", f.ndcg, f.recall)
}

// evaluate averages the metrics of rank over the queries, each with its
// judgements.
func evaluate(t testing.TB, queries []search.Document, judged map[string]map[string]int, rank func(search.Document) []string) (figures, map[string]float64) {
	t.Helper()
	var f figures
	per := map[string]float64{}
	n := 0
	for _, q := range queries {
		j := judged[q.ID]
		if len(j) == 0 {
			continue
		}
		ranked := rank(q)
		nd := relevance.NDCG(ranked, j, 10)
		per[q.ID] = nd
		f.ndcg += nd
		f.recall += relevance.Recall(ranked, j, 10)
		n++
	}
	f.ndcg /= float64(n)
	f.recall /= float64(n)
	return f, per
}

func matchRanker(t testing.TB, eng search.Engine, w weights) func(search.Document) []string {
	return func(src search.Document) []string {
		ms, err := match(context.Background(), eng, src, 10, w, Options{})
		if err != nil {
			t.Fatalf("Match(%s): %v", src.ID, err)
		}
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		return ids
	}
}

// textRanker is the baseline: the engine's MatchAny search on the title
// and keywords, nothing else.
func textRanker(t testing.TB, eng search.Engine) func(search.Document) []string {
	return func(src search.Document) []string {
		other := search.KindAchievement
		if src.Kind == search.KindAchievement {
			other = search.KindDemand
		}
		res, err := eng.Search(context.Background(), search.Query{
			Kind: other, Text: src.Title + " " + strings.Join(src.Keywords, " "), MatchAny: true, Limit: 10,
		})
		if err != nil {
			t.Fatalf("Search(%s): %v", src.ID, err)
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		return ids
	}
}

// TestMatchQuality measures the matcher on the labelled set in both
// directions and guards against regressions. The floors sit a little under
// the figures reached when they were set (docs/matching.md).
func TestMatchQuality(t *testing.T) {
	set := loadLabelled(t)
	if len(set.Achievements) < 40 || len(set.Demands) < 30 {
		t.Fatalf("labelled set too small: %d achievements, %d demands", len(set.Achievements), len(set.Demands))
	}
	eng := labelledEngine(t, set)

	var demands, achievements []search.Document
	forward := map[string]map[string]int{}  // demand -> achievement -> grade
	backward := map[string]map[string]int{} // achievement -> demand -> grade
	for _, d := range set.Demands {
		demands = append(demands, d.doc())
		forward[d.ID] = d.Relevant
		for a, g := range d.Relevant {
			if backward[a] == nil {
				backward[a] = map[string]int{}
			}
			backward[a][d.ID] = g
		}
	}
	for _, a := range set.Achievements {
		achievements = append(achievements, a.doc())
	}

	base, _ := evaluate(t, demands, forward, textRanker(t, eng))
	got, per := evaluate(t, demands, forward, matchRanker(t, eng, defaultWeights))
	baseBack, _ := evaluate(t, achievements, backward, textRanker(t, eng))
	gotBack, _ := evaluate(t, achievements, backward, matchRanker(t, eng, defaultWeights))
	t.Logf("demand → achievements (%d queries): baseline text search %v; Match %v", len(forward), base, got)
	t.Logf("achievement → demands (%d queries): baseline text search %v; Match %v", len(backward), baseBack, gotBack)

	// Ablations: what each signal adds (logged, not asserted).
	without := func(zero func(*weights)) weights {
		w := defaultWeights
		zero(&w)
		return w
	}
	for _, ab := range []struct {
		name string
		w    weights
	}{
		{"text relevance only", weights{text: 1}},
		{"shared terms only", weights{shared: 1}},
		{"without text relevance", without(func(w *weights) { w.text = 0 })},
		{"without shared terms", without(func(w *weights) { w.shared = 0 })},
		{"without industry", without(func(w *weights) { w.industry = 0 })},
		{"without modes/price/maturity", without(func(w *weights) { w.modes, w.price, w.maturity = 0, 0, 0 })},
	} {
		f, _ := evaluate(t, demands, forward, matchRanker(t, eng, ab.w))
		t.Logf("  ablation %-30s %v", ab.name, f)
	}
	if testing.Verbose() {
		ids := make([]string, 0, len(per))
		for id := range per {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			t.Logf("  %s nDCG@10 %.3f", id, per[id])
		}
	}

	for _, c := range []struct {
		name             string
		got, base        figures
		floorN, floorRec float64
	}{
		// Reached when set: 0.953 / 0.919 and 0.893 / 0.894; on 2026-12-02,
		// with fillers cut from bodies and the context gated by shared
		// terms, 0.954 / 0.919 and 0.897 / 0.894.
		{"demand → achievements", got, base, 0.92, 0.89},
		{"achievement → demands", gotBack, baseBack, 0.87, 0.86},
	} {
		if c.got.ndcg < c.floorN || c.got.recall < c.floorRec {
			t.Errorf("%s: %v fell below the floor nDCG@10 %.2f recall@10 %.2f", c.name, c.got, c.floorN, c.floorRec)
		}
		if c.got.ndcg <= c.base.ndcg {
			t.Errorf("%s: Match (%v) does not beat plain text search (%v)", c.name, c.got, c.base)
		}
	}
}
