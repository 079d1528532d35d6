package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

func fen(v int64) *int64 { return &v }

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		`automotive`:   `"automotive"`,
		`a"b`:          `"a\"b"`,
		`a\b`:          `"a\\b"`,
		`\"`:           `"\\\""`,
		`x" OR 1=1 "y`: `"x\" OR 1=1 \"y"`,
		`螺蛳粉`:          `"螺蛳粉"`,
		``:             `""`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestBuildFilter(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    search.Query
		want string
	}{
		{"none", search.Query{Kind: search.KindAchievement}, ""},
		{"one industry", search.Query{Kind: search.KindAchievement, Industries: []string{"steel"}},
			`industry IN ["steel"]`},
		{"every list", search.Query{
			Kind:        search.KindAchievement,
			Industries:  []string{"automotive", "steel"},
			Maturities:  []string{"pilot"},
			Modes:       []string{"license", "equity"},
			RegionCodes: []string{"450204"},
		}, `industry IN ["automotive", "steel"] AND maturity IN ["pilot"] AND modes IN ["license", "equity"] AND region_code IN ["450204"]`},
		{"escaped values", search.Query{Kind: search.KindDemand, RegionCodes: []string{`45"02`, `a\b`}},
			`region_code IN ["45\"02", "a\\b"]`},
		{"injection stays inside the string", search.Query{Kind: search.KindDemand, Industries: []string{`steel"] OR industry IN ["x`}},
			`industry IN ["steel\"] OR industry IN [\"x"]`},
		{"price range", search.Query{Kind: search.KindAchievement, MinFen: fen(100), MaxFen: fen(2000)},
			`price_fen >= 100 AND price_fen <= 2000`},
		{"price min only", search.Query{Kind: search.KindAchievement, MinFen: fen(0)}, `price_fen >= 0`},
		{"price max only", search.Query{Kind: search.KindAchievement, MaxFen: fen(5)}, `price_fen <= 5`},
		{"budget overlap", search.Query{Kind: search.KindDemand, MinFen: fen(100), MaxFen: fen(2000)},
			`budget_max_fen >= 100 AND budget_min_fen <= 2000`},
		{"budget min only", search.Query{Kind: search.KindDemand, MinFen: fen(7)}, `budget_max_fen >= 7`},
		{"budget max only", search.Query{Kind: search.KindDemand, MaxFen: fen(7)}, `budget_min_fen <= 7`},
		{"filters and range", search.Query{Kind: search.KindDemand, Industries: []string{"chemical"}, MaxFen: fen(9_000_000_000)},
			`industry IN ["chemical"] AND budget_min_fen <= 9000000000`},
	} {
		if got := buildFilter(tc.q); got != tc.want {
			t.Errorf("%s: buildFilter = %s\n want %s", tc.name, got, tc.want)
		}
	}
}

func TestBuildSort(t *testing.T) {
	for _, tc := range []struct {
		kind search.Kind
		sort string
		text string
		want []string
	}{
		{search.KindAchievement, "", "铝合金", nil},
		{search.KindAchievement, "", "", []string{"published_at:desc"}},
		{search.KindAchievement, "", "   ", []string{"published_at:desc"}},
		{search.KindAchievement, search.SortNewest, "铝合金", []string{"published_at:desc"}},
		{search.KindAchievement, search.SortPriceAsc, "", []string{"price_fen:asc"}},
		{search.KindAchievement, search.SortPriceDesc, "x", []string{"price_fen:desc"}},
		{search.KindDemand, search.SortPriceAsc, "", []string{"budget_max_fen:asc"}},
		{search.KindDemand, search.SortPriceDesc, "", []string{"budget_max_fen:desc"}},
		{search.KindDemand, search.SortNewest, "", []string{"published_at:desc"}},
	} {
		got := buildSort(search.Query{Kind: tc.kind, Sort: tc.sort, Text: tc.text})
		if !slices.Equal(got, tc.want) {
			t.Errorf("buildSort(%s, %q, %q) = %v, want %v", tc.kind, tc.sort, tc.text, got, tc.want)
		}
	}
}

func TestPagination(t *testing.T) {
	for _, tc := range []struct{ page, limit, wantPage, wantPer int }{
		{1, 20, 1, 20},
		{3, 10, 3, 10},
		{0, 0, 1, 1}, // not normalised: still a valid request
		{100, 100, 100, 100},
	} {
		p, n := pagination(search.Query{Page: tc.page, Limit: tc.limit})
		if p != int64(tc.wantPage) || n != int64(tc.wantPer) {
			t.Errorf("pagination(%d, %d) = %d, %d; want %d, %d", tc.page, tc.limit, p, n, tc.wantPage, tc.wantPer)
		}
	}
}

