package matching

import (
	"context"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/relevance"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
)

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

type setFigures struct {
	forward, backward, search, baseForward, baseSearch relevance.Figures
}

func measure(t testing.TB, set *relevance.Set, eng search.Engine) setFigures {
	var f setFigures
	byID := map[string]search.Document{}
	for _, d := range set.Docs() {
		byID[d.ID] = d
	}
	rankMatch := func(id string) []string {
		ms, err := Match(context.Background(), eng, byID[id], 10)
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
	if len(set.Queries) > 0 {
		judged := map[string]map[string]int{}
		text := map[string]string{}
		for _, q := range set.Queries {
			judged[q.Text] = q.Relevant
			text[q.Text] = q.Text
		}
		f.search, _ = relevance.Evaluate(judged, func(q string) []string {
			res, err := eng.Search(context.Background(), search.Query{Kind: search.KindAchievement, Text: q, Limit: 10})
			if err != nil {
				t.Fatalf("Search(%q): %v", q, err)
			}
			ids := make([]string, len(res.Hits))
			for i, h := range res.Hits {
				ids[i] = h.ID
			}
			return ids
		})
		f.baseSearch, _ = relevance.Evaluate(judged, func(q string) []string { return bm.Rank(q, 10) })
	}
	return f
}

func TestEvalShared(t *testing.T) {
	dir, err := relevance.FindShared()
	if err != nil {
		t.Skip(err)
	}
	set, err := relevance.LoadShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := measure(t, set, setEngine(t, set))
	t.Logf("match demand→achievement %v   (BM25 %v)", f.forward, f.baseForward)
	t.Logf("match achievement→demand %v", f.backward)
	t.Logf("search %v   (BM25 %v)", f.search, f.baseSearch)
}

func TestEvalSharedPerQuery(t *testing.T) {
	dir, err := relevance.FindShared()
	if err != nil {
		t.Skip(err)
	}
	set, _ := relevance.LoadShared(dir)
	eng := setEngine(t, set)
	bm := relevance.NewBM25(set.Achievements)
	for _, q := range set.Queries {
		res, _ := eng.Search(context.Background(), search.Query{Kind: search.KindAchievement, Text: q.Text, Limit: 10})
		ids := []string{}
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		t.Logf("%-12s total %3d  nDCG %.2f  bm25 %.2f", q.Text, res.Total, relevance.NDCG(ids, q.Relevant, 10), relevance.NDCG(bm.Rank(q.Text, 10), q.Relevant, 10))
	}
}
