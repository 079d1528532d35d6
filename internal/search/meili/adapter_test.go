package meili

// Unit tests of what the adapter sends through its HTTP client, end to
// end: an httptest server records every request and answers the way the
// Meilisearch API documents. It checks requests, not Meilisearch's
// behaviour: the shared suite (engine_test.go) needs a real server.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// request is one request the recorder received.
type request struct {
	Method, Path, Query, Auth string
	Body                      []byte
}

func (r request) String() string { return r.Method + " " + r.Path }

// recorder plays a Meilisearch server: it keeps which indexes exist,
// numbers tasks, and answers searches with search (or fails them).
type recorder struct {
	t   *testing.T
	key string

	mu        sync.Mutex
	requests  []request
	indexes   map[string]bool
	nextTask  int64
	failTasks map[int64]string // task uid -> error code
	// failDocs makes every document task fail with this code.
	failDocs string
	// searchErr, when set, is answered to searches: status and body.
	searchErr     func() (int, string)
	searchAnswer  string
	hangSearch    bool
	hangVersion   bool
	settingsCalls int
}

func newRecorder(t *testing.T, existing ...string) (*recorder, *Engine) {
	rec := &recorder{t: t, key: "master-key", indexes: map[string]bool{}, failTasks: map[int64]string{},
		searchAnswer: `{"hits":[],"totalHits":0,"page":1,"hitsPerPage":20,"totalPages":0,"processingTimeMs":1,"facetDistribution":{}}`}
	for _, uid := range existing {
		rec.indexes[uid] = true
	}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	e, err := New(srv.URL, "master-key", WithIndexPrefix("t_"), WithBatchSize(2), withHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return rec, e
}

func (rec *recorder) task(w http.ResponseWriter, uid, typ string) {
	rec.nextTask++
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"taskUid":%d,"indexUid":%q,"status":"enqueued","type":%q}`, rec.nextTask, uid, typ)
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q,"code":%q,"type":"invalid_request","link":""}`, msg, code)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.requests = append(rec.requests, request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: body})
	hangSearch, hangVersion := rec.hangSearch, rec.hangVersion
	rec.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+rec.key {
		apiError(w, http.StatusForbidden, "invalid_api_key", "The provided API key is invalid.")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if (hangSearch && len(parts) == 3 && parts[2] == "search") || (hangVersion && r.URL.Path == "/version") {
		<-r.Context().Done() // a server that does not answer
		return
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && r.URL.Path == "/version":
		fmt.Fprint(w, `{"commitSha":"abc","commitDate":"2026-01-01","pkgVersion":"1.18.0"}`)
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "tasks":
		var uid int64
		fmt.Sscan(parts[1], &uid)
		if code := rec.failTasks[uid]; code != "" {
			fmt.Fprintf(w, `{"uid":%d,"status":"failed","type":"documentAdditionOrUpdate","indexUid":"x","error":{"message":"refused: %s","code":%q,"type":"invalid_request","link":""}}`, uid, code, code)
			return
		}
		fmt.Fprintf(w, `{"uid":%d,"status":"succeeded","type":"x","indexUid":"x"}`, uid)
	case r.Method == "POST" && r.URL.Path == "/indexes":
		var cfg struct {
			UID        string `json:"uid"`
			PrimaryKey string `json:"primaryKey"`
		}
		_ = json.Unmarshal(body, &cfg)
		rec.task(w, cfg.UID, "indexCreation")
		if rec.indexes[cfg.UID] {
			rec.failTasks[rec.nextTask] = "index_already_exists"
		}
		rec.indexes[cfg.UID] = true
	case r.Method == "POST" && r.URL.Path == "/swap-indexes":
		rec.task(w, "", "indexSwap")
	case len(parts) >= 2 && parts[0] == "indexes":
		uid := parts[1]
		rest := strings.Join(parts[2:], "/")
		switch {
		case r.Method == "GET" && rest == "":
			if !rec.indexes[uid] {
				apiError(w, http.StatusNotFound, "index_not_found", "Index `"+uid+"` not found.")
				return
			}
			fmt.Fprintf(w, `{"uid":%q,"primaryKey":"id"}`, uid)
		case r.Method == "DELETE" && rest == "":
			if !rec.indexes[uid] {
				apiError(w, http.StatusNotFound, "index_not_found", "Index `"+uid+"` not found.")
				return
			}
			delete(rec.indexes, uid)
			rec.task(w, uid, "indexDeletion")
		case r.Method == "PATCH" && rest == "settings":
			rec.settingsCalls++
			rec.task(w, uid, "settingsUpdate")
		case r.Method == "POST" && rest == "documents":
			rec.indexes[uid] = true // as Meilisearch does: created with default settings
			rec.task(w, uid, "documentAdditionOrUpdate")
			if rec.failDocs != "" {
				rec.failTasks[rec.nextTask] = rec.failDocs
			}
		case r.Method == "POST" && rest == "documents/delete-batch":
			rec.task(w, uid, "documentDeletion")
		case r.Method == "POST" && rest == "search":
			if rec.searchErr != nil {
				status, msg := rec.searchErr()
				if status != 0 {
					w.WriteHeader(status)
					fmt.Fprint(w, msg)
					return
				}
			}
			fmt.Fprint(w, rec.searchAnswer)
		default:
			rec.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotImplemented)
		}
	default:
		rec.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotImplemented)
	}
}

