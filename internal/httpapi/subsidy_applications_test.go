package httpapi_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

const subsidyApps = "/api/v1/subsidy-applications"

func reviewBody(decision, reason string) map[string]string {
	return map[string]string{"decision": decision, "reason": reason}
}

func auditActions(t *testing.T, e *apptest.Env, entity, id string) string {
	t.Helper()
	var actions []string
	for _, ev := range e.Must(200, "GET", "/api/v1/audit?entity="+entity+"&entity_id="+id, e.AdminToken, nil).Items() {
		actions = append(actions, ev["action"].(string))
	}
	return strings.Join(actions, ",")
}

func TestSubsidyApplicationLifecycle(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := newPolicy(e, p.gov)
		deal := paidTransaction(e, p, 10_000_000, 10_000_000, 10_000_000) // 10万元 at 1% = 100 000 fen
		body := quoteReq(deal, pid)

		// Only the buyer applies.
		e.Must(403, "POST", subsidyApps, p.seller.Token, body)
		e.Must(403, "POST", subsidyApps, p.gov.Token, body)
		e.Must(403, "POST", subsidyApps, p.opL.Token, body)
		e.Must(404, "POST", subsidyApps, p.outsider.Token, body)

		quote := e.Must(200, "POST", "/api/v1/subsidies/quote", p.buyer.Token, body)
		first := asApplication(t, e.Must(201, "POST", subsidyApps, p.buyer.Token, body))
		var frozen, quoted any
		_ = json.Unmarshal(first.Breakdown, &frozen)
		_ = json.Unmarshal(quote.Body, &quoted)
		if first.Status != "submitted" || first.AmountFen != 100_000 || first.AutoApplied || first.BuyerOrgID != p.buyer.ID ||
			!reflect.DeepEqual(frozen, quoted) {
			t.Fatalf("submitted: %+v", first)
		}
		r := e.Must(409, "POST", subsidyApps, p.buyer.Token, body)
		if !strings.Contains(r.Str("detail"), first.ID) {
			t.Fatalf("second live application: %s", r.Body)
		}

		// Who sees it.
		e.Must(200, "GET", subsidyApps+"/"+first.ID, p.buyer.Token, nil)
		e.Must(200, "GET", subsidyApps+"/"+first.ID, p.gov.Token, nil)
		e.Must(404, "GET", subsidyApps+"/"+first.ID, p.seller.Token, nil)
		e.Must(404, "GET", subsidyApps+"/"+first.ID, p.outsider.Token, nil)
		if n := len(e.Must(200, "GET", subsidyApps, p.seller.Token, nil).Items()); n != 0 {
			t.Fatalf("seller lists %d applications", n)
		}
		e.Must(403, "GET", subsidyApps, p.opL.Token, nil)

		// Reviews are the bureau's.
		e.Must(403, "POST", subsidyApps+"/"+first.ID+"/review", p.buyer.Token, reviewBody("approve", ""))
		e.Must(403, "POST", subsidyApps+"/"+first.ID+"/review", p.opL.Token, reviewBody("approve", ""))
		e.Must(403, "POST", subsidyApps+"/"+first.ID+"/review", p.outsider.Token, reviewBody("approve", ""))
		e.Must(403, "POST", subsidyApps+"/no-such-application/review", p.buyer.Token, reviewBody("approve", ""))
		e.Must(404, "POST", subsidyApps+"/no-such-application/review", p.gov.Token, reviewBody("approve", ""))
		e.Must(422, "POST", subsidyApps+"/"+first.ID+"/review", p.gov.Token, reviewBody("maybe", ""))

		// The buyer withdraws while submitted, which frees the deal.
		e.Must(403, "POST", subsidyApps+"/"+first.ID+"/withdraw", p.gov.Token, nil)
		if a := asApplication(t, e.Must(200, "POST", subsidyApps+"/"+first.ID+"/withdraw", p.buyer.Token, "{}")); a.Status != "withdrawn" {
			t.Fatalf("withdrawn: %+v", a)
		}
		r = e.Must(409, "POST", subsidyApps+"/"+first.ID+"/withdraw", p.buyer.Token, nil)
		if !strings.Contains(r.Str("detail"), "withdrawn") {
			t.Fatalf("conflict does not name the state: %s", r.Body)
		}
		second := e.Must(201, "POST", subsidyApps, p.buyer.Token, body).Str("id")

		// Approval reserves the amount from the budget.
		a := asApplication(t, e.Must(200, "POST", subsidyApps+"/"+second+"/review", p.gov.Token, reviewBody("approve", "材料齐全")))
		if a.Status != "approved" || a.ApprovedAmountFen != 100_000 || len(a.ApprovalBreakdown) == 0 {
			t.Fatalf("approved: %+v", a)
		}
		pol := e.Must(200, "GET", "/api/v1/subsidy-policies/"+pid, "", nil).JSON()
		if pol["approved_fen"] != float64(100_000) || pol["remaining_budget_fen"] != float64(5_000_000_000-100_000) {
			t.Fatalf("policy after approval: %v", pol)
		}
		e.Must(409, "POST", subsidyApps+"/"+second+"/review", p.gov.Token, reviewBody("approve", ""))
		e.Must(409, "POST", subsidyApps+"/"+second+"/withdraw", p.buyer.Token, nil)
		e.Must(403, "POST", subsidyApps+"/"+second+"/disburse", p.buyer.Token, map[string]string{"voucher_no": "BZ-1"})
		e.Must(422, "POST", subsidyApps+"/"+second+"/disburse", p.gov.Token, "{}")

		// Disbursal moves it from approved to disbursed.
		a = asApplication(t, e.Must(200, "POST", subsidyApps+"/"+second+"/disburse", p.gov.Token, map[string]string{"voucher_no": "bz-2025 001"}))
		if a.Status != "disbursed" || a.VoucherNo != "BZ-2025 001" {
			t.Fatalf("disbursed: %+v", a)
		}
		if _, approved, disbursed := policyMoney(t, e, pid); approved != 0 || disbursed != 100_000 {
			t.Fatalf("policy after disbursal: approved %d, disbursed %d", approved, disbursed)
		}
		r = e.Must(409, "POST", subsidyApps+"/"+second+"/disburse", p.gov.Token, map[string]string{"voucher_no": "BZ-3"})
		if !strings.Contains(r.Str("detail"), "disbursed") {
			t.Fatalf("conflict does not name the state: %s", r.Body)
		}
		e.Must(409, "POST", subsidyApps, p.buyer.Token, body) // a disbursed application stays live

		// Lists and filters.
		for q, want := range map[string]int{"": 2, "?status=disbursed": 1, "?status=withdrawn": 1,
			"?transaction_id=" + deal: 2, "?policy_id=" + pid + "&limit=1": 1, "?policy_id=other": 0} {
			if n := len(e.Must(200, "GET", subsidyApps+q, p.buyer.Token, nil).Items()); n != want {
				t.Errorf("list %q: %d, want %d", q, n, want)
			}
		}
		if n := len(e.Must(200, "GET", subsidyApps+"?buyer_org_id="+p.buyer.ID, p.gov.Token, nil).Items()); n != 2 {
			t.Errorf("bureau list by buyer: %d", n)
		}
		e.Must(422, "GET", subsidyApps+"?status=lost", p.gov.Token, nil)

		// Every step audited, and the chain holds.
		if got := auditActions(t, e, "subsidy_application", first.ID); got != "create,withdraw" {
			t.Errorf("first subsidyApp audit: %s", got)
		}
		if got := auditActions(t, e, "subsidy_application", second); got != "create,approve,disburse" {
			t.Errorf("second subsidyApp audit: %s", got)
		}
		if got := auditActions(t, e, "subsidy_policy", pid); got != "create,reserve,disburse" {
			t.Errorf("policy audit: %s", got)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}
	})
}

