package bleve

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Relative weights of the searchable fields: a term in the title counts
// more than the same term in the keywords, which counts more than one in
// the body.
var fieldBoosts = []struct {
	field string
	boost float64
}{
	{fieldTitle, 3},
	{fieldKeywords, 2},
	{fieldBody, 1},
}

// synonymBoost scales a match through the thesaurus against a match of the
// words typed: both count, the exact wording a little more.
const synonymBoost = 0.7

// Weights of the other ways a query word can match: as a whole word of the
// document's segmentation (a bonus on top of its bigrams: 车身 in 白车身 but
// not in 汽车身份), with one wrong character (清量化 finds 轻量化), and, for
// documents that hold none of the words, through some of their bigrams.
const (
	wordBoost  = 1.0
	fuzzyBoost = 0.5
	looseBoost = 0.3
	// relatedBoost weighs a related term (Query.Related) of a MatchAny
	// query: a hint, worth less than a word the source says.
	relatedBoost = 0.5
	// conceptBoost weighs, in a search, a technology the concept map links
	// to a symptom the query names.
	conceptBoost = 0.4
)

// maxUnits caps the query units so a pasted paragraph cannot build a query
// of thousands of clauses.
const maxUnits = 48

// textPlan is the text part of a query, nil parts when the query has no
// text: one query per word of a search (a document's count of words matched
// ranks it first, SPEC "Search never answers an empty list"), the words
// whose parts find documents holding only parts of the words, and the
// query terms (as the query analyzer emits them), which mark the
// highlights of the hits.
type textPlan struct {
	units    [][]variant
	unitText []string
	related  []variant // MatchAny only: matched whole, at relatedBoost
	// wordings are each word's wordings as a search matches them (the
	// word, its synonyms, its corrections, its concepts), words the same
	// as one bleve query each (for searches that are not scored).
	wordings [][]variant
	words    []query.Query
	loose    [][]variant // the words as typed whose partial matches count
	matchAny bool
	terms    map[string]bool
	// qa is the query analyzer the plan was built with (set by withWords,
	// for likeQuery).
	qa analysis.Analyzer
}

// likeQuery matches the documents holding one of keywords whole; nil when
// none has a token. Each keyword is a whole wording behind a placeholder,
// as a MatchAny query's related terms are: 轻量化 finds 轻量化, not the
// 减量化 its bigram 量化 would.
func (p textPlan) likeQuery(keywords []string, common func(field, token string) bool) query.Query {
	if p.qa == nil {
		return nil
	}
	vs := []variant{{}}
	seen := map[string]bool{}
	for _, k := range keywords {
		if v, ok := analyzed(k, p.qa, 1); ok && !seen[k] {
			seen[k] = true
			vs = append(vs, v)
		}
	}
	if len(vs) == 1 {
		return nil
	}
	return anyQuery([][]variant{vs}, common)
}

// anyQuery builds the MatchAny query. common reports whether a token is in so
// many documents of a field that a loose query should not walk its
// postings; it may be nil.
func (p textPlan) anyQuery(common func(field, token string) bool) query.Query {
	return anyQuery(p.anyUnits(), common)
}

// anyUnits are the units of a MatchAny query, its related terms last.
func (p textPlan) anyUnits() [][]variant {
	units := p.units
	if len(p.related) > 0 {
		// A related term counts whole, like a synonym: put it behind a
		// placeholder first wording, which anyQuery cuts into tokens.
		units = append(append([][]variant(nil), units...), append([]variant{{}}, p.related...))
	}
	return units
}

