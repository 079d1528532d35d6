package bleve

import (
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"

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

// maxUnits caps the query units so a pasted paragraph cannot build a query
// of thousands of clauses.
const maxUnits = 48

// textPlan is the text part of a query: its units analysed into variants,
// nil when the query has no text, and its terms (as the query analyzer
// emits them), which mark the highlights of the hits.
type textPlan struct {
	units    [][]variant
	matchAny bool
	terms    map[string]bool
}

// query builds the bleve query. common reports whether a token is in so
// many documents of a field that a loose (MatchAny) query should not walk
// its postings; it may be nil.
func (p textPlan) query(common func(field, token string) bool) query.Query {
	if p.matchAny {
		return anyQuery(p.units, common)
	}
	return allQuery(p.units)
}

// buildText turns the text of a normalised query into a bleve query; qa is
// the query analyzer. Filters, facets and sorting are not bleve's job here
// (see table).
func buildText(q search.Query, qa analysis.Analyzer) textPlan {
	units := search.SplitQuery(q.Text)
	if len(units) > maxUnits {
		units = units[:maxUnits]
	}
	if len(units) == 0 {
		return textPlan{}
	}
	variants := make([][]variant, len(units))
	terms := map[string]bool{}
	for i, u := range units {
		variants[i] = unitVariants(u, qa)
		for _, v := range variants[i] {
			for _, t := range v.tokens {
				terms[t] = true
			}
		}
	}
	return textPlan{units: variants, matchAny: q.MatchAny, terms: terms}
}

// variant is one wording of a query unit, the unit itself or a synonym,
// analysed into tokens, and its weight.
type variant struct {
	tokens []string
	boost  float64
}

func unitVariants(unit string, qa analysis.Analyzer) []variant {
	var out []variant
	for i, v := range search.Expand([]string{unit}) {
		var toks []string
		seen := map[string]bool{}
		for _, t := range qa.Analyze([]byte(v)) {
			if s := string(t.Term); !seen[s] {
				seen[s] = true
				toks = append(toks, s)
			}
		}
		if len(toks) == 0 {
			continue
		}
		b := 1.0
		if i > 0 {
			b = synonymBoost
		}
		out = append(out, variant{tokens: toks, boost: b})
	}
	return out
}

// allQuery requires every unit. A unit matches when any of its variants
// matches in any searchable field, and a variant matches when all its
// tokens (the bigrams of 铝合金: 铝合, 合金) are in that field.
func allQuery(units [][]variant) query.Query {
	parts := make([]query.Query, 0, len(units))
	for _, vs := range units {
		n := float64(len(vs) * len(fieldBoosts))
		var clauses []query.Query
		for _, v := range vs {
			for _, f := range fieldBoosts {
				// A disjunction multiplies its sum by matched/total
				// clauses; scaling by the clause count keeps a unit with
				// many synonyms from weighing less than one with none.
				clauses = append(clauses, tokensQuery(v.tokens, f.field, f.boost*v.boost*n))
			}
		}
		if len(clauses) == 0 {
			return bleve.NewMatchNoneQuery()
		}
		parts = append(parts, bleve.NewDisjunctionQuery(clauses...))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return bleve.NewConjunctionQuery(parts...)
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
// Clauses are deduplicated, one per distinct (field, wording) at its
// highest weight, which keeps a long matching query cheap. bleve scales
// the sum by the share of clauses matched, so documents sharing more
// terms rank higher. Single tokens that common reports are left out, as
// Lucene's cutoff frequency does: they are in so many documents that they
// rank little and cost most; when every token is common they all stay.
func anyQuery(units [][]variant, common func(field, token string) bool) query.Query {
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
	// A fixed clause order makes the floating-point sums, and so the
	// ranking, the same on every run.
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].field != keys[j].field {
			return keys[i].field < keys[j].field
		}
		return keys[i].tokens < keys[j].tokens
	})
	clauses := make([]query.Query, 0, len(keys))
	for _, k := range keys {
		if toks := tokens[k.tokens]; len(toks) > 1 || common == nil || !common(k.field, toks[0]) {
			clauses = append(clauses, tokensQuery(toks, k.field, weight[k]))
		}
	}
	if len(clauses) == 0 && common != nil {
		return anyQuery(units, nil)
	}
	if len(clauses) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	d := bleve.NewDisjunctionQuery(clauses...)
	d.SetMin(1)
	return d
}
