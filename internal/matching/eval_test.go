package matching

import (
	"context"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/relevance"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
)

// setEngine indexes a labelled set in an in-memory bleve engine.
func setEngine(t testing.TB, set *relevance.Set) search.Engine {
	t.Helper()
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	if err := eng.Upsert(context.Background(), set.Docs()); err != nil {
		t.Fatal(err)
	}
	return eng
}

// setFigures are one set's figures, each beside the BM25 baseline where
// the set's README defines one.
type setFigures struct {
	forward, backward, search, baseForward, baseSearch relevance.Figures
}

func measure(t testing.TB, set *relevance.Set, eng search.Engine, w weights) setFigures {
	t.Helper()
	var f setFigures
	byID := map[string]search.Document{}
	for _, d := range set.Docs() {
		byID[d.ID] = d
	}
	rankMatch := func(id string) []string {
		ms, err := match(context.Background(), eng, byID[id], 10, w, Options{})
		if err != nil {
			t.Fatalf("Match(%s): %v", id, err)
		}
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		return ids
	}
	f.forward, _ = relevance.Evaluate(set.Matches, rankMatch)
	f.backward, _ = relevance.Evaluate(set.Backward(), rankMatch)
	bm := relevance.NewBM25(set.Achievements)
	f.baseForward, _ = relevance.Evaluate(set.Matches, func(id string) []string { return bm.Rank(relevance.DemandQuery(byID[id]), 10) })
	if len(set.Queries) == 0 {
		return f
	}
	judged := map[string]map[string]int{}
	for _, q := range set.Queries {
		judged[q.Text] = q.Relevant
	}
	f.search, _ = relevance.Evaluate(judged, func(q string) []string {
		res, err := eng.Search(context.Background(), search.Query{Kind: search.KindAchievement, Text: q, Limit: 10})
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		return searchIDs(res)
	})
	f.baseSearch, _ = relevance.Evaluate(judged, func(q string) []string { return bm.Rank(q, 10) })
	return f
}

func searchIDs(res search.Result) []string {
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids
}

// TestQualitySharedSet measures search and matching on ../shared/eval, the
// set written independently of this code (220 achievements, 55 demands,
// 35 queries), beside its character-bigram BM25 baseline. Nothing of the
// set is in the code: the concept map was written without it; the
// weights were chosen on it (docs/matching.md says which). The floors sit
// a little under the figures reached when they were set, and each figure
// must beat the baseline clearly.
func TestQualitySharedSet(t *testing.T) {
	dir, err := relevance.FindShared()
	if err != nil {
		t.Skipf("%v: the independent set is not beside this checkout", err)
	}
	set, err := relevance.LoadShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Achievements) < 200 || len(set.Matches) < 50 || len(set.Queries) < 30 {
		t.Fatalf("shared set too small: %d achievements, %d demands, %d queries", len(set.Achievements), len(set.Matches), len(set.Queries))
	}
	eng := setEngine(t, set)
	f := measure(t, set, eng, defaultWeights)
	plain := defaultWeights
	plain.mutual = 0
	off := measure(t, set, eng, plain)
	t.Logf("match demand → achievements %v   (BM25 %v; without the reciprocal rank (TECHMARKET_MATCH_RECIPROCAL=false): %v)", f.forward, f.baseForward, off.forward)
	t.Logf("match achievement → demands %v   (without the reciprocal rank: %v)", f.backward, off.backward)
	t.Logf("search                      %v   (BM25 %v)", f.search, f.baseSearch)
	for _, ab := range ablations() {
		if !testing.Verbose() {
			break // ten more runs: only when asked for (go test -v)
		}
		t.Logf("  ablation %-32s match %v", ab.name, measure(t, set, eng, ab.w).forward)
	}
	for _, c := range []struct {
		name        string
		got, base   relevance.Figures
		floor, lead float64
	}{
		// Reached when set (2026-12-06): 0.815, 0.920, 0.884. With the
		// reciprocal rank (2026-12-07): 0.846 and 0.930, its weight chosen
		// on the odd half, where the even half reached 0.821. Search 0.909
		// after the per-word scoring was mended (2026-12-07; both halves
		// gained, 0.872 → 0.887 and 0.925 → 0.933). Matching 0.857 once
		// common words count by their general-language idf (2026-12-07,
		// fifth session; both halves gained, 0.870 → 0.880 and 0.821 →
		// 0.833, so the floor is a little under the lower half).
		{"match demand → achievements", f.forward, f.baseForward, 0.82, 0.10},
		{"match achievement → demands", f.backward, relevance.Figures{}, 0.91, 0},
		{"match demand → achievements, no reciprocal rank (RECIPROCAL=false)", off.forward, f.baseForward, 0.79, 0.10},
		{"match achievement → demands, no reciprocal rank (RECIPROCAL=false)", off.backward, relevance.Figures{}, 0.89, 0},
		{"search", f.search, f.baseSearch, 0.88, 0.10},
	} {
		if c.got.NDCG < c.floor {
			t.Errorf("%s: %v fell below the floor nDCG@10 %.2f", c.name, c.got, c.floor)
		}
		if c.base.N > 0 && c.got.NDCG < c.base.NDCG+c.lead {
			t.Errorf("%s: %v does not lead BM25 (%v) by %.2f", c.name, c.got, c.base, c.lead)
		}
	}
}

// ablations are the matcher without each of its signals, logged beside the
// figures (not asserted).
func ablations() []struct {
	name string
	w    weights
} {
	without := func(zero func(*weights)) weights {
		w := defaultWeights
		zero(&w)
		return w
	}
	return []struct {
		name string
		w    weights
	}{
		{"engine relevance only", weights{text: 1}},
		{"shared terms only", weights{shared: 1, poolIDF: true, general: true}},
		{"without engine relevance", without(func(w *weights) { w.text = 0 })},
		{"without shared terms", without(func(w *weights) { w.shared = 0 })},
		{"without concept links", without(func(w *weights) { w.concept = 0 })},
		{"without pool idf", without(func(w *weights) { w.poolIDF = false })},
		{"without general-language idf", without(func(w *weights) { w.general = false })},
		{"without reciprocal rank", without(func(w *weights) { w.mutual = 0 })},
		{"without industry", without(func(w *weights) { w.industry = 0 })},
		{"industry at 0.15 (first round)", without(func(w *weights) { w.industry, w.shared = 0.15, 0.25 })},
		{"without modes/price/maturity", without(func(w *weights) { w.modes, w.price, w.maturity = 0, 0, 0 })},
	}
}