// sent returns the requests so far and forgets them.
func (rec *recorder) sent() []request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.requests
	rec.requests = nil
	return out
}

func names(rs []request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

func achievement(id string, price int64) search.Document {
	return search.Document{ID: id, Kind: search.KindAchievement, OrgID: "o1", OrgName: "广西某大学", Title: "铝合金车身" + id,
		Keywords: []string{"轻量化"}, Body: "汽车零部件", Industry: "automotive", Modes: []string{"license"}, Maturity: "pilot",
		RegionCode: "450205", PriceFen: price, PublishedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
}

// Upsert of N documents of a kind whose index exists: one check of the
// index, ceil(N/batch) document requests with the documents as JSON, and
// a wait on every task.
func TestUpsertSendsBatchesAndWaitsUnit(t *testing.T) {
	rec, e := newRecorder(t, "t_achievement", "t_demand")
	var docs []search.Document
	for i := range 5 {
		docs = append(docs, achievement(fmt.Sprintf("a%d", i), int64(100*i)))
	}
	docs = append(docs, search.Document{ID: "d1", Kind: search.KindDemand, Title: "需求", BudgetMinFen: 5, BudgetMaxFen: 9})
	if err := e.Upsert(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	got := rec.sent()
	want := []string{"GET /indexes/t_achievement", "GET /indexes/t_demand",
		"POST /indexes/t_demand/documents",
		"POST /indexes/t_achievement/documents", "POST /indexes/t_achievement/documents", "POST /indexes/t_achievement/documents",
		"GET /tasks/1", "GET /tasks/2", "GET /tasks/3", "GET /tasks/4"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("requests\n %v\nwant\n %v", names(got), want)
	}
	var sizes []int
	for _, r := range got {
		if r.Auth != "Bearer master-key" {
			t.Errorf("%s sent Authorization %q", r, r.Auth)
		}
		if !strings.HasSuffix(r.Path, "/documents") {
			continue
		}
		if r.Query != "primaryKey=id" {
			t.Errorf("%s query %q, want primaryKey=id", r, r.Query)
		}
		var batch []map[string]any
		if err := json.Unmarshal(r.Body, &batch); err != nil {
			t.Fatalf("%s body %s: %v", r, r.Body, err)
		}
		sizes = append(sizes, len(batch))
		if strings.Contains(r.Path, "achievement") && len(batch) > 0 && batch[0]["id"] == "a0" {
			want := map[string]any{
				"id": "a0", "org_id": "o1", "org_name": "广西某大学", "title": "铝合金车身a0", "keywords": []any{"轻量化"},
				"body": "汽车零部件", "industry": "automotive", "modes": []any{"license"}, "maturity": "pilot",
				"region_code": "450205", "price_fen": float64(0), "budget_min_fen": float64(0), "budget_max_fen": float64(0),
				"published_at": float64(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC).UnixMilli()),
			}
			if !reflect.DeepEqual(batch[0], want) {
				t.Errorf("first document\n %v\nwant\n %v", batch[0], want)
			}
		}
	}
	if !slices.Equal(sizes, []int{1, 2, 2, 1}) {
		t.Errorf("batch sizes %v, want [1 2 2 1]", sizes)
	}
}

// A failed indexing task is an error naming the task's code and message.
func TestUpsertSurfacesFailedTaskUnit(t *testing.T) {
	rec, e := newRecorder(t, "t_achievement", "t_demand")
	rec.failDocs = "invalid_document_fields"
	err := e.Upsert(context.Background(), []search.Document{achievement("a1", 1)})
	if market.ErrorCode(err) != market.EINTERNAL || !strings.Contains(err.Error(), "invalid_document_fields") {
		t.Fatalf("Upsert with a failing task: %v", err)
	}
}

// A write to a missing index (dropped while we ran, or never set up)
// creates it with its settings before any document is sent: documents
// must never create an index with Meilisearch's defaults.
func TestUpsertSetsUpAMissingIndexUnit(t *testing.T) {
	rec, e := newRecorder(t, "t_demand")
	if err := e.Upsert(context.Background(), []search.Document{achievement("a1", 1)}); err != nil {
		t.Fatal(err)
	}
	got := names(rec.sent())
	want := []string{"GET /indexes/t_achievement",
		"POST /indexes", "GET /tasks/1", "PATCH /indexes/t_demand/settings", "GET /tasks/2",
		"POST /indexes", "GET /tasks/3", "PATCH /indexes/t_achievement/settings", "GET /tasks/4",
		"POST /indexes/t_achievement/documents", "GET /tasks/5"}
	if !slices.Equal(got, want) {
		t.Fatalf("requests\n %v\nwant\n %v", got, want)
	}
	// The index now exists: the next write only checks it.
	if err := e.Upsert(context.Background(), []search.Document{achievement("a2", 1)}); err != nil {
		t.Fatal(err)
	}
	if got := names(rec.sent()); !slices.Equal(got, []string{"GET /indexes/t_achievement", "POST /indexes/t_achievement/documents", "GET /tasks/6"}) {
		t.Fatalf("second write: %v", got)
	}
}

// The settings Setup sends, as JSON.
func TestSettingsRequestBodyUnit(t *testing.T) {
	rec, e := newRecorder(t)
	if err := e.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	var settings map[string]json.RawMessage
	var create []string
	for _, r := range rec.sent() {
		switch {
		case r.Path == "/indexes":
			create = append(create, string(r.Body))
		case strings.HasSuffix(r.Path, "/settings"):
			if err := json.Unmarshal(r.Body, &settings); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(create, []string{`{"uid":"t_demand","primaryKey":"id"}`, `{"uid":"t_achievement","primaryKey":"id"}`}) {
		t.Errorf("index creation bodies %v", create)
	}
	for key, want := range map[string]string{
		"searchableAttributes": `["title","keywords","body"]`,
		"filterableAttributes": `["industry","maturity","modes","region_code","org_id","price_fen","budget_min_fen","budget_max_fen","published_at"]`,
		"sortableAttributes":   `["published_at","price_fen","budget_min_fen","budget_max_fen"]`,
		"rankingRules":         `["sort","words","typo","proximity","attribute","exactness"]`,
		"pagination":           `{"maxTotalHits":10000}`,
		"localizedAttributes":  `[{"locales":["zho"],"attributePatterns":["title","keywords","body"]}]`,
	} {
		if got := string(settings[key]); got != want {
			t.Errorf("%s = %s\n want %s", key, got, want)
		}
	}
	var syn map[string][]string
	if err := json.Unmarshal(settings["synonyms"], &syn); err != nil || !slices.Contains(syn["减重"], "轻量化") {
		t.Errorf("synonyms: %d terms, 减重 → %v (%v)", len(syn), syn["减重"], err)
	}
	var typo struct {
		Enabled             bool `json:"enabled"`
		MinWordSizeForTypos struct {
			OneTypo  int `json:"oneTypo"`
			TwoTypos int `json:"twoTypos"`
		} `json:"minWordSizeForTypos"`
		DisableOnNumbers bool `json:"disableOnNumbers"`
	}
	if err := json.Unmarshal(settings["typoTolerance"], &typo); err != nil || !typo.Enabled || typo.MinWordSizeForTypos.OneTypo != 3 ||
		typo.MinWordSizeForTypos.TwoTypos != 9 || !typo.DisableOnNumbers {
		t.Errorf("typoTolerance %s (%v)", settings["typoTolerance"], err)
	}
	if !strings.Contains(string(settings["faceting"]), `"maxValuesPerFacet":200`) {
		t.Errorf("faceting %s", settings["faceting"])
	}
}

func searchBody(t *testing.T, rec *recorder) map[string]any {
	t.Helper()
	var body map[string]any
	for _, r := range rec.sent() {
		if strings.HasSuffix(r.Path, "/search") {
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if body == nil {
		t.Fatal("no search request sent")
	}
	return body
}

// The search request as JSON: text, filters with escaping, sort, page and
// hitsPerPage, facets, highlighting; and the answer decoded.
func TestSearchRequestJSONUnit(t *testing.T) {
	rec, e := newRecorder(t, "t_achievement", "t_demand")
	rec.searchAnswer = `{"hits":[{"id":"a1","title":"铝合金<b>","body":"x","industry":"automotive","price_fen":500,"published_at":1761984000000,
		"_formatted":{"title":"<em>铝合金</em><b>","body":"x"},"_rankingScore":0.8}],
		"totalHits":41,"page":2,"hitsPerPage":5,"totalPages":9,"processingTimeMs":3,"facetDistribution":{"industry":{"automotive":41}}}`
	res, err := e.Search(context.Background(), search.Query{Kind: search.KindAchievement, Text: "铝合金",
		Industries: []string{"automotive", `a"b\c`}, Maturities: []string{"pilot"}, MinFen: ptr(100), MaxFen: ptr(900),
		Sort: search.SortPriceAsc, Page: 2, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	body := searchBody(t, rec)
	want := map[string]any{
		"q":                     "铝合金",
		"filter":                `industry IN ["automotive", "a\"b\\c"] AND maturity IN ["pilot"] AND price_fen >= 100 AND price_fen <= 900`,
		"sort":                  []any{"price_fen:asc"},
		"page":                  float64(2),
		"hitsPerPage":           float64(5),
		"facets":                []any{"industry", "maturity", "modes", "region_code"},
		"attributesToHighlight": []any{"title", "body"},
		"attributesToCrop":      []any{"body"},
		"cropLength":            float64(cropWords),
		"cropMarker":            "…",
		"highlightPreTag":       "<em>",
		"highlightPostTag":      "</em>",
		"matchingStrategy":      "last",
		"showRankingScore":      true,
		"locales":               []any{"zho"},
	}
	for k, v := range want {
		if !reflect.DeepEqual(body[k], v) {
			t.Errorf("%s = %#v, want %#v", k, body[k], v)
		}
	}
	if _, ok := body["offset"]; ok {
		t.Errorf("offset sent with page/hitsPerPage: %v", body)
	}
	if res.Total != 41 || len(res.Hits) != 1 || res.Hits[0].PriceFen != 500 || res.Facets["industry"]["automotive"] != 41 ||
		res.Hits[0].Formatted["title"] != "<em>铝合金</em>&lt;b&gt;" || res.Hits[0].Score != 0.8 {
		t.Errorf("decoded %+v", res)
	}

	// Matching's query: any word, frequency strategy, the first 10 words,
	// no facets, and no filter key at all.
	if _, err := e.Search(context.Background(), search.Query{Kind: search.KindDemand, MatchAny: true, NoFacets: true, Limit: 50,
		Text: "轻量化 铝合金 碳纤维 热冲压 车身 底盘 减重 压铸 挤压 焊接 涂装 总装"}); err != nil {
		t.Fatal(err)
	}
	body = searchBody(t, rec)
	if body["matchingStrategy"] != "frequency" || body["q"] != "轻量化 铝合金 碳纤维 热冲压 车身 底盘 减重 压铸 挤压 焊接" ||
		body["facets"] != nil || body["filter"] != nil || body["hitsPerPage"] != float64(50) || body["sort"] != nil {
		t.Errorf("MatchAny body %v", body)
	}
}

func ptr(v int64) *int64 { return &v }

// A search that finds its index without its settings (re-created by
// Meilisearch with defaults) or missing answers EUNAVAILABLE at once and
// sets the index up in the background; the next search works.
func TestSearchRecoversMissingSettingsUnit(t *testing.T) {
	for _, tc := range []struct{ name, code, msg string }{
		{"not filterable", "invalid_search_filter", "Attribute `industry` is not filterable. Available filterable attributes are: ``."},
		{"missing index", "index_not_found", "Index `t_achievement` not found."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, e := newRecorder(t, "t_achievement", "t_demand")
			broken := true
			rec.searchErr = func() (int, string) {
				if broken {
					return 400, fmt.Sprintf(`{"message":%q,"code":%q,"type":"invalid_request","link":""}`, tc.msg, tc.code)
				}
				return 0, ""
			}
			q := search.Query{Kind: search.KindAchievement, Industries: []string{"steel"}}
			if _, err := e.Search(context.Background(), q); market.ErrorCode(err) != market.EUNAVAILABLE {
				t.Fatalf("search on an index without settings: %v, want %s", err, market.EUNAVAILABLE)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				rec.mu.Lock()
				n := rec.settingsCalls
				if n == 2 {
					broken = false
				}
				rec.mu.Unlock()
				if n == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("settings applied to %d indexes after a failing search, want 2", n)
				}
				time.Sleep(10 * time.Millisecond)
			}
			for e.setupRunning.Load() {
				time.Sleep(5 * time.Millisecond)
			}
			if _, err := e.Search(context.Background(), q); err != nil {
				t.Fatalf("search after the background setup: %v", err)
			}
		})
	}
}

// A server that accepts connections but does not answer: search fails
// within the search timeout and Ping within the ping timeout, both
// EUNAVAILABLE (503).
func TestHangingServerFailsFastUnit(t *testing.T) {
	if DefaultSearchTimeout > 2*time.Second || DefaultPingTimeout > time.Second {
		t.Fatalf("default timeouts %v / %v", DefaultSearchTimeout, DefaultPingTimeout)
	}
	rec, _ := newRecorder(t, "t_achievement", "t_demand")
	rec.hangSearch, rec.hangVersion = true, true
	srv := httptest.NewServer(rec)
	defer srv.Close()
	// The real transport (no client-wide timeout shorter than ours).
	e, err := New(srv.URL, "master-key", WithIndexPrefix("t_"), WithSearchTimeout(300*time.Millisecond), WithPingTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for name, fn := range map[string]func() error{
		"Search": func() error {
			_, err := e.Search(context.Background(), search.Query{Kind: search.KindDemand, Text: "x"})
			return err
		},
		"Ping": func() error { return e.Ping(context.Background()) },
	} {
		start := time.Now()
		err := fn()
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s on a hanging server took %v", name, took)
		}
		if market.ErrorCode(err) != market.EUNAVAILABLE {
			t.Errorf("%s on a hanging server: %v, want %s", name, err, market.EUNAVAILABLE)
		}
	}
}

// A wrong API key is the engine being unusable (503), not our bug (500),
// and Ping notices it: it calls /version, which needs the key.
func TestWrongKeyIsUnavailableUnit(t *testing.T) {
	rec, _ := newRecorder(t, "t_achievement", "t_demand")
	srv := httptest.NewServer(rec)
	defer srv.Close()
	e, err := New(srv.URL, "wrong-key", WithIndexPrefix("t_"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	for name, err := range map[string]error{
		"Ping":   e.Ping(ctx),
		"Search": func() error { _, err := e.Search(ctx, search.Query{Kind: search.KindDemand}); return err }(),
		"Upsert": e.Upsert(ctx, []search.Document{achievement("a1", 1)}),
	} {
		if market.ErrorCode(err) != market.EUNAVAILABLE || !strings.Contains(err.Error(), "API key") {
			t.Errorf("%s with a wrong key: %v, want %s naming the key", name, err, market.EUNAVAILABLE)
		}
	}
	got := rec.sent()
	if len(got) == 0 || got[0].String() != "GET /version" || got[0].Auth != "Bearer wrong-key" {
		t.Errorf("Ping sent %v", names(got))
	}
	// With the right key Ping passes.
	_, good := newRecorder(t)
	if err := good.Ping(ctx); err != nil {
		t.Errorf("Ping with the right key: %v", err)
	}
}

// A rebuild fills <index>_rebuild (created with the settings, after
// dropping a leftover), then swaps it with the live index and drops the
// old contents.
func TestRebuildSwapsIndexesUnit(t *testing.T) {
	rec, e := newRecorder(t, "t_achievement", "t_demand", "t_achievement_rebuild")
	ctx := context.Background()
	r, err := e.Rebuild(ctx, search.KindAchievement)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Upsert(ctx, []search.Document{achievement("a1", 1), achievement("a2", 2), achievement("a3", 3)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := rec.sent()
	want := []string{
		"DELETE /indexes/t_achievement_rebuild", "GET /tasks/1",
		"POST /indexes", "GET /tasks/2", "PATCH /indexes/t_achievement_rebuild/settings", "GET /tasks/3",
		"POST /indexes/t_achievement_rebuild/documents", "POST /indexes/t_achievement_rebuild/documents", "GET /tasks/4", "GET /tasks/5",
		"GET /indexes/t_achievement",
		"POST /swap-indexes", "GET /tasks/6",
		"DELETE /indexes/t_achievement_rebuild", "GET /tasks/7",
	}
	if !slices.Equal(names(got), want) {
		t.Fatalf("requests\n %v\nwant\n %v", names(got), want)
	}
	for _, req := range got {
		if req.Path == "/swap-indexes" {
			// Exactly the pair: no "rename", which servers before 1.18 refuse.
			if string(req.Body) != `[{"indexes":["t_achievement","t_achievement_rebuild"]}]` || req.Auth != "Bearer master-key" {
				t.Errorf("swap body %s, auth %q", req.Body, req.Auth)
			}
		}
	}
	// Abort drops the rebuild index and leaves the live one alone.
	r, err = e.Rebuild(ctx, search.KindDemand)
	if err != nil {
		t.Fatal(err)
	}
	rec.sent()
	if err := r.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if got := names(rec.sent()); !slices.Equal(got, []string{"DELETE /indexes/t_demand_rebuild", "GET /tasks/10"}) {
		t.Errorf("abort sent %v", got)
	}
}
