package httpapi_test

import (
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestOrgRegistration(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		orgs := count(t, e, "orgs", "")
		users := count(t, e, "users", "")
		bad := []struct {
			name  string
			edit  func(m map[string]any)
			code  int
			field string
		}{
			{"wrong check character", func(m map[string]any) { m["credit_code"] = "91350100M000100Y44" }, 422, "credit_code"},
			{"short credit code", func(m map[string]any) { m["credit_code"] = "91350100M000100Y4" }, 422, "credit_code"},
			{"unknown kind", func(m map[string]any) { m["kind"] = "bank" }, 422, "kind"},
			{"market on an enterprise", func(m map[string]any) { m["market"] = "liuzhou" }, 422, "market"},
			{"bad region", func(m map[string]any) { m["region_code"] = "abc" }, 422, "region_code"},
			{"weak password", func(m map[string]any) { m["admin"].(map[string]any)["password"] = "short" }, 422, "admin.password"},
			{"bad account", func(m map[string]any) { m["admin"].(map[string]any)["account"] = "not an account" }, 422, "admin.account"},
			{"unknown field", func(m map[string]any) { m["verified"] = true }, 422, "verified"},
			{"public operator", func(m map[string]any) { m["kind"] = "operator"; m["market"] = "liuzhou" }, 403, ""},
			{"public government", func(m map[string]any) { m["kind"] = "government" }, 403, ""},
		}
		for _, c := range bad {
			reg := e.Registration(market.OrgEnterprise)
			c.edit(reg)
			r := e.Do("POST", "/api/v1/orgs", "", reg)
			if r.Status != c.code {
				t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.code, r.Body)
				continue
			}
			if c.field != "" && !hasField(r, c.field) {
				t.Errorf("%s: problem does not name %s: %s", c.name, c.field, r.Body)
			}
		}
		if count(t, e, "orgs", "") != orgs || count(t, e, "users", "") != users {
			t.Fatal("refused registrations stored rows")
		}

		// A duplicate credit code is a conflict.
		reg := e.Registration(market.OrgEnterprise)
		e.Must(201, "POST", "/api/v1/orgs", "", reg)
		dup := e.Registration(market.OrgEnterprise)
		dup["credit_code"] = reg["credit_code"]
		if r := e.Must(409, "POST", "/api/v1/orgs", "", dup); !hasField(r, "credit_code") {
			t.Fatalf("duplicate: %s", r.Body)
		}

		// The admin creates operators (with a market) verified at once.
		opReg := e.Registration(market.OrgOperator)
		op := e.Must(201, "POST", "/api/v1/orgs", e.AdminToken, opReg).JSON()
		if op["verified"] != true || op["market"] != "liuzhou" {
			t.Fatalf("operator: %v", op)
		}
		e.Must(422, "POST", "/api/v1/orgs", e.AdminToken, func() map[string]any {
			r := e.Registration(market.OrgOperator)
			delete(r, "market")
			return r
		}())
	})
}

func hasField(r *apptest.Response, field string) bool {
	for _, f := range r.JSON()["errors"].([]any) {
		if f.(map[string]any)["field"] == field {
			return true
		}
	}
	return false
}

