package httpapi_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

// loosePolicy pays a flat 1% on the tech amount of any deal, registered or
// not, with an annual cap per buyer of quota fen.
func loosePolicy(e *apptest.Env, p parties, quota int64, edit ...func(map[string]any)) string {
	e.T.Helper()
	return newPolicy(e, p.gov, append([]func(map[string]any){flatRate(100), func(m map[string]any) {
		m["base"], m["require_registered"], m["annual_cap_per_org_fen"] = "tech_amount", false, quota
	}}, edit...)...)
}

// orgQuotaLeft quotes a fresh deal of the buyer and returns what is left of
// its annual quota under the policy.
func orgQuotaLeft(t *testing.T, e *apptest.Env, p parties, policy string) int64 {
	t.Helper()
	var q struct {
		Left *int64 `json:"remaining_org_quota_fen"`
	}
	r := e.Must(200, "POST", "/api/v1/subsidies/quote", p.buyer.Token, quoteReq(signedTransaction(e, p, 1_000_000, 1_000_000), policy))
	if err := json.Unmarshal(r.Body, &q); err != nil || q.Left == nil {
		t.Fatalf("quote: %v %s", err, r.Body)
	}
	return *q.Left
}

func cancelTransaction(e *apptest.Env, p parties, id string) *apptest.Response {
	e.T.Helper()
	return e.Do("POST", "/api/v1/transactions/"+id+"/cancel", p.opL.Token, map[string]string{"reason": "合同解除"})
}

