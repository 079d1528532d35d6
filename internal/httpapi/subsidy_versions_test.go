package httpapi_test

import (
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

// TestVersionFullyCommittedPolicy: a policy whose whole budget is approved
// leaves nothing to carry over, so its new version must name a budget.
func TestVersionFullyCommittedPolicy(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := loosePolicy(e, p, 0, func(m map[string]any) { m["budget_fen"] = 10_000 })
		id := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(signedTransaction(e, p, 1_000_000, 1_000_000), pid)).Str("id")
		e.Must(200, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		policies := count(t, e, "subsidy_policies", "")
		r := e.Must(422, "POST", "/api/v1/subsidy-policies/"+pid+"/versions", p.gov.Token, map[string]any{"rate_bp": 200})
		if !strings.Contains(string(r.Body), `"field":"budget_fen"`) || !strings.Contains(r.Str("detail"), "nothing is left") {
			t.Fatalf("version of a fully committed policy: %s", r.Body)
		}
		if n := count(t, e, "subsidy_policies", ""); n != policies {
			t.Fatalf("a refused version stored %d policies", n-policies)
		}
		v := e.Must(201, "POST", "/api/v1/subsidy-policies/"+pid+"/versions", p.gov.Token, map[string]any{"rate_bp": 200, "budget_fen": 20_000})
		if v.JSON()["budget_fen"] != float64(20_000) {
			t.Fatalf("new version: %s", v.Body)
		}
	})
}
