package search

import (
	"unicode/utf8"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Sort orders accepted in Query.Sort. The empty string is relevance.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortPriceAsc  = "price_asc"  // achievements by asking price, demands by budget_max
	SortPriceDesc = "price_desc" // the reverse
)

// Paging limits shared by every engine.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	// MaxWindow bounds page*limit: engines rank at most this many hits.
	MaxWindow = 10000
	// MaxQueryRunes bounds the query text.
	MaxQueryRunes = 500
)

// Facet names, as they appear in Result.Facets.
const (
	FacetIndustry   = "industry"
	FacetMaturity   = "maturity"
	FacetModes      = "modes"
	FacetRegionCode = "region_code"
)

// FacetNames lists the facets every engine counts.
func FacetNames() []string {
	return []string{FacetIndustry, FacetMaturity, FacetModes, FacetRegionCode}
}

// Normalized returns q with its defaults applied (page 1, limit
// DefaultLimit, "relevance" spelled "") or an EINVALID error naming the
// first bad field. Engines call it first, so callers need not.
func (q Query) Normalized() (Query, error) {
	var p market.Problems
	if q.Kind != KindDemand && q.Kind != KindAchievement {
		p.Add("kind", "must be demand or achievement")
	}
	if utf8.RuneCountInString(q.Text) > MaxQueryRunes {
		p.Add("q", "must be at most %d characters", MaxQueryRunes)
	}
	switch q.Sort {
	case "", SortRelevance:
		q.Sort = ""
	case SortNewest, SortPriceAsc, SortPriceDesc:
	default:
		p.Add("sort", "must be one of relevance, newest, price_asc, price_desc")
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	switch {
	case q.Page < 0:
		p.Add("page", "must be 1 or more")
	case q.Limit < 0 || q.Limit > MaxLimit:
		p.Add("limit", "must be between 1 and %d", MaxLimit)
	case q.Page > MaxWindow/q.Limit: // page × limit > MaxWindow, without overflow
		p.Add("page", "only the first %d results can be paged through", MaxWindow)
	}
	if q.MinFen != nil && *q.MinFen < 0 {
		p.Add("min_fen", "must not be negative")
	}
	if q.MaxFen != nil && *q.MaxFen < 0 {
		p.Add("max_fen", "must not be negative")
	}
	if q.MinFen != nil && q.MaxFen != nil && *q.MinFen > *q.MaxFen {
		p.Add("max_fen", "must not be below min_fen")
	}
	q.Industries = compact(q.Industries)
	q.Maturities = compact(q.Maturities)
	q.Modes = compact(q.Modes)
	q.RegionCodes = compact(q.RegionCodes)
	return q, p.Err()
}

// compact drops empty and repeated values, keeping order.
func compact(values []string) []string {
	if len(values) == 0 {
		return nil
	}
	out := make([]string, 0, len(values))
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
