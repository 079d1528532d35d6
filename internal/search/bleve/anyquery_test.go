package bleve_test

import (
	"context"
	"math"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
)

// The term-at-a-time walk of a MatchAny query scores each document as
// bleve's disjunction searcher does: the same hits, the same scores up to
// the order of a float sum.
func TestMatchAnyTermAtATimeScoresAsBleve(t *testing.T) {
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	s := newSynth(11)
	docs := make([]search.Document, 400)
	for i := range docs {
		docs[i] = s.achievement(i)
	}
	if err := eng.Upsert(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	defer bleve.SetTermAtATime(true)
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		d := s.demand(i)
		q := search.Query{Kind: search.KindAchievement, Text: d.Title + " " + d.Body, Related: d.Keywords,
			MatchAny: true, NoFacets: true, NoHighlights: true, Limit: 30}
		bleve.SetTermAtATime(true)
		got, err := eng.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		bleve.SetTermAtATime(false)
		want, err := eng.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Hits) == 0 || got.Total != want.Total || len(got.Hits) != len(want.Hits) {
			t.Fatalf("%q: %d hits of %d, want %d of %d", q.Text, len(got.Hits), got.Total, len(want.Hits), want.Total)
		}
		for j := range want.Hits {
			g, w := got.Hits[j], want.Hits[j]
			if math.Abs(g.Score-w.Score) > 1e-9*w.Score {
				t.Errorf("%q hit %d: %s scored %v, bleve's disjunction %s %v", q.Text, j, g.ID, g.Score, w.ID, w.Score)
			}
		}
	}
}