func TestSubsidyRejectAndDisburseRules(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := newPolicy(e, p.gov, flatRate(100))
		deal := paidTransaction(e, p, 1_000_000, 1_000_000, 1_000_000)
		id := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, pid)).Str("id")
		e.Must(422, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("reject", ""))
		a := asApplication(t, e.Must(200, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("reject", "合同与申报不符")))
		if a.Status != "rejected" || a.RejectionReason != "合同与申报不符" {
			t.Fatalf("rejected: %+v", a)
		}
		r := e.Must(409, "POST", subsidyApps+"/"+id+"/disburse", p.gov.Token, map[string]string{"voucher_no": "BZ-R"})
		if !strings.Contains(r.Str("detail"), "rejected") {
			t.Fatalf("disbursing a rejected application: %s", r.Body)
		}
		e.Must(409, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		if _, approved, disbursed := policyMoney(t, e, pid); approved != 0 || disbursed != 0 {
			t.Fatalf("a rejection moved money: %d %d", approved, disbursed)
		}

		// A rejection frees the deal; a voucher is booked once.
		again := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, pid)).Str("id")
		other := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(paidTransaction(e, p, 1_000_000, 1_000_000, 1_000_000), pid)).Str("id")
		for _, id := range []string{again, other} {
			e.Must(200, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		}
		e.Must(200, "POST", subsidyApps+"/"+again+"/disburse", p.gov.Token, map[string]string{"voucher_no": "BZ-ONCE"})
		e.Must(409, "POST", subsidyApps+"/"+other+"/disburse", p.gov.Token, map[string]string{"voucher_no": "bz-once"})
		if a := asApplication(t, e.Must(200, "GET", subsidyApps+"/"+other, p.gov.Token, nil)); a.Status != "approved" {
			t.Fatalf("after a duplicate voucher: %+v", a)
		}
	})
}