// TestCancelTransactionRejectsSubsidy: cancelling a deal rejects its live subsidy
// application and gives back what an approved one reserved, in the same
// transaction; the subsidy of a cancelled deal is never paid; a deal whose
// subsidy is paid out cannot be cancelled.
func TestCancelTransactionRejectsSubsidy(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := loosePolicy(e, p, 15_000)

		// The audit's reproduction: applied on a signed deal, approved,
		// cancelled, disbursed.
		deal := signedTransaction(e, p, 1_000_000, 1_000_000) // 1% = 10 000 fen
		id := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, pid)).Str("id")
		e.Must(200, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		if _, approved, _ := policyMoney(t, e, pid); approved != 10_000 {
			t.Fatalf("approved %d", approved)
		}
		if left := orgQuotaLeft(t, e, p, pid); left != 5_000 {
			t.Fatalf("quota left after approval: %d", left)
		}
		if d := asTransaction(t, e.Must(200, "POST", "/api/v1/transactions/"+deal+"/cancel", p.opL.Token,
			map[string]string{"reason": "合同解除"})); d.Status != "cancelled" {
			t.Fatalf("cancelled: %+v", d)
		}
		a := asApplication(t, e.Must(200, "GET", subsidyApps+"/"+id, p.gov.Token, nil))
		if a.Status != "rejected" || !strings.Contains(a.RejectionReason, "deal cancelled") || !strings.Contains(a.RejectionReason, "合同解除") {
			t.Fatalf("application after cancelling the deal: %+v", a)
		}
		if _, approved, disbursed := policyMoney(t, e, pid); approved != 0 || disbursed != 0 {
			t.Fatalf("after cancelling: approved %d, disbursed %d", approved, disbursed)
		}
		if left := orgQuotaLeft(t, e, p, pid); left != 15_000 {
			t.Fatalf("quota left after cancelling: %d", left)
		}
		r := e.Must(409, "POST", subsidyApps+"/"+id+"/disburse", p.gov.Token, map[string]string{"voucher_no": uniqueNo("BZ")})
		if !strings.Contains(r.Str("detail"), "rejected") {
			t.Fatalf("disbursing after cancel: %s", r.Body)
		}
		if _, _, disbursed := policyMoney(t, e, pid); disbursed != 0 {
			t.Fatalf("disbursed %d for a cancelled deal", disbursed)
		}
		if got := auditActions(t, e, "subsidy_application", id); got != "create,approve,reject" {
			t.Errorf("application audit: %s", got)
		}
		if got := auditActions(t, e, "subsidy_policy", pid); got != "create,reserve,release" {
			t.Errorf("policy audit: %s", got)
		}
		if got := auditActions(t, e, "transaction", deal); got != "create,cancel" {
			t.Errorf("deal audit: %s", got)
		}

		// A submitted application is rejected too; nothing was reserved.
		deal = signedTransaction(e, p, 1_000_000, 1_000_000)
		id = e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, pid)).Str("id")
		if r := cancelTransaction(e, p, deal); r.Status != 200 {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		if a := asApplication(t, e.Must(200, "GET", subsidyApps+"/"+id, p.buyer.Token, nil)); a.Status != "rejected" {
			t.Fatalf("submitted application after cancelling: %+v", a)
		}
		e.Must(409, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		if got := auditActions(t, e, "subsidy_policy", pid); got != "create,reserve,release" {
			t.Errorf("policy audit after a submitted one: %s", got)
		}
		// No application for a cancelled deal either.
		r = e.Must(422, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, pid))
		if codes := reasonCodes(r); !reflect.DeepEqual(codes, []string{"cancelled"}) {
			t.Fatalf("applying on a cancelled deal: %v %s", codes, r.Body)
		}

		// Disbursed: public money is out; the deal stays as it is.
		deal = signedTransaction(e, p, 1_000_000, 1_000_000)
		id = e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, pid)).Str("id")
		e.Must(200, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		e.Must(200, "POST", subsidyApps+"/"+id+"/disburse", p.gov.Token, map[string]string{"voucher_no": uniqueNo("BZ")})
		audits := count(t, e, "audit_events", "")
		r = cancelTransaction(e, p, deal)
		if r.Status != 409 || !strings.Contains(r.Str("detail"), "disbursed") || !strings.Contains(r.Str("detail"), "public money") ||
			!strings.Contains(r.Str("detail"), id) {
			t.Fatalf("cancelling a deal with a disbursed subsidy: %d %s", r.Status, r.Body)
		}
		if status, _, _ := transactionState(t, e, deal); status != "signed" {
			t.Fatalf("deal after the refused cancel: %s", status)
		}
		if a := asApplication(t, e.Must(200, "GET", subsidyApps+"/"+id, p.gov.Token, nil)); a.Status != "disbursed" {
			t.Fatalf("application after the refused cancel: %+v", a)
		}
		if _, approved, disbursed := policyMoney(t, e, pid); approved != 0 || disbursed != 10_000 {
			t.Fatalf("after the refused cancel: approved %d, disbursed %d", approved, disbursed)
		}
		if n := count(t, e, "audit_events", ""); n != audits {
			t.Fatalf("the refused cancel wrote %d audit events", n-audits)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}
	})
}

// TestDisburseRechecksTransaction: disbursement looks at the deal as it is; the
// bureau may reject an approved application, which releases it.
func TestDisburseRechecksTransaction(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := loosePolicy(e, p, 0)

		// A deal cancelled without its application being rejected (data
		// from before cancelling did that): disbursement refuses.
		deal := signedTransaction(e, p, 1_000_000, 1_000_000)
		id := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, pid)).Str("id")
		e.Must(200, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		if _, err := e.Sys.DB.SQL().Exec("UPDATE transactions SET status = 'cancelled' WHERE id = ?", deal); err != nil {
			t.Fatal(err)
		}
		r := e.Must(409, "POST", subsidyApps+"/"+id+"/disburse", p.gov.Token, map[string]string{"voucher_no": uniqueNo("BZ")})
		if codes := reasonCodes(r); !reflect.DeepEqual(codes, []string{"cancelled"}) {
			t.Fatalf("reasons %v: %s", codes, r.Body)
		}
		if _, approved, disbursed := policyMoney(t, e, pid); approved != 10_000 || disbursed != 0 {
			t.Fatalf("after the refused disbursement: approved %d, disbursed %d", approved, disbursed)
		}
		// The bureau rejects the approved application: released.
		e.Must(422, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("reject", ""))
		a := asApplication(t, e.Must(200, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("reject", "合同已解除")))
		if a.Status != "rejected" || a.RejectionReason != "合同已解除" {
			t.Fatalf("rejected: %+v", a)
		}
		if _, approved, _ := policyMoney(t, e, pid); approved != 0 {
			t.Fatalf("rejecting an approved application left %d approved", approved)
		}
		if got := auditActions(t, e, "subsidy_policy", pid); got != "create,reserve,release" {
			t.Errorf("policy audit: %s", got)
		}
	})
}