func TestSearchRequest(t *testing.T) {
	q, err := search.Query{Kind: search.KindAchievement, Text: "轻量化", Page: 2, Limit: 5, Industries: []string{"automotive"}}.Normalized()
	if err != nil {
		t.Fatal(err)
	}
	req := searchRequest(q)
	if req.Page != 2 || req.HitsPerPage == nil || *req.HitsPerPage != 5 || req.Offset != 0 || req.Limit != 0 {
		t.Errorf("paging: page %d hitsPerPage %v offset %d limit %d", req.Page, req.HitsPerPage, req.Offset, req.Limit)
	}
	if req.Filter != `industry IN ["automotive"]` {
		t.Errorf("filter %v", req.Filter)
	}
	if req.MatchingStrategy != meilisearch.Last {
		t.Errorf("strategy %q, want last", req.MatchingStrategy)
	}
	if !slices.Equal(req.Facets, []string{"industry", "maturity", "modes", "region_code"}) {
		t.Errorf("facets %v", req.Facets)
	}
	if req.HighlightPreTag != "<em>" || req.HighlightPostTag != "</em>" || !slices.Equal(req.AttributesToHighlight, []string{"title", "body"}) {
		t.Errorf("highlight %q %q %v", req.HighlightPreTag, req.HighlightPostTag, req.AttributesToHighlight)
	}
	if !slices.Equal(req.AttributesToCrop, []string{"body"}) || req.CropLength <= 0 {
		t.Errorf("crop %v %d", req.AttributesToCrop, req.CropLength)
	}
	if !req.ShowRankingScore {
		t.Error("ranking score not requested")
	}

	q.MatchAny, q.Industries = true, nil
	req = searchRequest(q)
	if req.MatchingStrategy != meilisearch.Frequency {
		t.Errorf("MatchAny strategy %q, want frequency", req.MatchingStrategy)
	}
	if req.Filter != nil {
		t.Errorf("no filters: Filter = %#v, want nil (omitted)", req.Filter)
	}
	if len(req.Facets) == 0 {
		t.Error("facets dropped without NoFacets")
	}
	q.NoFacets = true
	if req := searchRequest(q); req.Facets != nil {
		t.Errorf("NoFacets: facets %v", req.Facets)
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), `"filter"`) {
		t.Errorf("request JSON carries a filter: %s", body)
	}
}

func TestIndexSettings(t *testing.T) {
	s := indexSettings(search.Builtin())
	if !slices.Equal(s.SearchableAttributes, []string{"title", "keywords", "body"}) {
		t.Errorf("searchable %v: title must rank over keywords over body", s.SearchableAttributes)
	}
	for _, a := range []string{"industry", "maturity", "modes", "region_code", "price_fen", "budget_min_fen", "budget_max_fen"} {
		if !slices.Contains(s.FilterableAttributes, a) {
			t.Errorf("%s is not filterable", a)
		}
	}
	if !slices.Equal(s.SortableAttributes, []string{"published_at", "price_fen", "budget_min_fen", "budget_max_fen"}) {
		t.Errorf("sortable %v", s.SortableAttributes)
	}
	if s.RankingRules[0] != "sort" || !slices.Contains(s.RankingRules, "words") || !slices.Contains(s.RankingRules, "attribute") {
		t.Errorf("ranking rules %v", s.RankingRules)
	}
	if got := s.Synonyms["减重"]; !slices.Contains(got, "轻量化") {
		t.Errorf("synonyms of 减重 = %v, want 轻量化 among them", got)
	}
	if len(s.Synonyms) < 200 {
		t.Errorf("only %d synonym entries", len(s.Synonyms))
	}
	if s.TypoTolerance == nil || !s.TypoTolerance.Enabled || !s.TypoTolerance.DisableOnNumbers {
		t.Errorf("typo tolerance %+v", s.TypoTolerance)
	}
	if s.Pagination == nil || s.Pagination.MaxTotalHits < search.MaxWindow {
		t.Errorf("pagination %+v", s.Pagination)
	}
	if _, err := json.Marshal(s); err != nil {
		t.Errorf("settings do not encode: %v", err)
	}
}