// buildText turns the text of a normalised query into bleve queries; qa is
// the query analyzer and lex the vocabulary in force. Filters, facets and
// sorting are not bleve's job here (see table).
func buildText(q search.Query, qa analysis.Analyzer, lex *search.Lexicon) textPlan {
	units := lex.SplitQuery(q.Text)
	if len(units) > maxUnits {
		units = units[:maxUnits]
	}
	if len(units) == 0 {
		return textPlan{}
	}
	variants := make([][]variant, len(units))
	terms := map[string]bool{}
	for i, u := range units {
		variants[i] = unitVariants(u, qa, lex)
		for _, v := range variants[i] {
			for _, t := range v.tokens {
				terms[t] = true
			}
		}
	}
	p := textPlan{units: variants, unitText: units, matchAny: q.MatchAny, terms: terms}
	if !q.MatchAny {
		// A word the concept map knows as a symptom (异味, 拉稀) also
		// matches the technologies linked to it, below its own wordings.
		cm := search.Concepts()
		for i, u := range units {
			for li, term := range cm.Find(u) {
				if cm.Technology(li, term) {
					continue
				}
				for _, t := range cm.Terms(li) {
					if !cm.Technology(li, t) {
						continue
					}
					if v, ok := analyzed(t, qa, conceptBoost); ok {
						p.units[i] = append(p.units[i], v)
					}
				}
			}
		}
	}
	if q.MatchAny {
		for _, r := range q.Related[:min(len(q.Related), maxUnits)] {
			if v, ok := analyzed(r, qa, relatedBoost); ok {
				p.related = append(p.related, v)
				for _, t := range v.tokens {
					p.terms[t] = true
				}
			}
		}
	}
	return p
}

// withWords builds the per-word queries of a search on the index behind r:
// a word that no document holds as typed, and may hold a typo, also
// matches the words of the index one character away (清量化 → 轻量化),
// at fuzzyBoost, the most frequent first.
func (p textPlan) withWords(r index.IndexReader, qa analysis.Analyzer, lex *search.Lexicon) textPlan {
	if p.matchAny || p.units == nil {
		return p
	}
	p.qa = qa
	p.words = make([]query.Query, len(p.units))
	p.wordings = make([][]variant, len(p.units))
	loose := make([][]variant, 0, len(p.units))
	for i, u := range p.unitText {
		vs := p.units[i]
		if typoTolerant(u) && !known(r, u, vs) {
			// The word as typed is not in the index: its tokens would only
			// find other words (量化 of 清量化), so the corrections stand for it.
			for _, c := range corrections(r, u) {
				for _, v := range unitVariants(c, qa, lex) {
					v.boost *= fuzzyBoost
					vs = append(vs, v)
					for _, t := range v.tokens {
						p.terms[t] = true
					}
				}
			}
		}
		if len(vs) == len(p.units[i]) {
			loose = append(loose, vs)
		}
		p.words[i] = wordQuery(u, vs)
		p.wordings[i] = vs
	}
	p.loose = loose
	return p
}

// looseQuery is the query of the plan's partial matches on the index
// behind r (nil when there are none), without the tokens too common to
// walk there.
func (p textPlan) looseQuery(ctx context.Context, r index.IndexReader) query.Query {
	n, err := r.DocCount()
	if err != nil {
		n = 0 // no cutoff: the loose query is only slower
	}
	return looseQuery(p.loose, commonTokens(ctx, r, int(n)))
}

// homophone reports whether a and b, of the same length, differ in one
// character that sounds alike (soundsAlike).
func homophone(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	for i := range min(len(ra), len(rb)) {
		if ra[i] != rb[i] {
			return soundsAlike(ra[i], rb[i])
		}
	}
	return false
}

// maxCorrections caps the words a typo may stand for.
const maxCorrections = 3

