package matching

import (
	"context"
	"hash/maphash"
	"slices"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Rankings keeps the listings' own rankings for the reciprocal rank: the
// IDs, best first, that a candidate's match the other way returned. A
// match asks ten candidates where they rank its source; with the rankings
// kept, a candidate that was asked before (by this source or any other in
// the last TTL) answers from memory instead of running a match of its
// own, which is what made the reciprocal rank cost ten matches.
//
// A kept ranking is the candidate's as it was indexed when it was kept:
// the key holds a fingerprint of the candidate's document (an edit of the
// candidate is a new key) and of the lexicon in force (an operator's
// synonym change is a new key). Changes to the listings it ranks reach it
// within TTL, with one exception that is exact: a ranking kept before
// the source could have been indexed (within indexLag of its
// PublishedAt) is never used for that source, so a newly published
// listing is ranked by fresh reverse matches until its candidates' kept
// rankings include it. Safe for concurrent use; a nil *Rankings keeps
// nothing.
type Rankings struct {
	kept *lru.Cache[rankKey, ranking]
	ttl  time.Duration
	// Now is the clock (tests inject one); nil means time.Now.
	Now  func() time.Time
	seed maphash.Seed

	hits, misses atomic.Int64
	lex          atomic.Uint64 // Identity of the lexicon of the last ranking kept
}

type rankKey struct {
	id  string
	doc uint64 // fingerprint of the ranked document and the lexicon
}

type ranking struct {
	ids []uint64 // the ranked listings' IDs hashed (r.id), best first
	at  time.Time
}

// indexLag is how long a published listing may take to reach the
// engine of every instance (the outbox is applied within a second or
// two; a minute leaves room for a slow Meilisearch task queue).
const indexLag = time.Minute

// Defaults of NewRankings. A kept ranking of 30 listings takes about
// 520 bytes (its hashed IDs, key and LRU entry: 57 MiB for 110,000 in
// TestScale100K), so 250,000 of them — every listing of a market of
// 100,000 achievements and their demands, twice over — are about 125 MiB
// at most. Rankings are refreshed by the
// Warmer long before they expire; the TTL bounds how long a ranking may
// miss an edit of the listings it ranks (a new listing is exact, above).
const (
	DefaultRankingsSize = 250_000
	DefaultRankingsTTL  = 6 * time.Hour
)

// NewRankings keeps up to size rankings, each for ttl. size ≤ 0 means
// DefaultRankingsSize, ttl ≤ 0 DefaultRankingsTTL.
func NewRankings(size int, ttl time.Duration) *Rankings {
	if size <= 0 {
		size = DefaultRankingsSize
	}
	if ttl <= 0 {
		ttl = DefaultRankingsTTL
	}
	kept, err := lru.New[rankKey, ranking](size)
	if err != nil {
		panic(err) // only for size ≤ 0, excluded above
	}
	return &Rankings{kept: kept, ttl: ttl, seed: maphash.MakeSeed()}
}

func (r *Rankings) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// key is where doc's ranking under lex is kept.
func (r *Rankings) key(doc search.Document, lex *search.Lexicon) rankKey {
	var h maphash.Hash
	h.SetSeed(r.seed)
	field := func(s string) { h.WriteString(s); h.WriteByte(0) }
	maphash.WriteComparable(&h, lex.Identity())
	field(doc.OrgID)
	field(doc.Title)
	for _, k := range doc.Keywords {
		field(k)
	}
	field(doc.Body)
	field(doc.Industry)
	for _, m := range doc.Modes {
		field(m)
	}
	field(doc.Maturity)
	maphash.WriteComparable(&h, [3]int64{doc.PriceFen, doc.BudgetMinFen, doc.BudgetMaxFen})
	return rankKey{id: doc.ID, doc: h.Sum64()}
}

// id hashes a listing's ID as kept rankings hold it (8 bytes instead of
// a string; two IDs of one market colliding in 64 bits is not a concern).
func (r *Rankings) id(s string) uint64 { return maphash.String(r.seed, s) }

// rank returns where the kept ranking of doc places src (1 is first, 0
// not among them), if a ranking is kept that may answer for src.
func (r *Rankings) rank(doc, src search.Document, lex *search.Lexicon) (int, bool) {
	if r == nil {
		return 0, false
	}
	got, ok := r.kept.Get(r.key(doc, lex))
	if ok && (r.now().Sub(got.at) >= r.ttl || !got.at.After(src.PublishedAt.Add(indexLag))) {
		ok = false
	}
	if !ok {
		r.misses.Add(1)
		return 0, false
	}
	r.hits.Add(1)
	return slices.Index(got.ids, r.id(src.ID)) + 1, true
}

// fresh reports whether doc's ranking under lex is kept and younger than
// age.
func (r *Rankings) fresh(doc search.Document, lex *search.Lexicon, age time.Duration) bool {
	got, ok := r.kept.Peek(r.key(doc, lex))
	return ok && r.now().Sub(got.at) < age
}

// ranking matches doc the other way under weights w, as the reciprocal
// rank asks of a candidate (without the reciprocal rank itself, without
// signals), keeps the ranking when r is not nil and returns it. Only
// the service keeps rankings, always under defaultWeights; the
// measurements that vary the weights keep none.
func (r *Rankings) ranking(ctx context.Context, eng search.Engine, doc search.Document, lex *search.Lexicon, w weights) ([]Item, error) {
	w.mutual = 0
	ms, err := match(ctx, eng, doc, candidates, w, Options{Lexicon: lex})
	if err != nil || r == nil {
		return ms, err
	}
	// Rankings kept under an earlier lexicon are keys no match asks for
	// any more: drop them rather than hold both sets.
	if old := r.lex.Swap(lex.Identity()); old != 0 && old != lex.Identity() {
		r.kept.Purge()
	}
	ids := make([]uint64, len(ms))
	for i, it := range ms {
		ids[i] = r.id(it.ID)
	}
	r.kept.Add(r.key(doc, lex), ranking{ids: ids, at: r.now()})
	return ms, nil
}

// Stats reports how many reverse rankings were answered from memory and
// how many had to be computed.
func (r *Rankings) Stats() (hits, misses int64) {
	if r == nil {
		return 0, 0
	}
	return r.hits.Load(), r.misses.Load()
}