func TestDocumentRoundTrip(t *testing.T) {
	in := search.Document{
		ID: "01JD-x_9", Kind: search.KindDemand, OrgID: "o", OrgName: "柳工", Title: "t", Keywords: []string{"k"},
		Body: "b", Industry: "machinery", Modes: []string{"service"}, RegionCode: "450205",
		BudgetMinFen: 1, BudgetMaxFen: 2, PublishedAt: time.Date(2026, 11, 26, 8, 30, 0, 123e6, time.UTC),
	}
	docs, err := toDocs([]search.Document{in})
	if err != nil {
		t.Fatal(err)
	}
	if docs[0].PublishedAt != in.PublishedAt.UnixMilli() {
		t.Errorf("published_at %d", docs[0].PublishedAt)
	}
	if out := fromDoc(search.KindDemand, docs[0]); !reflect.DeepEqual(out, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
	for _, bad := range []string{"", "a b", "中文", "a/b", strings.Repeat("x", 401)} {
		if _, err := toDocs([]search.Document{{ID: bad}}); market.ErrorCode(err) != market.EINVALID {
			t.Errorf("toDocs(ID %q) = %v, want %s", bad, err, market.EINVALID)
		}
	}
}

func TestDecodeHit(t *testing.T) {
	raw := `{"id":"a1","title":"铝合金车身","body":"长文本","keywords":["铝合金"],"industry":"automotive",
		"modes":["transfer"],"price_fen":300,"published_at":1767225600000,"_rankingScore":0.87,
		"_formatted":{"id":"a1","title":"<em>铝合金</em>车身","body":"…<em>长</em>文本","keywords":["<em>铝合金</em>"],"price_fen":"300"}}`
	var h meilisearch.Hit
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		t.Fatal(err)
	}
	hit, err := decodeHit(search.KindAchievement, h)
	if err != nil {
		t.Fatal(err)
	}
	if hit.ID != "a1" || hit.Kind != search.KindAchievement || hit.PriceFen != 300 || hit.Score != 0.87 {
		t.Errorf("hit %+v", hit)
	}
	if !hit.PublishedAt.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("published %v", hit.PublishedAt)
	}
	if hit.Formatted["title"] != "<em>铝合金</em>车身" || hit.Formatted["body"] != "…<em>长</em>文本" {
		t.Errorf("formatted %v", hit.Formatted)
	}

	// Markup in the text is escaped, the highlight markers are not.
	var markup meilisearch.Hit
	if err := json.Unmarshal([]byte(`{"id":"a3","title":"A<b>&","_formatted":{"title":"<em>A</em><b>&"}}`), &markup); err != nil {
		t.Fatal(err)
	}
	if hit, err := decodeHit(search.KindAchievement, markup); err != nil || hit.Formatted["title"] != "<em>A</em>&lt;b&gt;&amp;" || hit.Title != "A<b>&" {
		t.Errorf("markup hit %+v, %v", hit, err)
	}

	// Without _formatted the plain text stands in.
	var plain meilisearch.Hit
	if err := json.Unmarshal([]byte(`{"id":"a2","title":"T","body":"B"}`), &plain); err != nil {
		t.Fatal(err)
	}
	hit, err = decodeHit(search.KindAchievement, plain)
	if err != nil || hit.Formatted["title"] != "T" || hit.Formatted["body"] != "B" {
		t.Errorf("plain hit %+v, %v", hit, err)
	}
}