// known reports whether some document may hold the word: it is a word of
// the segmented text, or each of its tokens is in some field.
func known(r index.IndexReader, unit string, vs []variant) bool {
	if termCount(r, fieldWords, unit) > 0 {
		return true
	}
	if len(vs) == 0 {
		return false
	}
	for _, f := range fieldBoosts {
		all := true
		for _, tok := range vs[0].tokens {
			if termCount(r, f.field, tok) == 0 {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func termCount(r index.IndexReader, field, term string) uint64 {
	tfr, err := r.TermFieldReader(context.Background(), []byte(term), field, false, false, false)
	if err != nil {
		return 0
	}
	defer tfr.Close()
	return tfr.Count()
}

// corrections returns the words of the index one character away from
// unit, of the same length, most frequent first; only those that sound
// like unit when there are any.
func corrections(r index.IndexReader, unit string) []string {
	fr, ok := r.(index.IndexReaderFuzzy)
	if !ok {
		return nil
	}
	d, err := fr.FieldDictFuzzy(fieldWords, unit, 1, "")
	if err != nil {
		return nil
	}
	defer d.Close()
	n := utf8.RuneCountInString(unit)
	var found, alike []*index.DictEntry
	for {
		e, err := d.Next()
		if err != nil || e == nil {
			break
		}
		if e.EditDistance == 1 && utf8.RuneCountInString(e.Term) == n {
			c := *e
			found = append(found, &c)
			if homophone(unit, e.Term) {
				alike = append(alike, &c)
			}
		}
	}
	if len(alike) > 0 {
		// A typo through a pinyin input method sounds like the word
		// meant: 清量化 is 轻量化, not 减量化.
		found = alike
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].Count != found[j].Count {
			return found[i].Count > found[j].Count
		}
		return found[i].Term < found[j].Term
	})
	out := make([]string, 0, maxCorrections)
	for _, e := range found[:min(len(found), maxCorrections)] {
		out = append(out, e.Term)
	}
	return out
}

// variant is one wording of a query unit, the unit itself or a synonym,
// analysed into tokens, and its weight.
type variant struct {
	tokens []string
	boost  float64
}

func unitVariants(unit string, qa analysis.Analyzer, lex *search.Lexicon) []variant {
	var out []variant
	for i, w := range lex.Expand([]string{unit}) {
		b := 1.0
		if i > 0 {
			b = synonymBoost
		}
		if v, ok := analyzed(w, qa, b); ok {
			out = append(out, v)
		}
	}
	return out
}

// analyzed is one wording cut into its distinct tokens, at weight boost;
// false when it has none.
func analyzed(wording string, qa analysis.Analyzer, boost float64) (variant, bool) {
	var toks []string
	seen := map[string]bool{}
	for _, t := range qa.Analyze([]byte(wording)) {
		if s := string(t.Term); !seen[s] {
			seen[s] = true
			toks = append(toks, s)
		}
	}
	return variant{tokens: toks, boost: boost}, len(toks) > 0
}

// wordQuery matches the documents that hold one query word: any of its
// wordings (the word, a synonym, a correction) with all its tokens in one
// field (the bigrams of 铝合金: 铝合, 合金), or the word whole in the
// segmented text.
func wordQuery(unit string, vs []variant) query.Query {
	var clauses []query.Query
	for _, v := range vs {
		for _, f := range fieldBoosts {
			clauses = append(clauses, tokensQuery(v.tokens, f.field, f.boost*v.boost))
		}
	}
	w := bleve.NewTermQuery(unit)
	w.SetField(fieldWords)
	w.SetBoost(wordBoost)
	clauses = append(clauses, w)
	return bleve.NewDisjunctionQuery(clauses...)
}

// typoTolerant reports whether a query word may match with one wrong
// character: Chinese words of three characters or more, Latin words of
// five letters or more; never words with digits (5G is not 4G).
func typoTolerant(unit string) bool {
	n, latin := 0, false
	for _, r := range unit {
		switch {
		case r >= '0' && r <= '9':
			return false
		case r < 0x80:
			latin = true
		}
		n++
	}
	if latin {
		return n >= 5
	}
	return n >= 3
}

// looseQuery matches documents holding any token of the words as typed,
// one clause per distinct (field, token): they rank after every document
// holding a whole word, so a query never comes back empty while listings
// share parts of its words. Tokens common reports (nil keeps all) are
// left out unless all are: a bigram in a twentieth of a large index (智能
// of 智能化) would walk thousands of postings for hits ranked after every
// other.
func looseQuery(units [][]variant, common func(field, token string) bool) query.Query {
	seen := map[string]bool{}
	var clauses []anyClause
	for _, vs := range units {
		if len(vs) == 0 || len(vs[0].tokens) < 2 {
			continue // a one-token word is matched whole or not at all
		}
		for _, tok := range vs[0].tokens {
			if seen[tok] {
				continue
			}
			seen[tok] = true
			for _, f := range fieldBoosts {
				clauses = append(clauses, anyClause{field: f.field, tokens: []string{tok}, weight: f.boost * looseBoost})
			}
		}
	}
	if len(clauses) == 0 {
		return nil
	}
	return disjunction(keepCommon(clauses, common))
}

func tokensQuery(tokens []string, field string, boost float64) query.Query {
	terms := make([]query.Query, len(tokens))
	for i, tok := range tokens {
		t := bleve.NewTermQuery(tok)
		t.SetField(field)
		t.SetBoost(boost)
		terms[i] = t
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return bleve.NewConjunctionQuery(terms...)
}

// anyQuery matches documents holding any unit, loosely: a unit matches
// through any of its tokens, because in Chinese the bigrams are the terms
// ("线路巡检" finds a text that says 输电线路 and 巡检 apart), and through
// any of its synonyms as a whole word (a synonym's bigrams alone, like the
// 材料 of 石墨烯材料, would say little).
// bleve scales the sum by the share of clauses matched, so documents
// sharing more terms rank higher. Single tokens that common reports are
// left out, as Lucene's cutoff frequency does: they are in so many
// documents that they rank little and cost most; when every token is
// common they all stay.
func anyQuery(units [][]variant, common func(field, token string) bool) query.Query {
	return disjunction(keepCommon(anyClauses(units), common))
}

// anyClause is one clause of a MatchAny query: its tokens, all in field,
// at weight.
type anyClause struct {
	field  string
	tokens []string
	weight float64
}

// anyClauses are the clauses of a MatchAny query, deduplicated, one per
// distinct (field, wording) at its highest weight, which keeps a long
// matching query cheap; in a fixed order, which makes the floating-point
// sums, and so the ranking, the same on every run.
func anyClauses(units [][]variant) []anyClause {
	type key struct{ field, tokens string }
	weight := map[key]float64{}
	tokens := map[string][]string{}
	add := func(toks []string, boost float64) {
		id := strings.Join(toks, " ")
		tokens[id] = toks
		for _, f := range fieldBoosts {
			k := key{f.field, id}
			weight[k] = max(weight[k], f.boost*boost)
		}
	}
	for _, vs := range units {
		for i, v := range vs {
			if i > 0 { // a synonym: whole
				add(v.tokens, v.boost)
				continue
			}
			for _, tok := range v.tokens {
				add([]string{tok}, v.boost)
			}
		}
	}
	keys := make([]key, 0, len(weight))
	for k := range weight {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].field != keys[j].field {
			return keys[i].field < keys[j].field
		}
		return keys[i].tokens < keys[j].tokens
	})
	out := make([]anyClause, len(keys))
	for i, k := range keys {
		out[i] = anyClause{field: k.field, tokens: tokens[k.tokens], weight: weight[k]}
	}
	return out
}

// keepCommon drops the single-token clauses common reports (nil keeps
// all), unless that would drop every clause.
func keepCommon(cs []anyClause, common func(field, token string) bool) []anyClause {
	if common == nil {
		return cs
	}
	kept := make([]anyClause, 0, len(cs))
	for _, c := range cs {
		if len(c.tokens) > 1 || !common(c.field, c.tokens[0]) {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		return cs
	}
	return kept
}

// disjunction matches documents holding any clause.
func disjunction(cs []anyClause) query.Query {
	if len(cs) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	clauses := make([]query.Query, len(cs))
	for i, c := range cs {
		clauses[i] = tokensQuery(c.tokens, c.field, c.weight)
	}
	d := bleve.NewDisjunctionQuery(clauses...)
	d.SetMin(1)
	return d
}
