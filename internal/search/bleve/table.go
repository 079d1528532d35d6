package bleve

import (
	"encoding/binary"
	"sync/atomic"

	index "github.com/blevesearch/bleve_index_api"
	"strings"
	"sync"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// table holds, for every document of one index, the attributes that
// filters, facets and sort orders read, dictionary-coded in memory. bleve
// answers "which documents match this text, how well"; the table answers
// the rest. Reading those attributes from bleve's doc values costs
// microseconds per document, which at 100,000 documents is most of a
// search; here it costs nanoseconds.
type table struct {
	mu   sync.RWMutex
	rows []row
	byID map[string]int
	dict dictionary
	// scratch holds zeroed []int32 of len(rows) and hitBufs *[]gathered,
	// for searches to gather their hits in (gathering); a slice of
	// another length is dropped.
	scratch, hitBufs sync.Pool
	// rowsOf maps bleve's internal document numbers of the index snapshot
	// last searched to rows; dropped whenever rows change.
	rowsOf atomic.Pointer[rowCache]
}

// rowCache maps the internal document numbers of one index snapshot to
// row positions, filled as searches meet them. Reading a stored ID back
// from bleve (ExternalID) and finding it in byID cost a third of a search
// at 100,000 documents; a snapshot lives until the next write, so most
// searches find every number already there.
type rowCache struct {
	reader index.IndexReader
	rows   []atomic.Int32 // internal number → row position + 1; 0 = not looked up yet
}

// rowFinder returns a function from an internal ID of r to a row position
// (false when the document has no row). The caller holds mu for reading.
func (t *table) rowFinder(r index.IndexReader) func(index.IndexInternalID) (int, bool, error) {
	rc := t.rowsOf.Load()
	if rc == nil || rc.reader != r {
		rc = &rowCache{reader: r, rows: make([]atomic.Int32, 2*len(t.rows)+1024)}
		t.rowsOf.Store(rc)
	}
	return func(iid index.IndexInternalID) (int, bool, error) {
		n := -1
		if len(iid) == 8 {
			if v := binary.BigEndian.Uint64(iid); v < uint64(len(rc.rows)) {
				n = int(v)
				if p := rc.rows[n].Load(); p > 0 {
					return int(p - 1), true, nil
				}
			}
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return 0, false, err
		}
		i, ok := t.byID[id]
		if ok && n >= 0 {
			rc.rows[n].Store(int32(i + 1))
		}
		return i, ok, nil
	}
}

// gathering is where a search gathers the documents it finds, each once:
// hits in first-seen order (so equal hits come back the same way), and
// slot, one entry per row, 1 + the row's position in hits or 0. Both are
// pooled by the table: an array the size of the table is much cheaper
// than a map at thousands of hits per query, and a fresh hits slice per
// search was over half the bytes a relevance search allocated.
type gathering struct {
	t    *table
	slot []int32
	buf  *[]gathered
	hits []gathered
}

// gather returns an empty gathering; give it back with done. The caller
// holds mu for reading.
func (t *table) gather() *gathering {
	g := &gathering{t: t}
	if s, ok := t.scratch.Get().([]int32); ok && len(s) == len(t.rows) {
		g.slot = s
	} else {
		g.slot = make([]int32, len(t.rows))
	}
	if b, ok := t.hitBufs.Get().(*[]gathered); ok {
		g.buf = b
	} else {
		g.buf = new([]gathered)
	}
	g.hits = (*g.buf)[:0]
	return g
}

// at returns row ri's hit, added when the row is new.
func (g *gathering) at(ri int) *gathered {
	i := g.slot[ri]
	if i == 0 {
		g.hits = append(g.hits, gathered{row: ri})
		i = int32(len(g.hits))
		g.slot[ri] = i
	}
	return &g.hits[i-1]
}

// maxHitBuf is the largest buffer kept for the next search (a query
// matching most of a huge index should not pin its buffer forever).
const maxHitBuf = 1 << 16

// done zeroes the slots and gives both back to the table.
func (g *gathering) done() {
	for _, h := range g.hits {
		g.slot[h.row] = 0
	}
	g.t.scratch.Put(g.slot)
	if cap(g.hits) <= maxHitBuf {
		*g.buf = g.hits
		g.t.hitBufs.Put(g.buf)
	}
}

// gathered is one document a search found: its row, how many of the
// query's words (matchWords) or clauses (walkClauses) it holds, the sum
// of their scores, and, in a walk of a search's words, what it holds of
// the word being walked.
type gathered struct {
	row   int
	n     int
	score float64
	word  wordScore
}

// row is one document's attributes. Codes index table.dict; 0 is "none".
type row struct {
	id                          string
	industry, maturity, region  uint32
	price, budgetMin, budgetMax int64
	published                   int64 // Unix milliseconds
	// The modes are held in the row (market has five), in moreModes only
	// when there are more: a slice of their own per row made every
	// filtered or counted match a cache miss.
	nModes    uint8
	modeCodes [inlineModes]uint32
	moreModes []uint32
}

const inlineModes = 5

// modes returns the row's mode codes.
func (r *row) modes() []uint32 {
	if r.moreModes != nil {
		return r.moreModes
	}
	return r.modeCodes[:r.nModes]
}

func (r *row) setModes(codes []uint32) {
	if len(codes) > inlineModes {
		r.moreModes = codes
		return
	}
	r.nModes = uint8(copy(r.modeCodes[:], codes))
}

// dictionary codes strings as small integers, 1-based.
type dictionary struct {
	codes  map[string]uint32
	values []string // values[code-1]
}

func (d *dictionary) code(v string) uint32 {
	if v == "" {
		return 0
	}
	if c, ok := d.codes[v]; ok {
		return c
	}
	if d.codes == nil {
		d.codes = map[string]uint32{}
	}
	d.values = append(d.values, v)
	c := uint32(len(d.values))
	d.codes[v] = c
	return c
}

func newTable() *table { return &table{byID: map[string]int{}} }

// put adds or replaces documents.
func (t *table) put(docs []search.Document) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rowsOf.Store(nil)
	for _, d := range docs {
		r := row{
			id:        d.ID,
			industry:  t.dict.code(d.Industry),
			maturity:  t.dict.code(d.Maturity),
			region:    t.dict.code(d.RegionCode),
			price:     d.PriceFen,
			budgetMin: d.BudgetMinFen,
			budgetMax: d.BudgetMaxFen,
			published: d.PublishedAt.UnixMilli(),
		}
		codes := make([]uint32, 0, len(d.Modes))
		for _, m := range d.Modes {
			codes = append(codes, t.dict.code(m))
		}
		r.setModes(codes)
		if i, ok := t.byID[d.ID]; ok {
			t.rows[i] = r
			continue
		}
		t.byID[d.ID] = len(t.rows)
		t.rows = append(t.rows, r)
	}
}

