package bleve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Search runs q: bleve finds and scores the documents matching the text
// (every document when there is none), the attribute table filters them,
// counts the facets and keeps the page in the requested order, and the
// page's documents are read back from the index.
func (e *Engine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	start := time.Now()
	q, err := q.Normalized()
	if err != nil {
		return search.Result{}, err
	}
	lex := e.vocab.Lexicon()
	plan := buildText(q, e.qa, lex)
	var out search.Result
	err = e.withIndex(q.Kind, func(idx bleve.Index, t *table) error {
		adv, err := idx.Advanced()
		if err != nil {
			return err
		}
		r, err := adv.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		out, err = run(ctx, q, plan.withWords(r, e.qa, lex), idx, r, t)
		return err
	})
	var me *market.Error
	switch {
	case errors.As(err, &me):
		return search.Result{}, err
	case err != nil && ctx.Err() != nil:
		return search.Result{}, &market.Error{Code: market.EUNAVAILABLE, Message: "search cancelled", Err: err}
	case err != nil:
		return search.Result{}, internal("search", err)
	}
	out.ProcessingTimeMS = time.Since(start).Milliseconds()
	return out, nil
}

// run does the work of Search on one index snapshot.
func run(ctx context.Context, q search.Query, plan textPlan, idx bleve.Index, r index.IndexReader, t *table) (search.Result, error) {
	page, total, facets, err := collect(ctx, q, plan, idx, r, t)
	if err != nil {
		return search.Result{}, err
	}
	out := search.Result{Total: total, Facets: facets, Hits: make([]search.Hit, 0, len(page))}
	for _, p := range page {
		d, err := loadDocument(r, p.id)
		if err != nil {
			return search.Result{}, err
		}
		if d.ID == "" { // deleted since it was matched
			continue
		}
		h := search.Hit{Document: d, Score: p.score}
		if !q.NoHighlights {
			h.Formatted = map[string]string{
				"title": highlight(d.Title, matchSpans(d.Title, plan.terms)),
				"body":  snippet(d.Body, matchSpans(d.Body, plan.terms)),
			}
		}
		out.Hits = append(out.Hits, h)
	}
	return out, nil
}

// picked is one hit of the requested page.
type picked struct {
	id    string
	score float64
}

// collect finds the matches, filters them, counts the facets (nil with
// NoFacets) and returns the requested page, under the table's read lock.
func collect(ctx context.Context, q search.Query, plan textPlan, idx bleve.Index, r index.IndexReader, t *table) ([]picked, int, map[string]map[string]int, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	f := t.compile(q)
	var c *counts
	if !q.NoFacets {
		c = t.newCounts()
	}
	top := &topK{k: q.Page * q.Limit, less: order(q, plan.units != nil)}
	total := 0
	consider := func(rw *row, words int, score float64) {
		if !f.pass(rw) {
			return
		}
		total++
		if c != nil {
			c.add(rw)
		}
		top.offer(hit{row: rw, words: words, score: score})
	}

	switch {
	case plan.units == nil:
		for i := range t.rows {
			consider(&t.rows[i], 0, 0)
		}
	case plan.matchAny && c == nil && q.Sort == "" && !f.any():
		// Nothing needs every match (matching asks this): walk the
		// clauses term at a time and keep the best.
		n, err := topAny(ctx, plan, idx, r, t, top)
		if err != nil {
			return nil, 0, nil, err
		}
		total = n
	case plan.matchAny:
		tq := plan.anyQuery(commonTokens(ctx, r, len(t.rows)))
		if err := matchText(ctx, tq, q.Sort == "", idx, r, t, func(i int, score float64) { consider(&t.rows[i], 0, score) }); err != nil {
			return nil, 0, nil, err
		}
	default:
		if err := matchWords(ctx, plan, q.Sort == "", idx, r, t, consider); err != nil {
			return nil, 0, nil, err
		}
	}

	ranked := top.sorted()
	var page []picked
	for _, h := range ranked[min((q.Page-1)*q.Limit, len(ranked)):] {
		page = append(page, picked{h.row.id, h.score})
	}
	var facets map[string]map[string]int
	if c != nil {
		facets = t.facets(c)
	}
	return page, total, facets, nil
}

// matchText iterates the documents matching the text query, with their
// scores when scored (without, bleve combines the postings as bitmaps,
// which is much cheaper). Walking bleve's searcher directly, rather than
// through a collector, reads no doc values: the IDs are enough to find the
// rows.
func matchText(ctx context.Context, tq query.Query, scored bool, idx bleve.Index, r index.IndexReader, t *table, consider func(int, float64)) error {
	opts := bsearch.SearcherOptions{}
	if !scored {
		opts.Score = "none"
	}
	s, err := tq.Searcher(ctx, r, idx.Mapping(), opts)
	if err != nil {
		return err
	}
	defer s.Close()
	sctx := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0)}
	return walkSearcher(ctx, s, t.rowFinder(r), sctx, consider)
}

