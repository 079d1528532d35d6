package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

// TestOpenAPISubsidiesConform checks the subsidy routes' answers, and the
// requests they accept, against api/openapi.yaml.
func TestOpenAPISubsidiesConform(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	c := newConformer(t, e)
	p := newParties(e)
	pols, app := "/api/v1/subsidy-policies", "/api/v1/subsidy-applications"

	// Policies.
	pid := c.do(201, "POST", pols, p.gov.Token, subsidyPolicyBody(func(m map[string]any) {
		m["per_transaction_cap_fen"], m["annual_cap_per_org_fen"] = 500_000, 100_000_000
	}), "Idempotency-Key", "oa-policy").Str("id")
	c.do(201, "POST", pols, p.gov.Token, subsidyPolicyBody(flatRate(100), func(m map[string]any) { m["require_local_buyer"] = false }))
	c.do(422, "POST", pols, p.gov.Token, subsidyPolicyBody(func(m map[string]any) { m["base"] = "gross" }))
	c.do(403, "POST", pols, p.buyer.Token, subsidyPolicyBody())
	c.do(400, "POST", pols, p.gov.Token, "{")
	c.do(200, "GET", pols+"?year=2025&status=active&effective_on=2025-06-01&limit=1", "", nil)
	c.do(422, "GET", pols+"?status=closed", "", nil)
	c.do(200, "GET", pols+"/"+pid, "", nil)
	c.do(404, "GET", pols+"/nope", "", nil)
	c.do(200, "PATCH", pols+"/"+pid, p.gov.Token, map[string]any{"name": "柳州市技术交易补助（修订）"})
	c.do(422, "PATCH", pols+"/"+pid, p.gov.Token, map[string]any{"effective_to": "2024-01-01"})
	c.do(403, "PATCH", pols+"/"+pid, p.opL.Token, map[string]any{"name": "运营方改的"})

	// Quotes: an eligible one trimmed by a cap, an ineligible one.
	deal := paidTransaction(e, p, 150_000_000, 123_456_789, 130_000_000)
	c.do(200, "POST", "/api/v1/subsidies/quote", p.buyer.Token, quoteReq(deal, pid))
	c.do(200, "POST", "/api/v1/subsidies/quote", p.gov.Token, quoteReq(signedTransaction(e, p, 1_000_000, 1_000_000), pid))
	c.do(403, "POST", "/api/v1/subsidies/quote", p.opL.Token, quoteReq(deal, pid))
	c.do(404, "POST", "/api/v1/subsidies/quote", p.outsider.Token, quoteReq(deal, pid))
	c.do(422, "POST", "/api/v1/subsidies/quote", p.buyer.Token, map[string]string{"policy_id": pid})

	// Applications through their lifecycle.
	id := c.do(201, "POST", app, p.buyer.Token, quoteReq(deal, pid), "Idempotency-Key", "oa-app").Str("id")
	c.do(201, "POST", app, p.buyer.Token, quoteReq(deal, pid), "Idempotency-Key", "oa-app")
	c.do(409, "POST", app, p.buyer.Token, quoteReq(deal, pid))
	c.do(403, "POST", app, p.seller.Token, quoteReq(deal, pid))
	c.do(422, "POST", app, p.buyer.Token, quoteReq(signedTransaction(e, p, 1_000_000, 1_000_000), pid))
	c.do(200, "GET", app+"?status=submitted&policy_id="+pid+"&transaction_id="+deal+"&limit=5", p.buyer.Token, nil)
	c.do(200, "GET", app+"/"+id, p.gov.Token, nil)
	c.do(404, "GET", app+"/"+id, p.seller.Token, nil)
	c.do(403, "GET", app, p.opL.Token, nil)
	c.do(200, "POST", app+"/"+id+"/withdraw", p.buyer.Token, nil)
	c.do(409, "POST", app+"/"+id+"/withdraw", p.buyer.Token, "{}")
	id = c.do(201, "POST", app, p.buyer.Token, quoteReq(deal, pid)).Str("id")
	c.do(403, "POST", app+"/"+id+"/review", p.buyer.Token, reviewBody("approve", ""))
	c.do(422, "POST", app+"/"+id+"/review", p.gov.Token, reviewBody("reject", ""))
	c.do(200, "POST", app+"/"+id+"/review", p.gov.Token, reviewBody("approve", "材料齐全"))
	c.do(409, "POST", app+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
	c.do(409, "PATCH", pols+"/"+pid, p.gov.Token, map[string]any{"rate_bp": 100})
	c.do(200, "POST", app+"/"+id+"/disburse", p.gov.Token, map[string]string{"voucher_no": "OA-BZ-1"})
	c.do(409, "POST", app+"/"+id+"/disburse", p.gov.Token, map[string]string{"voucher_no": "OA-BZ-2"})
	c.do(422, "POST", app+"/"+id+"/disburse", p.gov.Token, "{}")

	// A cancelled deal rejects its application: approving it is a 409.
	loose := c.do(201, "POST", pols, p.gov.Token, subsidyPolicyBody(flatRate(100), func(m map[string]any) {
		m["base"], m["require_registered"] = "tech_amount", false
	})).Str("id")
	signed := signedTransaction(e, p, 1_000_000, 1_000_000)
	rid := c.do(201, "POST", app, p.buyer.Token, quoteReq(signed, loose)).Str("id")
	c.do(200, "POST", "/api/v1/transactions/"+signed+"/cancel", p.opL.Token, map[string]string{"reason": "解除"})
	c.do(409, "POST", app+"/"+rid+"/review", p.gov.Token, reviewBody("approve", ""))
	c.do(409, "POST", app+"/"+rid+"/review", p.gov.Token, reviewBody("reject", "交易已取消"))
	c.do(200, "GET", app+"?status=rejected", p.gov.Token, nil)
	// An approved application rejected by the bureau.
	rid = c.do(201, "POST", app, p.buyer.Token, quoteReq(signedTransaction(e, p, 1_000_000, 1_000_000), loose)).Str("id")
	c.do(200, "POST", app+"/"+rid+"/review", p.gov.Token, reviewBody("approve", ""))
	c.do(200, "POST", app+"/"+rid+"/review", p.gov.Token, reviewBody("reject", "材料不实"))

	// Versions.
	c.do(201, "POST", pols+"/"+pid+"/versions", p.gov.Token, map[string]any{"rate_bp": 200}, "Idempotency-Key", "oa-version")
	c.do(409, "POST", pols+"/"+pid+"/versions", p.gov.Token, nil)
	c.do(200, "GET", pols+"/"+pid, "", nil)
	c.do(403, "POST", pols+"/"+loose+"/versions", p.buyer.Token, "{}")
}
