package httpapi_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// checkApprovals counts the answers of a race of approvals: wantOK 200s,
// every other one a 409 whose only reason is wantReason.
func checkApprovals(t *testing.T, res []*apptest.Response, wantOK int, wantReason string) {
	t.Helper()
	ok := 0
	for i, r := range res {
		switch {
		case r.Status == 200:
			ok++
		case r.Status == 409 && reflect.DeepEqual(reasonCodes(r), []string{wantReason}):
		default:
			t.Errorf("approval %d: %d %s", i, r.Status, r.Body)
		}
	}
	if ok != wantOK {
		t.Fatalf("%d approvals succeeded, want %d", ok, wantOK)
	}
}

// approvedSum reads what the database holds as approved under a policy.
func approvedSum(t *testing.T, e *apptest.Env, where string, args ...any) (n int, sum int64) {
	t.Helper()
	if err := e.Sys.DB.SQL().QueryRow("SELECT COUNT(*), COALESCE(SUM(approved_amount_fen), 0) FROM subsidy_applications WHERE status = 'approved' AND "+where, args...).
		Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	return n, sum
}

// raceBudget files 200 applications of 10 000 fen, from four buyers of 50
// deals each, against a budget that fits exactly 50, and approves them all
// at once spread over the instances.
func raceBudget(t *testing.T, envs []*apptest.Env) {
	e := envs[0]
	p := newParties(e)
	const each, fit, total = 10_000, 50, 200
	pid := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) { m["budget_fen"] = fit * each })
	buyers := []apptest.Org{p.buyer, e.NewOrg(market.OrgEnterprise, true), e.NewOrg(market.OrgEnterprise, true), e.NewOrg(market.OrgEnterprise, true)}
	var ids []string
	for i, b := range buyers {
		deals := insertPaidTransactions(t, e, b.ID, p.seller.ID, p.opL.ID, total/len(buyers), 1_000_000)
		// Each buyer files through another instance.
		ids = append(ids, applyAll(t, envs[i%len(envs)], b.Token, pid, deals)...)
	}

	start := time.Now()
	res := approveAll(envs, p.gov.Token, ids)
	t.Logf("%d approvals over %d instance(s) in %v", total, len(envs), time.Since(start))
	checkApprovals(t, res, fit, "budget_exhausted")

	budget, approved, _ := policyMoney(t, e, pid)
	n, sum := approvedSum(t, e, "policy_id = ?", pid)
	t.Logf("budget %d: %d approved, SUM(approved_amount_fen) %d, policy approved_fen %d", budget, n, sum, approved)
	if n != fit || sum != budget || approved != budget {
		t.Fatalf("budget %d: %d approved applications summing %d, policy approved_fen %d", budget, n, sum, approved)
	}
	if left := count(t, e, "subsidy_applications", "policy_id = ? AND status = 'submitted'", pid); left != total-fit {
		t.Fatalf("%d applications still submitted, want %d", left, total-fit)
	}
	if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
		t.Fatalf("audit verify: %v", v)
	}
}

// TestConcurrentSubsidyApprovalsBudget: 200 approvals at once against a
// budget for 50 approve exactly 50 and never overspend.
func TestConcurrentSubsidyApprovalsBudget(t *testing.T) {
	requireMySQL(t)
	raceBudget(t, []*apptest.Env{apptest.New(t, store.DialectMySQL, nil)})
}

// TestConcurrentSubsidyApprovalsTwoInstances runs the same race through two
// app instances on one MariaDB and one Redis: the budget is guarded by the
// database, not by anything in one process.
func TestConcurrentSubsidyApprovalsTwoInstances(t *testing.T) {
	raceBudget(t, twoMySQLInstances(t))
}

// TestConcurrentSubsidyAnnualCap races 30 approvals of one buyer, half
// under a policy and half under its new version (the annual cap counts
// across versions), against an annual cap that fits 10, on two instances.
func TestConcurrentSubsidyAnnualCap(t *testing.T) {
	envs := twoMySQLInstances(t)
	e := envs[0]
	p := newParties(e)
	const each, cap, total = 10_000, 100_000, 30
	v1 := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) { m["annual_cap_per_org_fen"] = cap })
	deals := insertPaidTransactions(t, e, p.buyer.ID, p.seller.ID, p.opL.ID, total, 1_000_000)
	ids := applyAll(t, e, p.buyer.Token, v1, deals[:total/2])
	v2 := e.Must(201, "POST", "/api/v1/subsidy-policies/"+v1+"/versions", p.gov.Token, map[string]any{"name": "第二版"}).Str("id")
	ids = append(ids, applyAll(t, envs[1], p.buyer.Token, v2, deals[total/2:])...)

	res := approveAll(envs, p.gov.Token, ids)
	checkApprovals(t, res, cap/each, "annual_cap_exhausted")
	n, sum := approvedSum(t, e, "buyer_org_id = ?", p.buyer.ID)
	t.Logf("annual cap %d: %d approved summing %d", cap, n, sum)
	if sum != cap || n != cap/each {
		t.Fatalf("annual cap %d: %d approved summing %d", cap, n, sum)
	}
}