// TestSubsidyApprovalRechecks: approval looks at the deal, the quota and
// the budget as they are at approval, not as they were at submission.
func TestSubsidyApprovalRechecks(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)

		// The deal was cancelled after the application without rejecting
		// it (data from before cancelling did that; see
		// TestCancelTransactionRejectsSubsidy): approval is refused with the
		// reason, and the application stays submitted.
		loose := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) {
			m["base"], m["require_registered"] = "tech_amount", false
		})
		deal := signedTransaction(e, p, 1_000_000, 1_000_000)
		id := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, loose)).Str("id")
		if _, err := e.Sys.DB.SQL().Exec("UPDATE transactions SET status = 'cancelled' WHERE id = ?", deal); err != nil {
			t.Fatal(err)
		}
		r := e.Must(409, "POST", subsidyApps+"/"+id+"/review", p.gov.Token, reviewBody("approve", ""))
		if codes := reasonCodes(r); !reflect.DeepEqual(codes, []string{"cancelled"}) {
			t.Fatalf("reasons %v: %s", codes, r.Body)
		}
		if a := asApplication(t, e.Must(200, "GET", subsidyApps+"/"+id, p.buyer.Token, nil)); a.Status != "submitted" {
			t.Fatalf("after a refused approval: %+v", a)
		}
		if _, approved, _ := policyMoney(t, e, loose); approved != 0 {
			t.Fatalf("a refused approval reserved %d", approved)
		}

		// An ineligible deal cannot apply: 422 with every reason.
		strict := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) { m["budget_fen"] = 15_000 })
		r = e.Must(422, "POST", subsidyApps, p.buyer.Token, quoteReq(signedTransaction(e, p, 1_000_000, 1_000_000), strict))
		if codes := reasonCodes(r); !reflect.DeepEqual(codes, []string{"not_registered", "not_paid"}) {
			t.Fatalf("reasons %v: %s", codes, r.Body)
		}
		if f := problemFields(r); !reflect.DeepEqual(f, []string{"transaction_id"}) {
			t.Fatalf("fields %v: %s", f, r.Body)
		}

		// Two applications of 10 000 fen against a budget of 15 000: the
		// second approval gets what is left, and both amounts are kept.
		a1 := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(paidTransaction(e, p, 1_000_000, 1_000_000, 1_000_000), strict)).Str("id")
		a2 := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(paidTransaction(e, p, 1_000_000, 1_000_000, 1_000_000), strict)).Str("id")
		e.Must(200, "POST", subsidyApps+"/"+a1+"/review", p.gov.Token, reviewBody("approve", ""))
		got := asApplication(t, e.Must(200, "POST", subsidyApps+"/"+a2+"/review", p.gov.Token, reviewBody("approve", "")))
		if got.AmountFen != 10_000 || got.ApprovedAmountFen != 5_000 {
			t.Fatalf("trimmed approval: %+v", got)
		}
		if budget, approved, _ := policyMoney(t, e, strict); approved != budget {
			t.Fatalf("approved %d of %d", approved, budget)
		}
		// Nothing is left: a new application is refused with the reason.
		r = e.Must(422, "POST", subsidyApps, p.buyer.Token, quoteReq(paidTransaction(e, p, 1_000_000, 1_000_000, 1_000_000), strict))
		if codes := reasonCodes(r); !reflect.DeepEqual(codes, []string{"budget_exhausted"}) {
			t.Fatalf("reasons %v: %s", codes, r.Body)
		}
	})
}