// walkSearcher calls fn for each document s matches that has a row, with
// its score; it checks ctx every 1,024 documents.
func walkSearcher(ctx context.Context, s bsearch.Searcher, rowOf func(index.IndexInternalID) (int, bool, error), pool *bsearch.SearchContext, fn func(row int, score float64)) error {
	n := 0
	for {
		dm, err := s.Next(pool)
		if err != nil {
			return err
		}
		if dm == nil {
			return nil
		}
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ri, ok, err := rowOf(dm.IndexInternalID)
		score := dm.Score
		pool.DocumentMatchPool.Put(dm)
		if err != nil {
			return err
		}
		if ok {
			fn(ri, score)
		}
	}
}

// matchWords walks the documents matching each word of a search and offers
// each once with the number of words it holds and the sum of its scores.
// Only when fewer than looseBelow documents hold a whole word does it walk
// the loose query (parts of the words) too: a query never strands, and a
// common query does not pay for a long tail of partial matches that would
// rank after hundreds of better hits anyway.
func matchWords(ctx context.Context, plan textPlan, scored bool, idx bleve.Index, r index.IndexReader, t *table, consider func(*row, int, float64)) error {
	g := t.gather()
	defer g.done()
	add := func(ri int, score float64) {
		h := g.at(ri)
		h.n++
		h.score += score
	}
	if scored {
		if err := walkWords(ctx, plan, idx, r, t, g); err != nil {
			return err
		}
	} else {
		for _, wq := range plan.words {
			if err := matchText(ctx, wq, scored, idx, r, t, add); err != nil {
				return err
			}
		}
	}
	holding := len(g.hits)
	if len(g.hits) < looseBelow {
		if lq := plan.looseQuery(ctx, r); lq != nil {
			err := matchText(ctx, lq, scored, idx, r, t, func(ri int, score float64) { g.at(ri).score += score })
			if err != nil {
				return err
			}
		}
	}
	if holding > 0 && holding < likeBelow {
		if err := matchLike(ctx, plan, g, holding, scored, idx, r, t); err != nil {
			return err
		}
	}
	for _, h := range g.hits {
		consider(&t.rows[h.row], h.n, h.score)
	}
	return nil
}

// likeBelow is the number of documents holding a query word under which
// a search also finds the documents like them. Like looseBelow it depends
// on the index only, so total and facets agree on every page and order.
const likeBelow = 10

// matchLike adds to g the documents that share a keyword, whole, with
// one of its first n (the documents holding a query word), ranked after
// every document g holds: a search with a handful of hits goes on with
// the listings like them (刺绣纹样 finds one embroidery listing, then the
// other listings of its keyword 非遗数字化). It is pseudo-relevance
// feedback that never moves a hit holding the query's words; the
// keywords are the feedback terms because they are the authors' own
// words for what a listing is about.
func matchLike(ctx context.Context, plan textPlan, g *gathering, n int, scored bool, idx bleve.Index, r index.IndexReader, t *table) error {
	var keywords []string
	for _, h := range g.hits[:n] {
		d, err := loadDocument(r, t.rows[h.row].id)
		if err != nil {
			return err
		}
		keywords = append(keywords, d.Keywords...)
	}
	lq := plan.likeQuery(keywords, commonTokens(ctx, r, len(t.rows)))
	if lq == nil {
		return nil
	}
	return matchText(ctx, lq, scored, idx, r, t, func(ri int, score float64) {
		if g.slot[ri] == 0 {
			h := g.at(ri)
			h.n, h.score = likeTier, score
		}
	})
}

// likeTier is the word count that ranks a document found by matchLike
// after the partial matches (0 words).
const likeTier = -1

// looseBelow is the number of whole-word hits under which partial matches
// are added. It depends on the index only, never on the page asked for, so
// total and facets agree on every page.
const looseBelow = search.MaxLimit

// topText asks bleve for the best page*limit matches by score and offers
// them to top; it returns the number of matches.
func topText(ctx context.Context, tq query.Query, idx bleve.Index, t *table, top *topK) (int, error) {
	req := bleve.NewSearchRequestOptions(tq, top.k, 0, false)
	req.SortBy([]string{"-_score"})
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return 0, err
	}
	for _, h := range res.Hits {
		if i, ok := t.byID[h.ID]; ok {
			top.offer(hit{row: &t.rows[i], score: h.Score})
		}
	}
	return int(res.Total), nil
}

// termAtATime may be turned off to measure against bleve's own
// disjunction (export_test.go).
var termAtATime = true