// remove deletes documents by ID; unknown IDs are ignored. The last row
// moves into the hole.
func (t *table) remove(ids []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rowsOf.Store(nil)
	for _, id := range ids {
		i, ok := t.byID[id]
		if !ok {
			continue
		}
		last := len(t.rows) - 1
		if i != last {
			t.rows[i] = t.rows[last]
			t.byID[t.rows[i].id] = i
		}
		t.rows[last] = row{}
		t.rows = t.rows[:last]
		delete(t.byID, id)
	}
}

func (t *table) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rows, t.byID = nil, map[string]int{}
}

// filter is a query's filters compiled against the dictionary.
type filter struct {
	// By dictionary code: whether the value passes; nil passes any. A
	// slice, not a map: a filter is tested on every match, and an index
	// into a slice costs a nanosecond where a map lookup costs tens.
	industry, maturity, modes, region []bool
	demand                            bool
	min, max                          *int64
}

// compile builds the filter of q. Call with t.mu held.
func (t *table) compile(q search.Query) filter {
	set := func(values []string) []bool {
		if len(values) == 0 {
			return nil
		}
		m := make([]bool, len(t.dict.values)+1)
		for _, v := range values {
			if c, ok := t.dict.codes[v]; ok {
				m[c] = true
			}
		}
		return m // possibly all false: nothing passes
	}
	return filter{
		industry: set(q.Industries),
		maturity: set(q.Maturities),
		modes:    set(q.Modes),
		region:   set(q.RegionCodes),
		demand:   q.Kind == search.KindDemand,
		min:      q.MinFen,
		max:      q.MaxFen,
	}
}

// any reports whether the filter restricts anything.
func (f *filter) any() bool {
	return f.industry != nil || f.maturity != nil || f.modes != nil || f.region != nil || f.min != nil || f.max != nil
}

