package matching

import (
	"cmp"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/relevance"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// TestQualityHalves logs the shared set's figures on its two halves (the
// demands and queries at odd and at even positions, in key order), so that
// a parameter chosen on one half can be judged on the other: the set is
// the only independent one, and a change is kept only if it helps on the
// half it was not chosen on. It runs with TECHMARKET_EVAL_EXPERIMENTS=1.
func TestQualityHalves(t *testing.T) {
	if os.Getenv("TECHMARKET_EVAL_EXPERIMENTS") != "1" {
		t.Skip("set TECHMARKET_EVAL_EXPERIMENTS=1 to log the held-out halves")
	}
	dir, err := relevance.FindShared()
	if err != nil {
		t.Skipf("%v: the independent set is not beside this checkout", err)
	}
	set, err := relevance.LoadShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	eng := setEngine(t, set)
	byID := map[string]search.Document{}
	for _, d := range set.Docs() {
		byID[d.ID] = d
	}
	perDemandWith := func(w weights) map[string]float64 {
		_, per := relevance.Evaluate(set.Matches, func(id string) []string {
			ms, err := match(context.Background(), eng, byID[id], 10, w, Options{})
			if err != nil {
				t.Fatalf("Match(%s): %v", id, err)
			}
			ids := make([]string, len(ms))
			for i, m := range ms {
				ids[i] = m.ID
			}
			return ids
		})
		return per
	}
	perDemand := perDemandWith(defaultWeights)
	judged := map[string]map[string]int{}
	for _, q := range set.Queries {
		judged[q.Text] = q.Relevant
	}
	_, perQuery := relevance.Evaluate(judged, func(q string) []string {
		res, err := eng.Search(context.Background(), search.Query{Kind: search.KindAchievement, Text: q, Limit: 10})
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		return searchIDs(res)
	})
	odd, even := halves(perDemand)
	qodd, qeven := halves(perQuery)
	t.Logf("match demand → achievements nDCG@10: odd half %.3f, even half %.3f", odd, even)
	t.Logf("search nDCG@10:                      odd half %.3f, even half %.3f", qodd, qeven)
	logWorst(t, "search", perQuery, func(string) string { return "" })
	logWorst(t, "match", perDemand, func(id string) string { return byID[id].Title })
	for _, v := range weightVariants() {
		odd, even := halves(perDemandWith(v.w))
		t.Logf("  variant %-34s odd %.3f even %.3f", v.name, odd, even)
	}
}

// logWorst logs the eight keys with the lowest figures: where to look
// next, and what no weight will mend.
func logWorst(t *testing.T, what string, per map[string]float64, label func(string) string) {
	keys := make([]string, 0, len(per))
	for k := range per {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if per[a] != per[b] {
			return cmp.Compare(per[a], per[b])
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys[:min(8, len(keys))] {
		t.Logf("  worst %s %.3f %s %s", what, per[k], k, label(k))
	}
}

// halves averages the figures of the keys at odd and at even positions
// (1-based) in key order.
func halves(per map[string]float64) (odd, even float64) {
	keys := make([]string, 0, len(per))
	for k := range per {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var n [2]int
	var sum [2]float64
	for i, k := range keys {
		sum[i%2] += per[k]
		n[i%2]++
	}
	return sum[0] / float64(max(1, n[0])), sum[1] / float64(max(1, n[1]))
}

// weightVariants are the weight changes tried against the halves.
func weightVariants() []struct {
	name string
	w    weights
} {
	with := func(f func(*weights)) weights {
		w := defaultWeights
		f(&w)
		return w
	}
	return []struct {
		name string
		w    weights
	}{
		{"no general-language specificity", with(func(w *weights) { w.general = false })},
		{"no reciprocal rank", with(func(w *weights) { w.mutual = 0 })},
		{"reciprocal 0.2", with(func(w *weights) { w.mutual = 0.2 })},
		{"reciprocal 0.5", with(func(w *weights) { w.mutual = 0.5 })},
		{"reciprocal top 5", with(func(w *weights) { w.mutualTop = 5 })},
		{"reciprocal top 20", with(func(w *weights) { w.mutualTop = 20 })},
		{"text 0.20, shared 0.25", with(func(w *weights) { w.text, w.shared = 0.20, 0.25 })},
		{"text 0.05, shared 0.40", with(func(w *weights) { w.text, w.shared = 0.05, 0.40 })},
		{"concept 0.40, shared 0.25", with(func(w *weights) { w.concept, w.shared = 0.40, 0.25 })},
		{"concept 0.20, shared 0.45", with(func(w *weights) { w.concept, w.shared = 0.20, 0.45 })},
		{"modes 0.05, shared 0.40", with(func(w *weights) { w.modes, w.shared = 0.05, 0.40 })},
		{"maturity 0, price 0, shared 0.45", with(func(w *weights) { w.maturity, w.price, w.shared = 0, 0, 0.45 })},
	}
}
