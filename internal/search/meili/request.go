package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// This file holds everything that turns our types into Meilisearch
// requests and back. It does no I/O, so it is tested without a server.

// Attribute names in the Meilisearch documents.
const (
	attrID        = "id"
	attrTitle     = "title"
	attrKeywords  = "keywords"
	attrBody      = "body"
	attrIndustry  = "industry"
	attrMaturity  = "maturity"
	attrModes     = "modes"
	attrRegion    = "region_code"
	attrOrgID     = "org_id"
	attrPrice     = "price_fen"
	attrBudgetMin = "budget_min_fen"
	attrBudgetMax = "budget_max_fen"
	attrPublished = "published_at" // Unix milliseconds, so it sorts as a number
)

// cropWords is the length of the body snippet, in Meilisearch words
// (a Chinese word is one to four characters).
const cropWords = 60

// maxQueryWords is how many words of a query Meilisearch reads; it
// ignores the rest.
const maxQueryWords = 10

// doc is one document as Meilisearch stores it. The kind is the index.
type doc struct {
	ID           string   `json:"id"`
	OrgID        string   `json:"org_id"`
	OrgName      string   `json:"org_name"`
	Title        string   `json:"title"`
	Keywords     []string `json:"keywords"`
	Body         string   `json:"body"`
	Industry     string   `json:"industry"`
	Modes        []string `json:"modes"`
	Maturity     string   `json:"maturity"`
	RegionCode   string   `json:"region_code"`
	PriceFen     int64    `json:"price_fen"`
	BudgetMinFen int64    `json:"budget_min_fen"`
	BudgetMaxFen int64    `json:"budget_max_fen"`
	PublishedAt  int64    `json:"published_at"`
	Deadline     string   `json:"deadline,omitempty"`
}

// indexUID names the index of kind k: prefix + kind, e.g. "techmarket_demand".
func indexUID(prefix string, k search.Kind) string { return prefix + string(k) }

// validUID reports whether s is a valid Meilisearch index uid or document
// id: ASCII letters, digits, '-' and '_', at most 400 bytes.
func validUID(s string) bool {
	if s == "" || len(s) > 400 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// indexSettings is what Setup applies to every index. Ranking puts "sort"
// first so an explicit sort order is strict, as on the other engines;
// without a sort it has no effect and relevance decides.
func indexSettings(lex *search.Lexicon) *meilisearch.Settings {
	return &meilisearch.Settings{
		SearchableAttributes: []string{attrTitle, attrKeywords, attrBody},
		FilterableAttributes: []string{attrIndustry, attrMaturity, attrModes, attrRegion, attrOrgID, attrPrice, attrBudgetMin, attrBudgetMax, attrPublished},
		SortableAttributes:   []string{attrPublished, attrPrice, attrBudgetMin, attrBudgetMax},
		RankingRules:         []string{"sort", "words", "typo", "proximity", "attribute", "exactness"},
		DisplayedAttributes:  []string{"*"},
		Synonyms:             lex.Synonyms(),
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled: true,
			// One typo from three characters: 清量化 finds 轻量化 (SPEC). The
			// size is counted in characters of a segmented word, so Latin
			// codes of three or four letters (AGV, BMS) tolerate one too,
			// ranked after exact matches by the typo rule; bleve keeps
			// Latin words exact below five letters.
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 3, TwoTypos: 9},
			// Codes and numbers are exact: 5G is not a typo of 4G.
			DisableOnAttributes: []string{},
			DisableOnWords:      []string{},
			DisableOnNumbers:    true,
		},
		// Chinese text is short and mixed with Latin codes; left to guess,
		// Meilisearch can take it for Japanese and segment it badly.
		LocalizedAttributes: []*meilisearch.LocalizedAttributes{{
			Locales:           []string{"zho"},
			AttributePatterns: []string{attrTitle, attrKeywords, attrBody},
		}},
		Pagination: &meilisearch.Pagination{MaxTotalHits: search.MaxWindow},
		Faceting: &meilisearch.Faceting{
			MaxValuesPerFacet: 200,
			SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeCount},
		},
	}
}

// quote renders v as a filter string literal: backslashes and double
// quotes are escaped with a backslash (Meilisearch ≥ 1.4 filter syntax).
func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// buildFilter renders the query's filters as one Meilisearch filter
// expression, "" when there are none.
func buildFilter(q search.Query) string {
	var parts []string
	in := func(attr string, values []string) {
		if len(values) == 0 {
			return
		}
		quoted := make([]string, len(values))
		for i, v := range values {
			quoted[i] = quote(v)
		}
		parts = append(parts, attr+" IN ["+strings.Join(quoted, ", ")+"]")
	}
	in(attrIndustry, q.Industries)
	in(attrMaturity, q.Maturities)
	in(attrModes, q.Modes)
	in(attrRegion, q.RegionCodes)
	cmp := func(attr, op string, v *int64) {
		if v != nil {
			parts = append(parts, attr+" "+op+" "+strconv.FormatInt(*v, 10))
		}
	}
	if q.Kind == search.KindDemand {
		// The budget range [min, max] overlaps [MinFen, MaxFen].
		cmp(attrBudgetMax, ">=", q.MinFen)
		cmp(attrBudgetMin, "<=", q.MaxFen)
	} else {
		cmp(attrPrice, ">=", q.MinFen)
		cmp(attrPrice, "<=", q.MaxFen)
	}
	return strings.Join(parts, " AND ")
}

