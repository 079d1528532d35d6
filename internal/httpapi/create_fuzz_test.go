package httpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fuzzLoginAccount is the account of an org admin every fuzz app has, so
// seeds can sign in for real.
const fuzzLoginAccount = "fuzz-login@example.com"

// fuzzNoLimits keeps rate limits out of the way of fuzzing and tokens alive
// for however long the fuzzer runs.
func fuzzNoLimits(c *config.Config) {
	c.RateLimit = 0
	c.LoginLimit = 1000000
	c.LoginIPLimit = 1000000
	c.AccessTTL = 24 * time.Hour
}

// fuzzShortMinimize caps the minimisation of each new input at 100 runs
// unless -fuzzminimizetime was given. These targets run the whole app, so
// the default minute per input would eat short -fuzztime runs (make fuzz)
// before much fuzzing happens; failing inputs are written either way.
func fuzzShortMinimize() {
	given := false
	flag.Visit(func(fl *flag.Flag) { given = given || fl.Name == "test.fuzzminimizetime" })
	if fl := flag.Lookup("test.fuzzminimizetime"); fl != nil && !given {
		_ = fl.Value.Set("100x")
	}
}

// fuzzEnvFor returns a view of e whose failures go to t: inside the fuzz
// function only *testing.T may fail a test.
func fuzzEnvFor(t *testing.T, e *apptest.Env) *apptest.Env {
	return &apptest.Env{T: t, Sys: e.Sys, Srv: e.Srv, AdminToken: e.AdminToken}
}

// fuzzJSONFields lists the JSON names of the fields of a body type.
func fuzzJSONFields(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// fuzzIsObject reports whether body is exactly one valid JSON object.
func fuzzIsObject(body []byte) bool {
	return json.Valid(body) && bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{"))
}

// fuzzUnknownKey returns a top-level key of a JSON object that matches none
// of fields (encoding/json matches names case-insensitively), or "".
func fuzzUnknownKey(body []byte, fields []string) string {
	var m map[string]json.RawMessage
	if fields == nil || json.Unmarshal(body, &m) != nil {
		return ""
	}
	for k := range m {
		known := false
		for _, f := range fields {
			if strings.EqualFold(k, f) {
				known = true
				break
			}
		}
		if !known {
			return k
		}
	}
	return ""
}

// fuzzNamesField reports whether a JSON object has a top-level key that
// matches one of fields (case-insensitively, as encoding/json does).
func fuzzNamesField(body []byte, fields []string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	for k := range m {
		for _, f := range fields {
			if strings.EqualFold(k, f) {
				return true
			}
		}
	}
	return false
}

// fuzzEmptyKey finds an object key "" in a body: encoding/json names an
// unknown field by its key alone, so a 422 may then name the field "".
var fuzzEmptyKey = regexp.MustCompile(`""[ \t\r\n]*:`)

// fuzzCheckAnswer checks what every answer must be: never a 5xx, and every
// 4xx an RFC 9457 problem whose status is the response's; a 422 names the
// fields at fault (by an empty name only when the body has an empty key).
func fuzzCheckAnswer(t *testing.T, what string, r *apptest.Response, body []byte) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("%s: status %d: %s", what, r.Status, r.Body)
	}
	if r.Status < 400 {
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("%s: status %d with Content-Type %q: %s", what, r.Status, ct, r.Body)
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
		Reasons []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"reasons"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("%s: status %d with a problem that is not JSON (%v): %s", what, r.Status, err, r.Body)
	}
	if p.Status != r.Status || p.Title == "" || p.Type == "" {
		t.Fatalf("%s: status %d with problem %s", what, r.Status, r.Body)
	}
	if r.Status == 422 {
		// A subsidy refusal of a deal that is not eligible says why in
		// reasons (docs/api-extensions.md) rather than naming a field.
		for _, rs := range p.Reasons {
			if rs.Code == "" || rs.Message == "" {
				t.Fatalf("%s: 422 with reason %+v: %s", what, rs, r.Body)
			}
		}
		if len(p.Errors) == 0 && len(p.Reasons) == 0 {
			t.Fatalf("%s: 422 naming no field and no reason: %s", what, r.Body)
		}
		for _, fe := range p.Errors {
			if (fe.Field == "" && !fuzzEmptyKey.Match(body)) || fe.Message == "" {
				t.Fatalf("%s: 422 with field error %+v: %s", what, fe, r.Body)
			}
		}
	}
}