func TestDecodeFacets(t *testing.T) {
	got, err := decodeFacets(json.RawMessage(`{"industry":{"steel":3,"automotive":1},"modes":{"license":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{
		"industry":    {"steel": 3, "automotive": 1},
		"maturity":    {},
		"modes":       {"license": 2},
		"region_code": {},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decodeFacets = %v, want %v", got, want)
	}
	if got, err := decodeFacets(nil); err != nil || len(got) != 4 {
		t.Errorf("decodeFacets(nil) = %v, %v", got, err)
	}
	if _, err := decodeFacets(json.RawMessage(`{"industry":[1]}`)); err == nil {
		t.Error("decodeFacets accepted a malformed distribution")
	}
}

func TestTaskError(t *testing.T) {
	if err := taskError(&meilisearch.Task{Status: meilisearch.TaskStatusSucceeded}); err != nil {
		t.Errorf("succeeded: %v", err)
	}
	failed := &meilisearch.Task{UID: 7, Status: meilisearch.TaskStatusFailed, Type: "settingsUpdate", IndexUID: "x_demand",
		Error: meilisearch.APIErrorDetails{Code: "invalid_settings_synonyms", Message: "bad synonyms"}}
	err := taskError(failed)
	if market.ErrorCode(err) != market.EINTERNAL || !strings.Contains(err.Error(), "bad synonyms") || !strings.Contains(err.Error(), "invalid_settings_synonyms") {
		t.Errorf("failed task: %v", err)
	}
	if err := taskError(&meilisearch.Task{Status: meilisearch.TaskStatusCanceled}); market.ErrorCode(err) != market.EINTERNAL {
		t.Errorf("canceled task: %v", err)
	}
}

func TestMapError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"connection refused", &meilisearch.Error{ErrCode: meilisearch.CommunicationError, OriginError: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, market.EUNAVAILABLE},
		{"timeout", &meilisearch.Error{ErrCode: meilisearch.TimeoutError, OriginError: context.DeadlineExceeded}, market.EUNAVAILABLE},
		{"retries exhausted", &meilisearch.Error{ErrCode: meilisearch.MaxRetriesExceeded}, market.EUNAVAILABLE},
		{"server error", &meilisearch.Error{ErrCode: meilisearch.APIError, StatusCode: 500}, market.EUNAVAILABLE},
		{"rate limited", &meilisearch.Error{ErrCode: meilisearch.APIError, StatusCode: 429}, market.EUNAVAILABLE},
		{"index missing", &meilisearch.Error{ErrCode: meilisearch.APIError, StatusCode: 404, APIError: meilisearch.APIErrorDetails{Code: meilisearch.APIErrCodeIndexNotFound}}, market.EUNAVAILABLE},
		{"bad filter", &meilisearch.Error{ErrCode: meilisearch.APIError, StatusCode: 400, APIError: meilisearch.APIErrorDetails{Code: "invalid_search_filter"}}, market.EINTERNAL},
		{"bad key", &meilisearch.Error{ErrCode: meilisearch.APIError, StatusCode: 403, APIError: meilisearch.APIErrorDetails{Code: meilisearch.APIErrCodeInvalidAPIKey}}, market.EUNAVAILABLE},
		{"no key", &meilisearch.Error{ErrCode: meilisearch.APIError, StatusCode: 401, APIError: meilisearch.APIErrorDetails{Code: meilisearch.APIErrCodeMissingAuthorizationHeader}}, market.EUNAVAILABLE},
		{"bad request", &meilisearch.Error{ErrCode: meilisearch.APIError, StatusCode: 400, APIError: meilisearch.APIErrorDetails{Code: "invalid_document_id"}}, market.EINTERNAL},
		{"context", fmt.Errorf("x: %w", context.DeadlineExceeded), market.EUNAVAILABLE},
		{"ours", market.Invalid("id", "bad"), market.EINVALID},
		{"other", errors.New("boom"), market.EINTERNAL},
	} {
		err := mapError("op", tc.err)
		if code := market.ErrorCode(err); code != tc.want {
			t.Errorf("%s: code %q, want %q (%v)", tc.name, code, tc.want, err)
		}
		if tc.want != market.EINVALID && !errors.Is(err, tc.err) {
			t.Errorf("%s: cause lost: %v", tc.name, err)
		}
	}
	if mapError("op", nil) != nil {
		t.Error("mapError(nil) != nil")
	}
}

// Meilisearch reads the first 10 words of a query: a MatchAny query is cut
// to them (the caller's most important first); a normal query is sent as
// typed.
func TestQueryText(t *testing.T) {
	long := "轻量化 铝合金 碳纤维 热冲压 车身 底盘 减重 压铸 挤压 焊接 涂装 总装"
	q := search.Query{Kind: search.KindAchievement, Text: long, MatchAny: true}
	if got := queryText(q); got != "轻量化 铝合金 碳纤维 热冲压 车身 底盘 减重 压铸 挤压 焊接" {
		t.Errorf("MatchAny query %q", got)
	}
	q.Text = "  AGV   导航 "
	if got := queryText(q); got != "AGV 导航" {
		t.Errorf("short MatchAny query %q", got)
	}
	q.MatchAny, q.Text = false, long
	if got := queryText(q); got != long {
		t.Errorf("plain query %q", got)
	}
}

func TestLacksSetup(t *testing.T) {
	api := func(code meilisearch.APIErrCode, msg string) error {
		return &meilisearch.Error{ErrCode: meilisearch.APIError, StatusCode: 400, APIError: meilisearch.APIErrorDetails{Code: code, Message: msg}}
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{api(meilisearch.APIErrCodeIndexNotFound, "Index `x` not found."), true},
		{api(meilisearch.APIErrCodeInvalidSearchFilter, "Attribute `industry` is not filterable. This index does not have configured filterable attributes."), true},
		{api(meilisearch.APIErrCodeInvalidSearchSort, "Attribute `price_fen` is not sortable."), true},
		{api(meilisearch.APIErrCodeInvalidSearchFacets, "Invalid facet distribution, attribute `modes` is not filterable."), true},
		{api(meilisearch.APIErrCodeInvalidSearchFilter, "Was expecting an operation `=`, `!=`, ..."), false},
		{errors.New("boom"), false},
	} {
		if got := lacksSetup(tc.err); got != tc.want {
			t.Errorf("lacksSetup(%v) = %v", tc.err, got)
		}
	}
}

func TestIndexUIDs(t *testing.T) {
	if got := indexUID("t_ab12_", search.KindDemand); got != "t_ab12_demand" {
		t.Errorf("indexUID = %q", got)
	}
	for s, want := range map[string]bool{"techmarket_demand": true, "A-b_9": true, "": false, "a.b": false, "a b": false, "索引": false} {
		if validUID(s) != want {
			t.Errorf("validUID(%q) = %v", s, !want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		url  string
		opts []Option
	}{
		{"", nil},
		{"localhost:7700", nil},
		{"ftp://x", nil},
		{"http://x", []Option{WithIndexPrefix("bad prefix")}},
		{"http://x", []Option{WithBatchSize(0)}},
		{"http://x", []Option{WithRequestTimeout(-1)}},
	} {
		if _, err := New(tc.url, "", tc.opts...); err == nil {
			t.Errorf("New(%q) accepted", tc.url)
		}
	}
	e, err := New("http://127.0.0.1:7700", "k", WithIndexPrefix("t_"))
	if err != nil || e.IndexUID(search.KindAchievement) != "t_achievement" {
		t.Errorf("New: %v %v", e, err)
	}
}

// An unreachable server is EUNAVAILABLE, and quickly: nothing listens on
// the port of a listener we just closed.
func TestUnreachableIsUnavailableQuickly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e, err := New("http://"+addr, "", WithRequestTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	for name, err := range map[string]error{
		"Ping":   e.Ping(ctx),
		"Setup":  e.Setup(ctx),
		"Upsert": e.Upsert(ctx, []search.Document{{ID: "a", Kind: search.KindDemand}}),
		"Delete": e.Delete(ctx, search.KindDemand, []string{"a"}),
		"Search": func() error { _, err := e.Search(ctx, search.Query{Kind: search.KindDemand, Text: "x"}); return err }(),
	} {
		if code := market.ErrorCode(err); code != market.EUNAVAILABLE {
			t.Errorf("%s: %v (code %q), want %s", name, err, code, market.EUNAVAILABLE)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to report an unreachable server", d)
	}
}

func TestQueryTextRelated(t *testing.T) {
	q := search.Query{Kind: search.KindAchievement, Text: "车身 偏重", MatchAny: true, Related: []string{"轻量化", "复合材料"}}
	if got := queryText(q); got != "车身 偏重 轻量化 复合材料" {
		t.Errorf("queryText = %q, want the source's words, then the related terms", got)
	}
	q.Related = make([]string, 20)
	for i := range q.Related {
		q.Related[i] = fmt.Sprintf("词%d", i)
	}
	if got := strings.Fields(queryText(q)); len(got) != maxQueryWords || got[0] != "车身" {
		t.Errorf("queryText = %v, want the first %d words, the source's first", got, maxQueryWords)
	}
}

func TestDeadlineRoundTrip(t *testing.T) {
	d := search.Document{ID: "d1", Kind: search.KindDemand, Title: "t", Deadline: "2027-03-31", PublishedAt: time.UnixMilli(1700000000000).UTC()}
	docs, err := toDocs([]search.Document{d})
	if err != nil {
		t.Fatal(err)
	}
	if got := fromDoc(search.KindDemand, docs[0]); got.Deadline != "2027-03-31" {
		t.Errorf("deadline after a round trip = %q", got.Deadline)
	}
}