// TestDisburseFollowsCertifiedAmount: an application approved on the
// declared tech amount (the policy does not require registration) is paid
// on the certified amount when registration has lowered it since.
func TestDisburseFollowsCertifiedAmount(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := loosePolicy(e, p, 50_000)

		deal := signedTransaction(e, p, 1_000_000, 1_000_000)
		id := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, pid)).Str("id")
		e.Must(200, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		e.Must(200, "POST", "/api/v1/transactions/"+deal+"/register", p.opL.Token, registration(uniqueNo("DJ"), 600_000))
		r := e.Must(200, "POST", subsidyApps+"/"+id+"/disburse", p.gov.Token, map[string]string{"voucher_no": uniqueNo("BZ")})
		var a struct {
			subsidyApp
			Disbursed int64 `json:"disbursed_amount_fen"`
			Breakdown struct {
				BaseFen   int64 `json:"base_fen"`
				AmountFen int64 `json:"amount_fen"`
			} `json:"disbursement_breakdown"`
		}
		if err := json.Unmarshal(r.Body, &a); err != nil {
			t.Fatal(err)
		}
		if a.Status != "disbursed" || a.ApprovedAmountFen != 10_000 || a.Disbursed != 6_000 ||
			a.Breakdown.BaseFen != 600_000 || a.Breakdown.AmountFen != 6_000 {
			t.Fatalf("disbursed: %s", r.Body)
		}
		if _, approved, disbursed := policyMoney(t, e, pid); approved != 0 || disbursed != 6_000 {
			t.Fatalf("policy: approved %d, disbursed %d", approved, disbursed)
		}
		// The quota counts what was paid.
		if left := orgQuotaLeft(t, e, p, pid); left != 44_000 {
			t.Fatalf("quota left: %d", left)
		}
		if got := e.Must(200, "GET", subsidyApps+"/"+id, p.buyer.Token, nil); string(got.Body) != string(r.Body) {
			t.Fatalf("GET differs from the answer:\n%s\n%s", got.Body, r.Body)
		}

		// A certified amount below the policy's minimum: nothing to pay, a
		// 409 with the reason, and the application stays approved.
		strict := loosePolicy(e, p, 0, func(m map[string]any) { m["min_tech_amount_fen"] = 800_000 })
		deal = signedTransaction(e, p, 1_000_000, 1_000_000)
		id = e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, strict)).Str("id")
		e.Must(200, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		e.Must(200, "POST", "/api/v1/transactions/"+deal+"/register", p.opL.Token, registration(uniqueNo("DJ"), 600_000))
		r = e.Must(409, "POST", subsidyApps+"/"+id+"/disburse", p.gov.Token, map[string]string{"voucher_no": uniqueNo("BZ")})
		if codes := reasonCodes(r); !reflect.DeepEqual(codes, []string{"below_minimum"}) {
			t.Fatalf("reasons %v: %s", codes, r.Body)
		}
		if a := asApplication(t, e.Must(200, "GET", subsidyApps+"/"+id, p.gov.Token, nil)); a.Status != "approved" {
			t.Fatalf("after the refused disbursement: %+v", a)
		}
		if _, approved, disbursed := policyMoney(t, e, strict); approved != 10_000 || disbursed != 0 {
			t.Fatalf("strict policy: approved %d, disbursed %d", approved, disbursed)
		}
	})
}
