package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fieldsOf returns the errors[].field names of a problem.
func fieldsOf(r *apptest.Response) []string {
	var out []string
	errs, _ := r.JSON()["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			f, _ := m["field"].(string)
			out = append(out, f)
		}
	}
	return out
}

func mustField(t *testing.T, r *apptest.Response, status int, field string) {
	t.Helper()
	if f := fieldsOf(r); r.Status != status || len(f) != 1 || f[0] != field {
		t.Fatalf("status %d fields %v, want %d naming %q: %s", r.Status, f, status, field, r.Body)
	}
}

// An email is one account whatever its case, on SQLite as on MariaDB:
// accounts are normalised when created and when they sign in, and the
// column compares them exactly.
func TestAccountsIgnoreCase(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		reg := e.Registration(market.OrgEnterprise)
		reg["admin"].(map[string]any)["account"] = "  casetest@example.com "
		org := e.Must(201, "POST", "/api/v1/orgs", "", reg).Str("id")
		e.Must(200, "POST", "/api/v1/orgs/"+org+"/verify", e.AdminToken, nil)

		// The same address in other letters is taken, and the conflict
		// names the body field at fault.
		before := count(t, e, "orgs", "")
		dup := e.Registration(market.OrgEnterprise)
		dup["admin"].(map[string]any)["account"] = "CaseTest@example.com"
		mustField(t, e.Do("POST", "/api/v1/orgs", "", dup), 409, "admin.account")
		if n := count(t, e, "orgs", ""); n != before {
			t.Fatalf("a refused registration left an org: %d orgs, want %d", n, before)
		}
		if n := count(t, e, "users", "account = ?", "casetest@example.com"); n != 1 {
			t.Fatalf("%d users casetest@example.com, want 1", n)
		}
		if n := count(t, e, "users", "account = ?", "CaseTest@example.com"); n != 0 {
			t.Fatal("the account is stored as typed, not normalised (or the column folds case)")
		}

		// Any case, with stray spaces, signs in to the one account.
		var token string
		for _, a := range []string{"casetest@example.com", "CaseTest@Example.COM", " CASETEST@EXAMPLE.COM"} {
			token = e.Login(a, orgPassword)
		}
		me := e.Must(200, "GET", "/api/v1/auth/me", token, nil).JSON()
		if got := me["user"].(map[string]any)["account"]; got != "casetest@example.com" {
			t.Fatalf("me.account %v", got)
		}

		// Adding a member: the body is the user, so the field is "account".
		member := map[string]any{"account": "Member@Example.com", "password": "pass-word-2", "name": "成员"}
		u := e.Must(201, "POST", "/api/v1/orgs/"+org+"/users", token, member).JSON()
		if u["account"] != "member@example.com" {
			t.Fatalf("member account %v", u["account"])
		}
		member["account"] = "MEMBER@example.com"
		mustField(t, e.Do("POST", "/api/v1/orgs/"+org+"/users", token, member), 409, "account")
		member["account"] = "CASETEST@example.com"
		mustField(t, e.Do("POST", "/api/v1/orgs/"+org+"/users", token, member), 409, "account")
		e.Login("MEMBER@EXAMPLE.COM", "pass-word-2")

		// Phone numbers are their digits, trimmed.
		phone := map[string]any{"account": " 13877201234 ", "password": "pass-word-3", "name": "手机用户"}
		if got := e.Must(201, "POST", "/api/v1/orgs/"+org+"/users", token, phone).JSON()["account"]; got != "13877201234" {
			t.Fatalf("phone account %v", got)
		}
		e.Login("13877201234", "pass-word-3")
	})
}