// topAny keeps in top the best matches of plan's MatchAny query and
// returns the number of matches. It scores as bleve's disjunction of the
// clauses does (BM25 of each clause, the clauses' query norm, the sum
// scaled by the share of clauses matched), but term at a time: each
// clause's postings are walked on their own and added into a per-row
// array. bleve's disjunction merges the clauses' postings in a heap, which
// over the hundred clauses of a demand cost most of a match.
func topAny(ctx context.Context, plan textPlan, idx bleve.Index, r index.IndexReader, t *table, top *topK) (int, error) {
	if !termAtATime {
		return topText(ctx, plan.anyQuery(commonTokens(ctx, r, len(t.rows))), idx, t, top)
	}
	// The clauses' searchers, built once: their counts say which single
	// tokens are common (as commonTokens would), so the dictionary is not
	// looked up twice.
	all := anyClauses(plan.anyUnits())
	sctx := scoring(ctx)
	searchers := make([]bsearch.Searcher, len(all))
	defer func() {
		for _, s := range searchers {
			if s != nil {
				_ = s.Close()
			}
		}
	}()
	for i, c := range all {
		s, err := tokensQuery(c.tokens, c.field, c.weight).Searcher(sctx, r, idx.Mapping(), bsearch.SearcherOptions{})
		if err != nil {
			return 0, err
		}
		searchers[i] = s
	}
	kept := searchers
	if len(t.rows) >= commonFrom {
		limit := uint64(commonShare * float64(len(t.rows)))
		kept = nil
		for i, c := range all {
			if len(c.tokens) > 1 || searchers[i].Count() <= limit {
				kept = append(kept, searchers[i])
			}
		}
		if len(kept) == 0 {
			kept = searchers
		}
	}
	n := 0
	err := walkClauses(ctx, kept, r, t, func(row int, score float64) {
		n++
		top.offer(hit{row: &t.rows[row], score: score})
	})
	return n, err
}

// walkClauses scores the documents matching any of searchers the way
// bleve's disjunction of them scores (the clauses' query norm, the sum of
// the clauses matched scaled by their share) and calls emit once per
// document, in first-seen order; it closes nothing. It walks term at a
// time: each clause's postings on their own, added into a per-row array.
// bleve's disjunction merges the clauses' postings in a heap, which costs
// more than the postings themselves over the hundred clauses of a
// matching query. (For a search's per-word queries, a few clauses each,
// this walk measured 9% slower than bleve's and is not used.)
func walkClauses(ctx context.Context, searchers []bsearch.Searcher, r index.IndexReader, t *table, emit func(row int, score float64)) error {
	if len(searchers) == 0 {
		return nil
	}
	norm := 0.0
	for _, s := range searchers {
		norm += s.Weight()
	}
	norm = 1 / math.Sqrt(norm)
	g := t.gather()
	defer g.done()
	rowOf := t.rowFinder(r)
	pool := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(16, 0)}
	for _, s := range searchers {
		s.SetQueryNorm(norm)
		err := walkSearcher(ctx, s, rowOf, pool, func(ri int, score float64) {
			h := g.at(ri)
			h.n++
			h.score += score
		})
		if err != nil {
			return err
		}
	}
	for _, h := range g.hits {
		emit(h.row, h.score*float64(h.n)/float64(len(searchers)))
	}
	return nil
}

// scoring returns ctx telling bleve's term searchers to score with BM25,
// the model mapping.go sets, as bleve's own Search does; a searcher built
// without it falls back to tf-idf.
func scoring(ctx context.Context) context.Context {
	return context.WithValue(ctx, bsearch.GetScoringModelCallbackKey,
		bsearch.GetScoringModelCallbackFn(func() string { return index.BM25Scoring }))
}

// Loose queries skip tokens found in more than commonShare of the
// documents, once an index holds commonFrom documents or more (below that
// every token is cheap).
const (
	commonShare = 0.05
	commonFrom  = 10_000
)

// commonTokens returns the cutoff test for an index of n documents, or nil
// when the index is too small to need one.
func commonTokens(ctx context.Context, r index.IndexReader, n int) func(field, token string) bool {
	if n < commonFrom {
		return nil
	}
	limit := uint64(commonShare * float64(n))
	return func(field, token string) bool {
		tfr, err := r.TermFieldReader(ctx, []byte(token), field, false, false, false)
		if err != nil {
			return false
		}
		defer tfr.Close()
		return tfr.Count() > limit
	}
}

// loadDocument reads the stored document id; a zero Document when it is
// gone.
func loadDocument(r index.IndexReader, id string) (search.Document, error) {
	doc, err := r.Document(id)
	if err != nil || doc == nil {
		return search.Document{}, err
	}
	var src []byte
	doc.VisitFields(func(f index.Field) {
		if f.Name() == fieldSource {
			src = f.Value()
		}
	})
	var d search.Document
	if len(src) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(src, &d); err != nil {
		return d, fmt.Errorf("decode %s: %w", id, err)
	}
	return d, nil
}

// loadTable reads every stored document of idx into a new table. It runs
// once, when the engine opens.
func loadTable(idx bleve.Index) (*table, error) {
	t := newTable()
	adv, err := idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	all, err := r.DocIDReaderAll()
	if err != nil {
		return nil, err
	}
	defer all.Close()
	var docs []search.Document
	for {
		iid, err := all.Next()
		if err != nil {
			return nil, err
		}
		if iid == nil {
			break
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return nil, err
		}
		d, err := loadDocument(r, id)
		if err != nil {
			return nil, err
		}
		if d.ID != "" {
			docs = append(docs, d)
		}
		if len(docs) == batchSize {
			t.put(docs)
			docs = docs[:0]
		}
	}
	t.put(docs)
	return t, nil
}