func (f *filter) pass(r *row) bool {
	if f.industry != nil && !has(f.industry, r.industry) ||
		f.maturity != nil && !has(f.maturity, r.maturity) ||
		f.region != nil && !has(f.region, r.region) {
		return false
	}
	if f.modes != nil {
		ok := false
		for _, m := range r.modes() {
			if has(f.modes, m) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.demand {
		// The budget range [min, max] overlaps [MinFen, MaxFen].
		return (f.min == nil || r.budgetMax >= *f.min) && (f.max == nil || r.budgetMin <= *f.max)
	}
	return (f.min == nil || r.price >= *f.min) && (f.max == nil || r.price <= *f.max)
}

// has reports set[code]; a code added to the dictionary after the filter
// was compiled is not in the set.
func has(set []bool, code uint32) bool { return int(code) < len(set) && set[code] }

// counts accumulates facet counts, indexed by code.
type counts struct {
	industry, maturity, modes, region []int
}

// newCounts sizes counts for the dictionary. Call with t.mu held.
func (t *table) newCounts() *counts {
	n := len(t.dict.values) + 1
	return &counts{make([]int, n), make([]int, n), make([]int, n), make([]int, n)}
}

func (c *counts) add(r *row) {
	c.industry[r.industry]++
	c.maturity[r.maturity]++
	c.region[r.region]++
	for _, m := range r.modes() {
		c.modes[m]++
	}
}

// facets decodes the counts. Call with t.mu held.
func (t *table) facets(c *counts) map[string]map[string]int {
	decode := func(byCode []int) map[string]int {
		out := map[string]int{}
		for code, n := range byCode {
			if code != 0 && n != 0 {
				out[t.dict.values[code-1]] = n
			}
		}
		return out
	}
	return map[string]map[string]int{
		search.FacetIndustry:   decode(c.industry),
		search.FacetMaturity:   decode(c.maturity),
		search.FacetModes:      decode(c.modes),
		search.FacetRegionCode: decode(c.region),
	}
}

// hit is a candidate for the page: a row and its text score.
type hit struct {
	row *row
	// words is how many of the query's words the document holds: in
	// relevance order more words always rank first, then the score.
	words int
	score float64
}

// order ranks hits for one sort order; less(a, b) means a comes first.
// Every order ends on the ID, so equal keys come back the same way each
// time.
func order(q search.Query, hasText bool) func(a, b *hit) bool {
	price := func(r *row) int64 { return r.price }
	if q.Kind == search.KindDemand {
		price = func(r *row) int64 { return r.budgetMax }
	}
	newest := func(a, b *hit) bool {
		if a.row.published != b.row.published {
			return a.row.published > b.row.published
		}
		return strings.Compare(a.row.id, b.row.id) < 0
	}
	switch {
	case q.Sort == search.SortNewest || (q.Sort == "" && !hasText):
		return newest
	case q.Sort == search.SortPriceAsc:
		return func(a, b *hit) bool {
			if pa, pb := price(a.row), price(b.row); pa != pb {
				return pa < pb
			}
			return newest(a, b)
		}
	case q.Sort == search.SortPriceDesc:
		return func(a, b *hit) bool {
			if pa, pb := price(a.row), price(b.row); pa != pb {
				return pa > pb
			}
			return newest(a, b)
		}
	}
	return func(a, b *hit) bool {
		if a.words != b.words {
			return a.words > b.words
		}
		if a.score != b.score {
			return a.score > b.score
		}
		return newest(a, b)
	}
}

// topK keeps the k best hits seen, by less. Its heap has the worst kept
// hit on top so a better one can replace it.
type topK struct {
	k    int
	less func(a, b *hit) bool
	h    []hit
	cand hit // the hit being offered
}

// offer keeps h if it is among the k best so far. The heap is kept by
// hand (container/heap would box every hit in an interface).
func (t *topK) offer(h hit) {
	if len(t.h) < t.k {
		t.h = append(t.h, h)
		t.up(len(t.h) - 1)
		return
	}
	// Compared from a field, not from &h: a pointer to the argument
	// passed to less (a func value) would move every offered hit to the
	// heap, an allocation per match.
	t.cand = h
	if t.k > 0 && t.less(&t.cand, &t.h[0]) {
		t.h[0] = h
		t.down(0)
	}
}

// worse reports whether the hit at i ranks after the one at j: the worst
// is on top.
func (t *topK) worse(i, j int) bool { return t.less(&t.h[j], &t.h[i]) }

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.worse(i, p) {
			return
		}
		t.h[i], t.h[p] = t.h[p], t.h[i]
		i = p
	}
}

func (t *topK) down(i int) {
	n := len(t.h)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && t.worse(c+1, c) {
			c++
		}
		if !t.worse(c, i) {
			return
		}
		t.h[i], t.h[c] = t.h[c], t.h[i]
		i = c
	}
}

// sorted returns the kept hits, best first.
func (t *topK) sorted() []hit {
	out := make([]hit, len(t.h))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = t.h[0]
		last := len(t.h) - 1
		t.h[0] = t.h[last]
		t.h = t.h[:last]
		t.down(0)
	}
	return out
}