// TestSubsidyAutoApply: 免申即享 — a deal that becomes paid gets exactly one
// application from an auto_apply policy, and none when it is ineligible.
func TestSubsidyAutoApply(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		newPolicy(e, p.gov) // not auto-applied
		auto := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) { m["auto_apply"] = true })

		deal := signedTransaction(e, p, 1_000_000, 1_000_000)
		e.Must(200, "POST", "/api/v1/transactions/"+deal+"/register", p.opL.Token, registration(uniqueNo("DJ"), nil))
		if n := count(t, e, "subsidy_applications", "transaction_id = ?", deal); n != 0 {
			t.Fatalf("%d applications before the deal is paid", n)
		}
		e.Must(201, "POST", "/api/v1/transactions/"+deal+"/payments", p.opL.Token, payment(1_000_000, "AUTO-1"))
		list := e.Must(200, "GET", subsidyApps+"?transaction_id="+deal, p.buyer.Token, nil).Items()
		if len(list) != 1 || list[0]["auto_applied"] != true || list[0]["status"] != "submitted" ||
			list[0]["policy_id"] != auto || list[0]["amount_fen"] != float64(10_000) {
			t.Fatalf("auto applications: %v", list)
		}
		id := list[0]["id"].(string)
		if got := auditActions(t, e, "subsidy_application", id); got != "auto_apply" {
			t.Fatalf("audit: %s", got)
		}
		e.Must(409, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, auto))
		e.Must(200, "POST", subsidyApps+"/"+id+"/withdraw", p.buyer.Token, nil)
		e.Must(200, "POST", "/api/v1/transactions/"+deal+"/complete", p.opL.Token, nil)
		if n := count(t, e, "subsidy_applications", "transaction_id = ?", deal); n != 1 {
			t.Fatalf("%d applications after completing, want 1", n)
		}

		// A buyer outside Liuzhou is not eligible: no application.
		far := e.NewOrg(market.OrgEnterprise, true, func(m map[string]any) { m["region_code"] = "440305" })
		farTransaction := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline, func(m map[string]any) {
			m["buyer_org_id"], m["signed_at"], m["contract_amount_fen"], m["tech_amount_fen"] = far.ID, subsidySignedAt, 1_000_000, 1_000_000
		})
		e.Must(201, "POST", "/api/v1/transactions/"+farTransaction+"/payments", p.opL.Token, payment(1_000_000, "AUTO-2"))
		if d := asTransaction(t, e.Must(200, "POST", "/api/v1/transactions/"+farTransaction+"/register", p.opL.Token, registration(uniqueNo("DJ"), nil))); d.Status != "paid" {
			t.Fatalf("far deal: %+v", d)
		}
		if n := count(t, e, "subsidy_applications", "transaction_id = ?", farTransaction); n != 0 {
			t.Fatalf("%d applications for an ineligible deal", n)
		}

		// Two auto_apply policies cover the deal: one application, under
		// the one that took effect last.
		later := newPolicy(e, p.gov, flatRate(200), func(m map[string]any) { m["auto_apply"], m["effective_from"] = true, "2025-03-01" })
		both := paidTransaction(e, p, 1_000_000, 1_000_000, 1_000_000)
		list = e.Must(200, "GET", subsidyApps+"?transaction_id="+both, p.buyer.Token, nil).Items()
		if len(list) != 1 || list[0]["policy_id"] != later || list[0]["amount_fen"] != float64(20_000) {
			t.Fatalf("with two auto policies: %v", list)
		}
		if !slices.Contains([]string{auto, later}, list[0]["policy_id"].(string)) {
			t.Fatal("unreachable")
		}
	})
}