// fuzzAuditHead returns a reader of the audit chain's head: every state
// change appends an event in its transaction, so an unchanged head means
// nothing changed. The query is prepared once: it runs after every request.
func fuzzAuditHead(tb testing.TB, e *apptest.Env) func(t *testing.T) int64 {
	tb.Helper()
	stmt, err := e.Sys.DB.SQL().Prepare("SELECT seq FROM audit_head WHERE id = 1")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stmt.Close() })
	return func(t *testing.T) int64 {
		t.Helper()
		var seq int64
		if err := stmt.QueryRow().Scan(&seq); err != nil {
			t.Fatal(err)
		}
		return seq
	}
}

// FuzzCreateBodies sends the same arbitrary bytes as the JSON body of every
// create route of the real app, and of the action routes that take a body
// under an existing resource (members, payments, registration, subsidy
// quotes, policy versions), each as a caller allowed to use it, and
// checks: no 5xx; every 4xx a problem document with its status; 400 only
// for a body that is not one JSON object; a top-level field the resource
// does not have is a 422; a success only for a JSON object, with the
// route's status and a JSON object answer; a refusal changes nothing, a
// success of a route that writes appends to the audit trail, and a quote
// never writes.
//
// In a body, @ent@, @uni@, @ach@, @deal@ and @policy@ stand for the IDs of
// a verified enterprise, a verified university, a published achievement,
// a signed deal between the two and a subsidy policy of this app, so seeds
// can reach the success paths.
func FuzzCreateBodies(f *testing.F) {
	fuzzShortMinimize()
	e := apptest.New(f, "sqlite", fuzzNoLimits)
	ent := e.NewOrg(market.OrgEnterprise, true, func(reg map[string]any) {
		reg["admin"].(map[string]any)["account"] = fuzzLoginAccount
	})
	uni := e.NewOrg(market.OrgUniversity, true)
	op := e.NewOrg(market.OrgOperator, true)
	gov := e.NewOrg(market.OrgGovernment, true)
	ach := e.Publish("achievements", uni, op, apptest.Achievement())
	deal := e.Must(201, "POST", "/api/v1/transactions", op.Token, map[string]any{
		"market": market.MarketLiuzhou, "channel": market.ChannelOffline, "contract_type": "transfer",
		"contract_no": "FUZZ-HT-DEAL", "title": "碳纤维技术转让合同", "buyer_org_id": ent.ID, "seller_org_id": uni.ID,
		"contract_amount_fen": 1_000_000, "tech_amount_fen": 800_000, "signed_at": subsidySignedAt,
	}).Str("id")
	policy := newPolicy(e, gov)
	auditHead := fuzzAuditHead(f, e)
	placeholders := strings.NewReplacer("@ent@", ent.ID, "@uni@", uni.ID, "@ach@", ach, "@deal@", deal, "@policy@", policy)

	type route struct {
		path   string
		token  string
		ok     int      // the status of a success
		fields []string // the body's top-level fields; nil: not checked
		// writes: a success appends to the audit trail (a refusal never
		// does, and neither does any answer of a route that does not write).
		writes bool
		// empty: an empty body is accepted as {}.
		empty bool
		// named: the route gets only JSON objects that name one of its
		// fields (and the empty body, if accepted). Anything else is
		// refused by the shared decoder before the route's own code runs,
		// which the routes without this flag check already: each route
		// costs an authenticated request per input, and CI's fuzz pass
		// runs a fixed count.
		named bool
	}
	routes := []route{
		{path: "/api/v1/orgs", ok: 201, fields: fuzzJSONFields(market.Registration{}), writes: true},
		{path: "/api/v1/auth/login", ok: 200, fields: []string{"account", "password"}},
		{path: "/api/v1/demands", token: ent.Token, ok: 201, fields: fuzzJSONFields(market.DemandInput{}), writes: true},
		{path: "/api/v1/achievements", token: uni.Token, ok: 201, fields: fuzzJSONFields(market.AchievementInput{}), writes: true},
		{path: "/api/v1/intents", token: ent.Token, ok: 201, fields: fuzzJSONFields(market.NewIntent{}), writes: true},
		{path: "/api/v1/transactions", token: op.Token, ok: 201, fields: fuzzJSONFields(market.NewTransaction{}), writes: true},
		{path: "/api/v1/catalogs", token: op.Token, ok: 201, fields: fuzzJSONFields(market.CatalogInput{}), writes: true},
		{path: "/api/v1/subsidy-policies", token: gov.Token, ok: 201, fields: fuzzJSONFields(market.SubsidyPolicyInput{}), writes: true},
		{path: "/api/v1/subsidy-applications", token: ent.Token, ok: 201, fields: fuzzJSONFields(market.SubsidyRequest{}), writes: true},
		{path: "/api/v1/orgs/" + ent.ID + "/users", token: ent.Token, ok: 201, fields: fuzzJSONFields(market.NewUser{}), writes: true, named: true},
		{path: "/api/v1/transactions/" + deal + "/payments", token: op.Token, ok: 201, fields: fuzzJSONFields(market.NewPayment{}), writes: true, named: true},
		{path: "/api/v1/transactions/" + deal + "/register", token: op.Token, ok: 200, fields: fuzzJSONFields(market.TransactionRegistration{}), writes: true, named: true},
		{path: "/api/v1/subsidies/quote", token: ent.Token, ok: 200, fields: fuzzJSONFields(market.SubsidyRequest{}), named: true},
		{path: "/api/v1/subsidy-policies/" + policy + "/versions", token: gov.Token, ok: 201, fields: fuzzJSONFields(market.SubsidyPolicyInput{}), writes: true, empty: true, named: true},
	}

	for _, s := range []string{
		// Valid bodies of each route.
		`{"kind":"enterprise","name":"柳州模糊测试企业","credit_code":"91350100M000100Y43","region_code":"450206",` +
			`"contact_name":"联系人","contact_phone":"0772-1234567","admin":{"account":"fuzz-new@example.com","password":"pass-word-1","name":"管理员"}}`,
		`{"account":"` + fuzzLoginAccount + `","password":"pass-word-1"}`,
		`{"title":"汽车车身轻量化技术需求","description":"我公司需要降低整备质量的车身减重方案，目标减重百分之十以上。",` +
			`"industry":"automotive","keywords":["减重","车身"],"cooperation_modes":["transfer","joint_development"],` +
			`"budget_min_fen":10000000,"budget_max_fen":50000000,"deadline":"2030-12-31","region_code":"450206",` +
			`"contact":{"name":"王工","phone":"13877200000"}}`,
		`{"title":"碳纤维复合材料车身轻量化技术","summary":"采用碳纤维增强复合材料替代钢制部件，实现车身轻量化。",` +
			`"industry":"automotive","keywords":["轻量化","碳纤维"],"maturity":"pilot","transfer_modes":["transfer","license"],` +
			`"asking_price_fen":30000000,"patent_numbers":["ZL202310000001.X"],"inventors":["李教授"],"region_code":"450205"}`,
		`{"achievement_id":"@ach@","message":"我们对该成果很感兴趣，希望进一步洽谈。"}`,
		`{"contract_type":"transfer","contract_no":"FUZZ-HT-1","title":"碳纤维技术转让","buyer_org_id":"@ent@",` +
			`"seller_org_id":"@uni@","achievement_id":"@ach@","contract_amount_fen":1000000,"tech_amount_fen":800000,` +
			`"signed_at":"2026-01-10T10:00:00+08:00"}`,
		`{"kind":"demand","title":"2026年第四季度技术需求目录","period":"2026-Q4","filter":{"industries":["automotive"],"region_codes":["450200"]}}`,
		`{"name":"2026年技术交易补助","year":2026,"tiers":[{"up_to_fen":100000000,"rate_bp":100},{"up_to_fen":null,"rate_bp":50}],` +
			`"per_transaction_cap_fen":50000000,"annual_cap_per_org_fen":100000000,"budget_fen":1000000000,"min_tech_amount_fen":0,` +
			`"eligible_contract_types":["transfer","license"],"require_registered":true,"require_local_buyer":true,` +
			`"base":"tech_amount","auto_apply":false,"effective_from":"2026-01-01","effective_to":"2026-12-31"}`,
		`{"transaction_id":"01JABCDEFGHJKMNPQRSTVWXYZ0","policy_id":"01JABCDEFGHJKMNPQRSTVWXYZ1"}`,
		`{"transaction_id":"@deal@","policy_id":"@policy@"}`,
		`{"account":"fuzz-member@example.com","password":"pass-word-1","name":"新成员","role":"member"}`,
		`{"amount_fen":300000,"paid_at":"2025-06-02T10:00:00+08:00","voucher_no":"FUZZ-PZ-1"}`,
		`{"amount_fen":-1,"paid_at":"2999-01-01T00:00:00Z","voucher_no":""}`,
		`{"registration_no":"FUZZ-DJ-1","registered_at":"2025-06-03T10:00:00+08:00","certified_tech_amount_fen":700000}`,
		`{"registration_no":"FUZZ-DJ-2","registered_at":"not a time","certified_tech_amount_fen":9999999999}`,
		`{"name":"2025年技术交易补助（修订）","budget_fen":6000000000}`,
		// Invalid ones.
		`{"title":"x","unknown_field":1}`,
		`{"TITLE":"大小写不同的字段名","Kind":"achievement","PERIOD":"2026"}`,
		`{"title":123,"keywords":"not a list","budget_min_fen":"100","contact":[]}`,
		`{"budget_min_fen":1e400,"contract_amount_fen":99999999999999999999,"asking_price_fen":-9223372036854775808}`,
		`{"title":"\u0000\ud800\uffff😀","name":"\u202e反转","message":"` + strings.Repeat("长", 2001) + `"}`,
		`{"filter":{"industries":[[[[{"a":{"b":null}}]]]],"region_codes":{"x":1}}}`,
		`{"admin":{"account":"13877200000","password":"` + strings.Repeat("密", 30) + `","name":"x","extra":1}}`,
		`{}`,
		`{"":""}`,
		`{"contact":{"":null}}`,
		`{} {}`,
		`{"a":1}garbage`,
		`[{"title":"array"}]`,
		`"just a string"`,
		`12345`,
		`null`,
		`true`,
		``,
		`   `,
		`{"title":`,
		`{'title':'single quotes'}`,
		"\xef\xbb\xbf{}",
		"{\"title\":\"\xff\xfe\"}",
		`<xml>not json</xml>`,
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, raw []byte) {
		body := []byte(placeholders.Replace(string(raw)))
		object := fuzzIsObject(body)
		blank := len(bytes.TrimSpace(body)) == 0
		env := fuzzEnvFor(t, e)
		// Only an object (or an empty body) can succeed anywhere, so only
		// then is the head read after each route; any other body must be
		// refused by every route, and the head is read once at the end.
		eachRoute := object || blank
		start := auditHead(t)
		head := start
		var answered []string
		for _, rt := range routes {
			if rt.named && !(rt.empty && blank) && !(object && fuzzNamesField(body, rt.fields)) {
				continue
			}
			r := env.Do("POST", rt.path, rt.token, body)
			what := "POST " + rt.path
			fuzzCheckAnswer(t, what, r, body)
			success := r.Status >= 200 && r.Status < 300
			if eachRoute {
				after := auditHead(t)
				switch {
				case after != head && !(rt.writes && success):
					t.Fatalf("%s: status %d appended %d audit events: %s", what, r.Status, after-head, r.Body)
				case after == head && rt.writes && success:
					t.Fatalf("%s: status %d changed state without an audit event: %s", what, r.Status, r.Body)
				}
				head = after
			} else {
				answered = append(answered, fmt.Sprintf("%s %d", what, r.Status))
			}
			if success && blank && rt.empty {
				continue // an empty body stands for {}
			}
			if rt.token != "" && r.Status == 401 {
				t.Fatalf("%s: 401 for a signed-in caller: %s", what, r.Body)
			}
			if r.Status == 400 && object {
				t.Fatalf("%s: 400 for a JSON object %q: %s", what, body, r.Body)
			}
			if object {
				if k := fuzzUnknownKey(body, rt.fields); k != "" && r.Status != 422 {
					t.Fatalf("%s: status %d for a body with the unknown field %q, want 422: %s", what, r.Status, k, r.Body)
				}
			}
			if r.Status >= 200 && r.Status < 300 {
				if !object {
					t.Fatalf("%s: status %d for a body that is not a JSON object %q: %s", what, r.Status, body, r.Body)
				}
				if r.Status != rt.ok {
					t.Fatalf("%s: status %d, a success is %d: %s", what, r.Status, rt.ok, r.Body)
				}
				var m map[string]any
				if err := json.Unmarshal(r.Body, &m); err != nil || m == nil {
					t.Fatalf("%s: status %d with an answer that is not a JSON object: %s", what, r.Status, r.Body)
				}
				if rt.ok == 201 {
					if id, _ := m["id"].(string); id == "" {
						t.Fatalf("%s: created without an id: %s", what, r.Body)
					}
				}
			}
		}
		if !eachRoute {
			if end := auditHead(t); end != start {
				t.Fatalf("a body that is not a JSON object appended %d audit events; answers: %v", end-start, answered)
			}
		}
	})
}