func TestOrgVerificationAndUsers(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, false)
		op := e.NewOrg(market.OrgOperator, true)
		other := e.NewOrg(market.OrgEnterprise, true)

		// Only operators and admins list and verify orgs.
		e.Must(403, "GET", "/api/v1/orgs", ent.Token, nil)
		e.Must(403, "POST", "/api/v1/orgs/"+ent.ID+"/verify", other.Token, nil)
		e.Must(403, "POST", "/api/v1/orgs/"+ent.ID+"/verify", ent.Token, nil)
		pending := e.Must(200, "GET", "/api/v1/orgs?verified=false", op.Token, nil).Items()
		if len(pending) != 1 || pending[0]["id"] != ent.ID {
			t.Fatalf("unverified orgs: %v", pending)
		}
		v := e.Must(200, "POST", "/api/v1/orgs/"+ent.ID+"/verify", op.Token, "{}").JSON()
		if v["verified"] != true || v["verified_at"] == nil {
			t.Fatalf("verify: %v", v)
		}
		e.Must(409, "POST", "/api/v1/orgs/"+ent.ID+"/verify", op.Token, nil)
		e.Must(404, "POST", "/api/v1/orgs/01ARZ3NDEKTSV4RRFFQ69G5FAV/verify", op.Token, nil)
		e.Must(200, "GET", "/api/v1/orgs/"+ent.ID, ent.Token, nil)
		e.Must(403, "GET", "/api/v1/orgs/"+ent.ID, other.Token, nil)

		// The org admin adds a member, who signs in as a member.
		u := e.Must(201, "POST", "/api/v1/orgs/"+ent.ID+"/users", ent.Token,
			map[string]string{"account": "13877200999", "password": "member-pass", "name": "张三"}).JSON()
		if u["role"] != "member" || u["org_id"] != ent.ID {
			t.Fatalf("member: %v", u)
		}
		member := e.Login("13877200999", "member-pass")
		e.Must(403, "POST", "/api/v1/orgs/"+ent.ID+"/users", member, map[string]string{"account": "13877200998", "password": "member-pass", "name": "李四"})
		e.Must(403, "POST", "/api/v1/orgs/"+ent.ID+"/users", other.Token, map[string]string{"account": "13877200997", "password": "member-pass", "name": "王五"})
		e.Must(409, "POST", "/api/v1/orgs/"+ent.ID+"/users", ent.Token, map[string]string{"account": "13877200999", "password": "member-pass", "name": "重复"})
		if us := e.Must(200, "GET", "/api/v1/orgs/"+ent.ID+"/users", member, nil).Items(); len(us) != 2 {
			t.Fatalf("users: %v", us)
		}
		// A member of a now verified org may publish.
		id := e.Must(201, "POST", "/api/v1/demands", member, apptest.Demand()).Str("id")
		e.Must(200, "POST", "/api/v1/demands/"+id+"/submit", member, nil)
	})
}

func TestHTTPConventions(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	e.Must(200, "GET", "/healthz", "", nil)
	if r := e.Must(200, "GET", "/readyz", "", nil).JSON(); r["status"] != "ok" {
		t.Fatalf("readyz: %v", r)
	}
	meta := e.Must(200, "GET", "/api/v1/meta", "", nil).JSON()
	for _, k := range []string{"industries", "maturities", "modes", "contract_types", "markets", "channels", "regions"} {
		if len(meta[k].([]any)) == 0 {
			t.Errorf("meta lacks %s", k)
		}
	}
	if n := len(meta["industries"].([]any)); n != 11 {
		t.Errorf("industries: %d", n)
	}
	// ETag and If-None-Match.
	r := e.Must(200, "GET", "/api/v1/meta", "", nil)
	tag := r.Header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	if nm := e.Do("GET", "/api/v1/meta", "", nil, "If-None-Match", tag); nm.Status != 304 || len(nm.Body) != 0 {
		t.Fatalf("If-None-Match: %d, %d bytes", nm.Status, len(nm.Body))
	}
	// gzip when asked.
	if gz := e.Do("GET", "/api/v1/meta", "", nil, "Accept-Encoding", "gzip"); gz.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", gz.Header)
	}
	// Request IDs, problem+json on unknown routes, metrics.
	nf := e.Must(404, "GET", "/api/v1/nothing-here", "", nil)
	if nf.Header.Get("X-Request-Id") == "" || nf.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("404: %v", nf.Header)
	}
	m := e.Must(200, "GET", "/metrics", "", nil)
	if !contains(m.Body, "techmarket_http_requests_total") {
		t.Fatal("metrics lack the request counter")
	}
	if !contains(e.Must(200, "GET", "/api/v1/openapi.yaml", "", nil).Body, "openapi:") {
		t.Fatal("openapi.yaml not served")
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
