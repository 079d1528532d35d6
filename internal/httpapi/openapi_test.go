package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/liuzhou-techmarket/techmarket/api"
	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// loadOpenAPI parses and validates the embedded document, the one the
// binary serves.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("api/openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("api/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi: %s, want 3.0.3", doc.OpenAPI)
	}
	// Operations are grouped by declared tags, so resources can be added
	// section by section; and every error a handler returns is problem+json.
	declared := map[string]bool{}
	for _, tag := range doc.Tags {
		declared[tag.Name] = true
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if len(op.Tags) != 1 || !declared[op.Tags[0]] {
				t.Errorf("%s: tags %v, want exactly one tag declared under tags:", name, op.Tags)
			}
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s: needs an operationId and a summary", name)
			}
			for code, ref := range op.Responses.Map() {
				if code == "default" || code[0] < '4' || ref.Value == nil || (path == "/readyz" && code == "503") {
					continue
				}
				if ref.Value.Content.Get("application/problem+json") == nil {
					t.Errorf("%s: response %s is not application/problem+json", name, code)
				}
			}
		}
	}
}

// fiberParam matches a Fiber path parameter (":id", ":id?").
var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)\??`)

func TestOpenAPIRoutesMatch(t *testing.T) {
	doc := loadOpenAPI(t)
	e := apptest.New(t, "sqlite", nil)

	registered := map[string]bool{}
	for _, r := range e.Sys.Server().App.GetRoutes(true) {
		// GetRoutes(true) leaves out middleware, the catch-all 404 included;
		// Fiber adds a HEAD route beside every GET.
		if r.Method == http.MethodHead {
			continue
		}
		registered[r.Method+" "+fiberParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}

	var missing, extra []string
	for r := range registered {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !registered[d] {
			extra = append(extra, d)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("routes registered in routes.go but missing from api/openapi.yaml:\n\t%s", strings.Join(missing, "\n\t"))
	}
	if len(extra) > 0 {
		t.Errorf("operations in api/openapi.yaml that no route serves:\n\t%s", strings.Join(extra, "\n\t"))
	}
	if len(registered) == 0 {
		t.Fatal("the app lists no routes")
	}
}

// conformer sends requests to the real app and checks every answer, and
// the requests expected to succeed, against the document.
type conformer struct {
	t      *testing.T
	e      *apptest.Env
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
	seen   map[string]bool // "METHOD path" of the operations exercised
}

func newConformer(t *testing.T, e *apptest.Env) *conformer {
	t.Helper()
	doc := loadOpenAPI(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &conformer{t: t, e: e, doc: doc, router: router, seen: map[string]bool{},
		opts: &openapi3filter.Options{
			IncludeResponseStatus: true, // an undocumented status is a failure
			MultiError:            true,
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
			// The body is printed once; the schema dump would drown it.
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
		}}
}

// encode returns a request body as apptest.Env.Do sends it.
func encode(t *testing.T, body any) []byte {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	case []byte:
		return b
	}
	j, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// do sends a request, requires status want, and validates the response
// (status, content type, headers, body) against the document. Requests
// expected to succeed are validated too, so the document's request schemas
// accept what real clients send.
func (c *conformer) do(want int, method, target, token string, body any, headers ...string) *apptest.Response {
	c.t.Helper()
	res := c.e.Must(want, method, target, token, body, headers...)

	raw := encode(c.t, body)
	req := httptest.NewRequest(method, target, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s %s: no operation in api/openapi.yaml: %v", method, target, err)
		return res
	}
	c.seen[method+" "+route.Path] = true
	if route.Operation.Responses.Status(res.Status) == nil {
		// ValidateResponse lets 304 and redirects through unchecked.
		c.t.Errorf("%s %s: status %d is not documented", method, target, res.Status)
	}
	ctx := c.t.Context()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.opts}
	if want < 300 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			c.t.Errorf("%s %s: the document refuses a request the server accepts: %v", method, target, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.Status,
		Header: res.Header, Options: c.opts}
	out.SetBodyBytes(res.Body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.t.Errorf("%s %s: %d response does not conform to api/openapi.yaml: %v\nbody: %s",
			method, target, res.Status, err, truncate(res.Body))
	}
	return res
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

func TestOpenAPIResponsesConform(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	c := newConformer(t, e)
	admin := e.AdminToken

	// Operations and enums.
	c.do(200, "GET", "/healthz", "", nil)
	c.do(200, "GET", "/readyz", "", nil)
	c.do(200, "GET", "/metrics", "", nil)
	c.do(200, "GET", "/api/v1/openapi.yaml", "", nil)
	meta := c.do(200, "GET", "/api/v1/meta", "", nil)
	c.do(304, "GET", "/api/v1/meta", "", nil, "If-None-Match", meta.Header.Get("ETag"))

	// Orgs: public registration, admin-made operator and bureau, login.
	entReg := e.Registration(market.OrgEnterprise)
	ent := c.do(201, "POST", "/api/v1/orgs", "", entReg).JSON()
	if ent["verified"] != false || ent["market"] != nil {
		t.Fatalf("registered enterprise: %v", ent)
	}
	if o := c.do(201, "POST", "/api/v1/orgs", admin, e.Registration(market.OrgOperator)).JSON(); o["verified"] != true || o["market"] != market.MarketLiuzhou {
		t.Fatalf("operator made by the admin: %v", o)
	}
	c.do(409, "POST", "/api/v1/orgs", "", entReg) // the same credit code again
	c.do(403, "POST", "/api/v1/orgs", "", e.Registration(market.OrgGovernment))
	bad := e.Registration(market.OrgEnterprise)
	bad["credit_code"] = "91450200MA5K0000"
	c.do(422, "POST", "/api/v1/orgs", "", bad)

	account := entReg["admin"].(map[string]any)["account"].(string)
	tokens := c.do(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": account, "password": "pass-word-1"})
	entToken := tokens.Str("access_token")
	c.do(401, "POST", "/api/v1/auth/login", "", map[string]string{"account": account, "password": "wrong-pass"})
	c.do(200, "GET", "/api/v1/auth/me", entToken, nil)
	c.do(200, "GET", "/api/v1/auth/me", admin, nil) // org is null
	c.do(401, "GET", "/api/v1/auth/me", "", nil)

	entID := ent["id"].(string)
	c.do(200, "POST", "/api/v1/orgs/"+entID+"/verify", admin, nil)
	c.do(409, "POST", "/api/v1/orgs/"+entID+"/verify", admin, "{}")
	c.do(404, "POST", "/api/v1/orgs/no-such-org/verify", admin, nil)
	c.do(200, "GET", "/api/v1/orgs?kind=enterprise&verified=true&limit=10", admin, nil)
	c.do(200, "GET", "/api/v1/orgs/"+entID, entToken, nil)
	c.do(403, "GET", "/api/v1/orgs", entToken, nil)
	c.do(201, "POST", "/api/v1/orgs/"+entID+"/users", entToken,
		map[string]string{"account": "13877201234", "password": "member-pass-1", "name": "业务员"})
	c.do(200, "GET", "/api/v1/orgs/"+entID+"/users", entToken, nil)

	uni := e.NewOrg(market.OrgUniversity, true)
	op := e.NewOrg(market.OrgOperator, true)
	gov := e.NewOrg(market.OrgGovernment, true)

	// A demand through its lifecycle.
	id := c.do(201, "POST", "/api/v1/demands", entToken, apptest.Demand()).Str("id")
	c.do(200, "GET", "/api/v1/demands?org_id="+entID+"&status=draft", entToken, nil)
	c.do(200, "PATCH", "/api/v1/demands/"+id, entToken, map[string]any{"budget_max_fen": 60000000, "deadline": ""})
	c.do(200, "POST", "/api/v1/demands/"+id+"/submit", entToken, nil)
	c.do(409, "POST", "/api/v1/demands/"+id+"/submit", entToken, "{}")
	c.do(403, "POST", "/api/v1/demands/"+id+"/review", entToken, map[string]string{"decision": "approve"})
	c.do(200, "POST", "/api/v1/demands/"+id+"/review", op.Token, map[string]string{"decision": "approve"})
	if d := c.do(200, "GET", "/api/v1/demands/"+id, "", nil).JSON(); d["contact"] != nil {
		t.Fatalf("anonymous viewer sees contact: %v", d)
	}
	if d := c.do(200, "GET", "/api/v1/demands/"+id, uni.Token, nil).JSON(); d["contact"] == nil {
		t.Fatalf("verified org does not see contact: %v", d)
	}
	c.do(200, "GET", "/api/v1/demands?industry=automotive&region_code=450206", "", nil)

	// Achievements: rejected, edited, resubmitted, approved; two pages.
	aid := c.do(201, "POST", "/api/v1/achievements", uni.Token, apptest.Achievement()).Str("id")
	c.do(200, "POST", "/api/v1/achievements/"+aid+"/submit", uni.Token, nil)
	r := c.do(200, "POST", "/api/v1/achievements/"+aid+"/review", op.Token,
		map[string]string{"decision": "reject", "reason": "专利号缺失"}).JSON()
	if r["rejection_reason"] != "专利号缺失" {
		t.Fatalf("rejected achievement: %v", r)
	}
	c.do(200, "PATCH", "/api/v1/achievements/"+aid, uni.Token, map[string]any{"patent_numbers": []string{"ZL202310000002.X"}})
	c.do(200, "POST", "/api/v1/achievements/"+aid+"/submit", uni.Token, "{}")
	c.do(200, "POST", "/api/v1/achievements/"+aid+"/review", admin, map[string]string{"decision": "approve"})
	e.Publish("achievements", uni, op, apptest.Achievement())
	c.do(200, "GET", "/api/v1/achievements/"+aid, "", nil)
	first := c.do(200, "GET", "/api/v1/achievements?limit=1", "", nil)
	next := first.Str("next_cursor")
	if next == "" {
		t.Fatalf("first of two pages has no next_cursor: %s", first.Body)
	}
	if last := c.do(200, "GET", "/api/v1/achievements?limit=1&cursor="+next, "", nil); last.Str("next_cursor") != "" {
		t.Fatalf("last page has a next_cursor: %s", last.Body)
	}
	c.do(200, "POST", "/api/v1/achievements/"+aid+"/close", uni.Token, nil)
	c.do(200, "POST", "/api/v1/demands/"+id+"/close", entToken, nil)

	// Problems.
	unknown := apptest.Demand()
	unknown["maturity"] = "pilot"
	c.do(422, "POST", "/api/v1/demands", entToken, unknown)
	c.do(422, "GET", "/api/v1/demands?limit=101", "", nil)
	c.do(422, "GET", "/api/v1/achievements?industry=mining", "", nil)
	c.do(404, "GET", "/api/v1/demands/no-such-demand", "", nil)
	c.do(404, "GET", "/api/v1/achievements/"+id, op.Token, nil) // a demand is not an achievement
	c.do(403, "POST", "/api/v1/demands", uni.Token, apptest.Demand())
	c.do(401, "POST", "/api/v1/achievements", "", apptest.Achievement())
	c.do(400, "POST", "/api/v1/demands", entToken, "{not json")
	c.do(413, "POST", "/api/v1/demands", entToken, `{"title":"`+strings.Repeat("长", 1<<19)+`"}`)
	c.do(409, "PATCH", "/api/v1/demands/"+id, entToken, map[string]any{"title": "关闭后再改"})
	for range 10 { // the per-account login limit
		e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"account": "nobody@example.com", "password": "whatever-1"})
	}
	if res := c.do(429, "POST", "/api/v1/auth/login", "", map[string]string{"account": "nobody@example.com", "password": "whatever-1"}); res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}

	// Audit trail, for the admin and the bureau.
	c.do(200, "GET", "/api/v1/audit?entity=demand&entity_id="+id, admin, nil)
	c.do(200, "GET", "/api/v1/audit?limit=2", gov.Token, nil)
	c.do(403, "GET", "/api/v1/audit", entToken, nil)
	if v := c.do(200, "GET", "/api/v1/audit/verify", admin, nil).JSON(); v["ok"] != true {
		t.Fatalf("audit verify: %v", v)
	}

	// Refresh, then sign out: the token stops working.
	refreshed := c.do(200, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tokens.Str("refresh_token")})
	c.do(401, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tokens.Str("refresh_token")})
	c.do(204, "POST", "/api/v1/auth/logout", refreshed.Str("access_token"), nil)
	c.do(401, "GET", "/api/v1/auth/me", refreshed.Str("access_token"), nil)
	c.do(401, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refreshed.Str("refresh_token")})

	var untested []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			if !c.seen[method+" "+path] {
				untested = append(untested, method+" "+path)
			}
		}
	}
	slices.Sort(untested)
	if len(untested) > 0 {
		t.Logf("operations this scenario does not exercise yet:\n\t%s", strings.Join(untested, "\n\t"))
	}
}
