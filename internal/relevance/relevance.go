// Package relevance holds the labelled sets that search and matching are
// measured on, the metrics (nDCG@10, recall@10, as ../shared/eval/README.md
// defines them) and the plain character-bigram BM25 baseline every figure
// is reported beside. Tests and scripts use it; the service does not.
package relevance

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Set is one labelled set: the items, and graded judgements (3 directly
// solves, 2 solves a large part, 1 related, unlisted 0).
type Set struct {
	Name         string
	Achievements []search.Document
	Demands      []search.Document
	// Matches maps a demand ID to achievement IDs and grades.
	Matches map[string]map[string]int
	// Queries are short search-box queries over the achievements.
	Queries []Query
}

// Query is one search-box query with its graded achievements.
type Query struct {
	Text     string         `json:"q"`
	Relevant map[string]int `json:"relevant"`
}

// Backward returns the judgements seen from the achievement side:
// achievement ID to demand IDs and grades.
func (s *Set) Backward() map[string]map[string]int {
	out := map[string]map[string]int{}
	for d, as := range s.Matches {
		for a, g := range as {
			if out[a] == nil {
				out[a] = map[string]int{}
			}
			out[a][d] = g
		}
	}
	return out
}

// Docs returns every item of the set, achievements first.
func (s *Set) Docs() []search.Document {
	return append(append([]search.Document(nil), s.Achievements...), s.Demands...)
}

var published = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// sharedItem is an item of ../shared/eval (and, with id instead of key,
// of the project's own set).
type sharedItem struct {
	Key              string         `json:"key"`
	ID               string         `json:"id"`
	Title            string         `json:"title"`
	Summary          string         `json:"summary"`
	Description      string         `json:"description"`
	Industry         string         `json:"industry"`
	Keywords         []string       `json:"keywords"`
	Maturity         string         `json:"maturity"`
	TransferModes    []string       `json:"transfer_modes"`
	CooperationModes []string       `json:"cooperation_modes"`
	AskingPriceFen   int64          `json:"asking_price_fen"`
	BudgetMinFen     int64          `json:"budget_min_fen"`
	BudgetMaxFen     int64          `json:"budget_max_fen"`
	RegionCode       string         `json:"region_code"`
	Relevant         map[string]int `json:"relevant"`
}

func (it sharedItem) id() string {
	if it.Key != "" {
		return it.Key
	}
	return it.ID
}

func (it sharedItem) achievement() search.Document {
	return search.Document{
		ID: it.id(), Kind: search.KindAchievement, OrgID: "org-" + it.id(), OrgName: "评测机构", Title: it.Title,
		Keywords: it.Keywords, Body: it.Summary, Industry: it.Industry, Modes: it.TransferModes, Maturity: it.Maturity,
		RegionCode: it.RegionCode, PriceFen: it.AskingPriceFen, PublishedAt: published,
	}
}

func (it sharedItem) demand() search.Document {
	return search.Document{
		ID: it.id(), Kind: search.KindDemand, OrgID: "org-" + it.id(), OrgName: "评测企业", Title: it.Title,
		Keywords: it.Keywords, Body: it.Description, Industry: it.Industry, Modes: it.CooperationModes,
		RegionCode: it.RegionCode, BudgetMinFen: it.BudgetMinFen, BudgetMaxFen: it.BudgetMaxFen, PublishedAt: published,
	}
}

// ErrNoSharedSet is returned by FindShared when ../shared/eval is not
// beside the checkout.
var ErrNoSharedSet = errors.New("../shared/eval not found above the working directory")

// FindShared returns the directory of the independently written set,
// shared/eval beside the repository, looked for from the working
// directory upwards.
func FindShared() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "shared", "eval")
		if _, err := os.Stat(filepath.Join(p, "qrels.json")); err == nil {
			return p, nil
		}
		p = filepath.Join(dir, "..", "shared", "eval")
		if _, err := os.Stat(filepath.Join(p, "qrels.json")); err == nil {
			return filepath.Clean(p), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoSharedSet
		}
		dir = parent
	}
}