// buildSort returns the sort parameter. Relevance without text has nothing
// to rank by and falls back to newest first, like the other engines.
func buildSort(q search.Query) []string {
	price := attrPrice
	if q.Kind == search.KindDemand {
		price = attrBudgetMax
	}
	switch q.Sort {
	case search.SortNewest:
		return []string{attrPublished + ":desc"}
	case search.SortPriceAsc:
		return []string{price + ":asc"}
	case search.SortPriceDesc:
		return []string{price + ":desc"}
	}
	if strings.TrimSpace(q.Text) == "" {
		return []string{attrPublished + ":desc"}
	}
	return nil
}

// pagination maps our 1-based page and limit onto Meilisearch's page and
// hitsPerPage, which (unlike offset/limit) give an exact total.
func pagination(q search.Query) (page, hitsPerPage int64) {
	return int64(max(q.Page, 1)), int64(max(q.Limit, 1))
}

// searchRequest builds the request for a normalised query.
func searchRequest(q search.Query) *meilisearch.SearchRequest {
	page, perPage := pagination(q)
	req := &meilisearch.SearchRequest{
		Page:                  page,
		HitsPerPage:           &perPage,
		Sort:                  buildSort(q),
		Facets:                search.FacetNames(),
		AttributesToHighlight: []string{attrTitle, attrBody},
		AttributesToCrop:      []string{attrBody},
		CropLength:            cropWords,
		CropMarker:            "…",
		HighlightPreTag:       "<em>",
		HighlightPostTag:      "</em>",
		// "last": documents with every word first, then fewer words
		// (SPEC: search never strands), as bleve's word count does.
		MatchingStrategy: meilisearch.Last,
		ShowRankingScore: true,
		Locales:          []string{"zho"},
	}
	if q.NoFacets {
		req.Facets = nil
	}
	if q.NoHighlights {
		req.AttributesToHighlight, req.AttributesToCrop = nil, nil
	}
	if q.MatchAny {
		// Meilisearch has no OR of words. "frequency" returns documents
		// with all words first, then drops the most common words first,
		// so a document holding any rare, telling term still comes back
		// ("last" would drop words from the end of the query only).
		req.MatchingStrategy = meilisearch.Frequency
	}
	if f := buildFilter(q); f != "" {
		req.Filter = f
	}
	return req
}

// queryText is the q parameter. A MatchAny query is cut to its first
// maxQueryWords words, which is all Meilisearch reads: callers (matching)
// put their most important terms first, and what is sent is what counts.
func queryText(q search.Query) string {
	if !q.MatchAny {
		return q.Text
	}
	words := strings.Fields(q.Text)
	// Related terms (the concept map's) fill what is left of the ten
	// words after the source's own.
	for _, r := range q.Related {
		words = append(words, strings.Fields(r)...)
	}
	return strings.Join(words[:min(len(words), maxQueryWords)], " ")
}

// toDocs converts documents to their Meilisearch form, refusing IDs that
// Meilisearch would reject.
func toDocs(docs []search.Document) ([]doc, error) {
	out := make([]doc, len(docs))
	for i, d := range docs {
		if !validUID(d.ID) {
			return nil, market.Invalid("id", "%q: only letters, digits, - and _ are allowed", d.ID)
		}
		out[i] = doc{
			ID: d.ID, OrgID: d.OrgID, OrgName: d.OrgName, Title: d.Title, Keywords: d.Keywords,
			Body: d.Body, Industry: d.Industry, Modes: d.Modes, Maturity: d.Maturity,
			RegionCode: d.RegionCode, PriceFen: d.PriceFen, BudgetMinFen: d.BudgetMinFen,
			BudgetMaxFen: d.BudgetMaxFen, PublishedAt: d.PublishedAt.UnixMilli(), Deadline: d.Deadline,
		}
	}
	return out, nil
}

// fromDoc is the inverse of toDocs for one document of kind k.
func fromDoc(k search.Kind, d doc) search.Document {
	return search.Document{
		ID: d.ID, Kind: k, OrgID: d.OrgID, OrgName: d.OrgName, Title: d.Title, Keywords: d.Keywords,
		Body: d.Body, Industry: d.Industry, Modes: d.Modes, Maturity: d.Maturity,
		RegionCode: d.RegionCode, PriceFen: d.PriceFen, BudgetMinFen: d.BudgetMinFen,
		BudgetMaxFen: d.BudgetMaxFen, PublishedAt: time.UnixMilli(d.PublishedAt).UTC(), Deadline: d.Deadline,
	}
}

