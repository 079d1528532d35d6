package bleve

import (
	"context"
	"math"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// walkWords gathers into g the documents holding each word of a scored
// search, one clause at a time: a document's score for a word is
// the BM25 score of its best wording (the word, a synonym, a correction,
// a concept's technology), summed over the fields at their boosts, plus
// the whole-word bonus; its score is the sum over the words it holds, and
// its n the number of them.
//
// bleve's disjunction of a word's clauses scaled the sum by the share of
// clauses matched and by a norm over all of them, so a word with many
// wordings counted for a fraction of one with none: 钢渣, with three
// synonyms and four technologies, scored 0.17 in the title of 钢渣微粉…
// where 利用 scored 1.43, and 钢渣 利用 ranked mere 利用 first.
func walkWords(ctx context.Context, plan textPlan, idx bleve.Index, r index.IndexReader, t *table, g *gathering) error {
	w := &wordWalk{ctx: scoring(ctx), idx: idx, r: r, g: g, rowOf: t.rowFinder(r),
		pool: &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(16, 0)}}
	for wi, vs := range plan.wordings {
		for vi, v := range vs {
			for _, f := range fieldBoosts {
				if err := w.walk(tokensQuery(v.tokens, f.field, 1), f.boost*v.boost, func(a *wordScore, s float64) { a.cur += s }, wi, vi); err != nil {
					return err
				}
			}
		}
		whole := bleve.NewTermQuery(plan.unitText[wi])
		whole.SetField(fieldWords)
		if err := w.walk(whole, wordBoost, func(a *wordScore, s float64) { a.bonus += s }, wi, len(vs)); err != nil {
			return err
		}
		for i := range g.hits {
			if h := &g.hits[i]; h.word.word == wi {
				h.score += max(h.word.best, h.word.cur) + h.word.bonus
			}
		}
	}
	return nil
}

// wordWalk is the state of walkWords.
type wordWalk struct {
	ctx   context.Context
	idx   bleve.Index
	r     index.IndexReader
	rowOf func(index.IndexInternalID) (int, bool, error)
	pool  *bsearch.SearchContext
	g     *gathering
}

// wordScore is what one document holds of the word being walked: the
// word's index and the wording's, the running sum of this wording's
// fields, the best of its earlier wordings, and the whole-word bonus.
type wordScore struct {
	word, wording    int
	cur, best, bonus float64
}

// walk adds, with add, the score of each document q matches (BM25, times
// boost) to what the document holds of word wi through wording vi.
func (w *wordWalk) walk(q query.Query, boost float64, add func(*wordScore, float64), wi, vi int) error {
	s, err := q.Searcher(w.ctx, w.r, w.idx.Mapping(), bsearch.SearcherOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	// bleve multiplies a term's BM25 by boost × idf × norm; the norm
	// 1/sqrt(Weight) cancels that for a term (boost 1 here), so it scores
	// its BM25 alone, and a conjunction (the bigrams of 铝合金) its terms'
	// BM25 weighted by their idf over the norm of their idfs.
	if wt := s.Weight(); wt > 0 {
		s.SetQueryNorm(1 / math.Sqrt(wt))
	}
	return walkSearcher(w.ctx, s, w.rowOf, w.pool, func(ri int, score float64) {
		add(w.at(ri, wi, vi), score*boost)
	})
}

// at returns the state of row ri for word wi, wording vi, counting the
// word when the row first meets it.
func (w *wordWalk) at(ri, wi, vi int) *wordScore {
	h := w.g.at(ri)
	a := &h.word
	if h.n == 0 || a.word != wi {
		*a = wordScore{word: wi, wording: vi}
		h.n++
	}
	if a.wording != vi {
		a.best = max(a.best, a.cur)
		a.cur, a.wording = 0, vi
	}
	return a
}