// LoadShared reads the set of ../shared/eval from dir.
func LoadShared(dir string) (*Set, error) {
	var achs, dems []sharedItem
	var qrels map[string]map[string]int
	var queries []Query
	for name, v := range map[string]any{"achievements.json": &achs, "demands.json": &dems, "qrels.json": &qrels, "queries.json": &queries} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	s := &Set{Name: "shared/eval", Matches: qrels, Queries: queries}
	for _, a := range achs {
		s.Achievements = append(s.Achievements, a.achievement())
	}
	for _, d := range dems {
		s.Demands = append(s.Demands, d.demand())
	}
	return s, nil
}

// LoadOwn reads the project's own labelled set (internal/matching/testdata/
// labelled.json: achievements, demands with their judgements).
func LoadOwn(path string) (*Set, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Achievements []sharedItem `json:"achievements"`
		Demands      []sharedItem `json:"demands"`
		Queries      []Query      `json:"queries"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &Set{Name: "own", Matches: map[string]map[string]int{}, Queries: raw.Queries}
	for _, a := range raw.Achievements {
		s.Achievements = append(s.Achievements, a.achievement())
	}
	for _, d := range raw.Demands {
		s.Demands = append(s.Demands, d.demand())
		s.Matches[d.id()] = d.Relevant
	}
	return s, nil
}

// Figures are mean nDCG@10 and recall@10 over the queries of one run.
type Figures struct {
	NDCG, Recall float64
	N            int
}

func (f Figures) String() string {
	return fmt.Sprintf("nDCG@10 %.3f  recall@10 %.3f  (n=%d)", f.NDCG, f.Recall, f.N)
}

// Evaluate averages the metrics of the rankings over the judged queries.
// rank returns the ranked IDs for a query ID.
func Evaluate(judged map[string]map[string]int, rank func(id string) []string) (Figures, map[string]float64) {
	ids := make([]string, 0, len(judged))
	for id := range judged {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var f Figures
	per := map[string]float64{}
	for _, id := range ids {
		j := judged[id]
		if len(j) == 0 {
			continue
		}
		ranked := rank(id)
		per[id] = NDCG(ranked, j, 10)
		f.NDCG += per[id]
		f.Recall += Recall(ranked, j, 10)
		f.N++
	}
	if f.N > 0 {
		f.NDCG /= float64(f.N)
		f.Recall /= float64(f.N)
	}
	return f, per
}

func dcg(grades []int, k int) float64 {
	sum := 0.0
	for i, g := range grades[:min(k, len(grades))] {
		sum += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
	}
	return sum
}

// NDCG is the DCG of the first k of ranked (gain 2^grade − 1, discount
// log2(rank + 1)) divided by that of every judged item in grade order.
func NDCG(ranked []string, judged map[string]int, k int) float64 {
	grades := make([]int, len(ranked))
	for i, id := range ranked {
		grades[i] = judged[id]
	}
	var ideal []int
	for _, g := range judged {
		if g > 0 {
			ideal = append(ideal, g)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ideal)))
	best := dcg(ideal, k)
	if best == 0 {
		return 0
	}
	return dcg(grades, k) / best
}

// Recall is the share of the strongly relevant items (grade ≥ 2; grade ≥ 1
// on a set whose top grade is 2) found in the first k.
func Recall(ranked []string, judged map[string]int, k int) float64 {
	top := 0
	for _, g := range judged {
		top = max(top, g)
	}
	floor := 2
	if top < 3 {
		floor = 1
	}
	relevant := 0
	for _, g := range judged {
		if g >= floor {
			relevant++
		}
	}
	if relevant == 0 {
		return 0
	}
	found := 0
	for _, id := range ranked[:min(k, len(ranked))] {
		if judged[id] >= floor {
			found++
		}
	}
	return float64(found) / float64(relevant)
}