// decodeHit turns one raw hit into a search.Hit.
func decodeHit(k search.Kind, h meilisearch.Hit) (search.Hit, error) {
	raw, err := json.Marshal(h)
	if err != nil {
		return search.Hit{}, err
	}
	var v struct {
		doc
		Formatted map[string]json.RawMessage `json:"_formatted"`
		Score     float64                    `json:"_rankingScore"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return search.Hit{}, err
	}
	hit := search.Hit{Document: fromDoc(k, v.doc), Score: v.Score, Formatted: map[string]string{}}
	for attr, text := range map[string]string{attrTitle: hit.Title, attrBody: hit.Body} {
		var marked string
		if json.Unmarshal(v.Formatted[attr], &marked) == nil && marked != "" {
			text = marked
		}
		hit.Formatted[attr] = escapeFormatted(text)
	}
	return hit, nil
}

// escapeFormatted makes a highlighted value safe HTML: everything is
// escaped but the <em></em> markers Meilisearch put in (Meilisearch does
// not escape the text it highlights).
func escapeFormatted(s string) string {
	return strings.NewReplacer("&lt;em&gt;", "<em>", "&lt;/em&gt;", "</em>").Replace(html.EscapeString(s))
}

// decodeFacets reads facetDistribution: {"industry": {"steel": 3}, ...}.
// Every facet name is present in the result, possibly empty.
func decodeFacets(raw json.RawMessage) (map[string]map[string]int, error) {
	dist := map[string]map[string]int{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &dist); err != nil {
			return nil, err
		}
	}
	out := make(map[string]map[string]int, len(dist))
	for _, f := range search.FacetNames() {
		out[f] = map[string]int{}
		for v, n := range dist[f] {
			out[f][v] = n
		}
	}
	return out, nil
}

// taskError returns nil for a task that succeeded and the reason
// otherwise. Tasks only fail on our mistakes or a server in trouble, so
// they are internal errors.
func taskError(t *meilisearch.Task) error {
	switch t.Status {
	case meilisearch.TaskStatusSucceeded:
		return nil
	case meilisearch.TaskStatusFailed:
		return &market.Error{
			Code:    market.EINTERNAL,
			Message: "search engine task failed",
			Err:     fmt.Errorf("task %d (%s on %s): %s: %s", t.UID, t.Type, t.IndexUID, t.Error.Code, t.Error.Message),
		}
	}
	return &market.Error{
		Code:    market.EINTERNAL,
		Message: "search engine task did not finish",
		Err:     fmt.Errorf("task %d (%s on %s) ended %s", t.UID, t.Type, t.IndexUID, t.Status),
	}
}

// mapError translates a client error: the server being unreachable, slow
// or failing is EUNAVAILABLE, anything else (a request we got wrong) is
// EINTERNAL. Errors that are already ours pass through.
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	var me *market.Error
	if errors.As(err, &me) {
		return err
	}
	unavailable := &market.Error{Code: market.EUNAVAILABLE, Message: "search engine unavailable", Err: fmt.Errorf("%s: %w", op, err)}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return unavailable
	}
	var ce *meilisearch.Error
	if errors.As(err, &ce) {
		switch {
		case ce.StatusCode == 401 || ce.StatusCode == 403,
			ce.APIError.Code == meilisearch.APIErrCodeInvalidAPIKey,
			ce.APIError.Code == meilisearch.APIErrCodeMissingAuthorizationHeader:
			// A wrong or missing key: the engine is unusable until the
			// configuration is fixed, which is not the client's fault.
			return &market.Error{Code: market.EUNAVAILABLE, Message: "search engine refused the API key", Err: fmt.Errorf("%s: %w", op, err)}
		case ce.ErrCode == meilisearch.CommunicationError,
			ce.ErrCode == meilisearch.TimeoutError,
			ce.ErrCode == meilisearch.MaxRetriesExceeded,
			ce.StatusCode >= 500,
			ce.StatusCode == 429:
			return unavailable
		case ce.APIError.Code == meilisearch.APIErrCodeIndexNotFound:
			return &market.Error{Code: market.EUNAVAILABLE, Message: "search index missing: run setup", Err: fmt.Errorf("%s: %w", op, err)}
		}
	}
	return &market.Error{Code: market.EINTERNAL, Message: "search engine request failed", Err: fmt.Errorf("%s: %w", op, err)}
}

// lacksSetup reports whether a search failed because its index is
// missing or lacks the settings Setup applies (an attribute that is not
// filterable or sortable).
func lacksSetup(err error) bool {
	var ce *meilisearch.Error
	if !errors.As(err, &ce) {
		return false
	}
	switch ce.APIError.Code {
	case meilisearch.APIErrCodeIndexNotFound:
		return true
	case meilisearch.APIErrCodeInvalidSearchFilter, meilisearch.APIErrCodeInvalidSearchSort, meilisearch.APIErrCodeInvalidSearchFacets:
		return strings.Contains(ce.APIError.Message, "not filterable") || strings.Contains(ce.APIError.Message, "not sortable")
	}
	return false
}

// isIndexNotFound reports whether err or a failed task says the index does
// not exist.
func isIndexNotFound(err error) bool {
	var ce *meilisearch.Error
	return errors.As(err, &ce) && ce.APIError.Code == meilisearch.APIErrCodeIndexNotFound
}
