package httpapi_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// The subsidy tests run in 2025: deals are signed on subsidySignedAt,
// inside the policies' period and always in the past.
const (
	subsidySignedAt = "2025-06-01T10:00:00+08:00"
	policyYear      = 2025
	policyFrom      = "2025-01-01"
	policyUntil     = "2025-12-31"
)

// sanming is 三明's schedule: 1% to 10万元, 0.5% to 100万元, 0.1% above.
func sanming() []map[string]any {
	return []map[string]any{
		{"up_to_fen": 10_000_000, "rate_bp": 100},
		{"up_to_fen": 100_000_000, "rate_bp": 50},
		{"up_to_fen": nil, "rate_bp": 10},
	}
}

// subsidyPolicyBody returns a valid policy: 三明 tiers on the lesser of paid and
// tech amount, a large budget, no caps, registered local buyers only.
func subsidyPolicyBody(edit ...func(map[string]any)) map[string]any {
	m := map[string]any{
		"name": "柳州市技术交易补助测试政策", "year": policyYear, "tiers": sanming(),
		"per_transaction_cap_fen": 0, "annual_cap_per_org_fen": 0, "budget_fen": 5_000_000_000,
		"min_tech_amount_fen": 0, "eligible_contract_types": []string{}, "require_registered": true,
		"require_local_buyer": true, "base": "lesser", "auto_apply": false,
		"effective_from": policyFrom, "effective_to": policyUntil,
	}
	for _, f := range edit {
		f(m)
	}
	return m
}

// flat makes a policy pay a flat rate instead of tiers.
func flatRate(bp int) func(map[string]any) {
	return func(m map[string]any) {
		delete(m, "tiers")
		m["rate_bp"] = bp
	}
}

func newPolicy(e *apptest.Env, gov apptest.Org, edit ...func(map[string]any)) string {
	e.T.Helper()
	return e.Must(201, "POST", "/api/v1/subsidy-policies", gov.Token, subsidyPolicyBody(edit...)).Str("id")
}

// signedTransaction creates an offline deal of the liuzhou market signed in the
// policies' period, with the given amounts.
func signedTransaction(e *apptest.Env, p parties, contract, tech int64) string {
	e.T.Helper()
	return newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline, func(m map[string]any) {
		m["contract_amount_fen"], m["tech_amount_fen"], m["signed_at"] = contract, tech, subsidySignedAt
	})
}

// paidTransaction creates a deal, books paid and registers it, so it is paid
// when paid ≥ tech.
func paidTransaction(e *apptest.Env, p parties, contract, tech, paid int64) string {
	e.T.Helper()
	id := signedTransaction(e, p, contract, tech)
	e.Must(201, "POST", "/api/v1/transactions/"+id+"/payments", p.opL.Token, payment(paid, uniqueNo("PZ")))
	e.Must(200, "POST", "/api/v1/transactions/"+id+"/register", p.opL.Token, registration(uniqueNo("DJ"), nil))
	return id
}

func quoteReq(transactionID, policyID string) map[string]string {
	return map[string]string{"transaction_id": transactionID, "policy_id": policyID}
}

// subsidyApp is the part of a subsidy application the tests read.
type subsidyApp struct {
	ID                string          `json:"id"`
	TransactionID     string          `json:"transaction_id"`
	PolicyID          string          `json:"policy_id"`
	BuyerOrgID        string          `json:"buyer_org_id"`
	Status            string          `json:"status"`
	AmountFen         int64           `json:"amount_fen"`
	Breakdown         json.RawMessage `json:"breakdown"`
	AutoApplied       bool            `json:"auto_applied"`
	ApprovedAmountFen int64           `json:"approved_amount_fen"`
	ApprovalBreakdown json.RawMessage `json:"approval_breakdown"`
	RejectionReason   string          `json:"rejection_reason"`
	VoucherNo         string          `json:"voucher_no"`
}

func asApplication(t *testing.T, r *apptest.Response) subsidyApp {
	t.Helper()
	var a subsidyApp
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatalf("decode application: %v: %s", err, r.Body)
	}
	return a
}

// reasonCodes returns the codes of a problem's reasons.
func reasonCodes(r *apptest.Response) []string {
	var p struct {
		Reasons []struct{ Code string } `json:"reasons"`
	}
	_ = json.Unmarshal(r.Body, &p)
	codes := make([]string, len(p.Reasons))
	for i, x := range p.Reasons {
		codes[i] = x.Code
	}
	return codes
}

// policyMoney reads a policy's budget counters from the database.
func policyMoney(t *testing.T, e *apptest.Env, id string) (budget, approved, disbursed int64) {
	t.Helper()
	if err := e.Sys.DB.SQL().QueryRow("SELECT budget_fen, approved_fen, disbursed_fen FROM subsidy_policies WHERE id = ?", id).
		Scan(&budget, &approved, &disbursed); err != nil {
		t.Fatal(err)
	}
	return budget, approved, disbursed
}

// insertPaidTransactions writes n registered, fully paid deals of buyer straight
// into the database, signed on subsidySignedAt: fixtures for the concurrency
// tests, which test approvals, not deal creation.
func insertPaidTransactions(t *testing.T, e *apptest.Env, buyer, seller, operator string, n int, tech int64) []string {
	t.Helper()
	return insertTransactions(t, e, buyer, seller, operator, n, tech, tech, market.TransactionPaid)
}

// insertTransactions writes n registered deals of buyer in status with paid_fen
// paid, signed on subsidySignedAt.
func insertTransactions(t *testing.T, e *apptest.Env, buyer, seller, operator string, n int, tech, paid int64, status string) []string {
	t.Helper()
	signed, _ := time.Parse(time.RFC3339, subsidySignedAt)
	now := time.Now().UTC().Truncate(time.Microsecond)
	ids := make([]string, n)
	for i := range n {
		ids[i] = ulid.Make().String()
		_, err := e.Sys.DB.SQL().Exec(`INSERT INTO transactions (id, market, channel, contract_type, contract_no, contract_key, title,
			buyer_org_id, seller_org_id, contract_amount_fen, declared_tech_amount_fen, tech_amount_fen, paid_fen, booked_fen, status,
			signed_at, registration_no, registration_key, registered_at, cancel_reason, created_by_org_id, created_at, updated_at)
			VALUES (?, 'liuzhou', 'offline', 'transfer', ?, ?, '压测技术转让合同', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?)`,
			ids[i], "HT-"+ids[i], "HT-"+ids[i], buyer, seller, tech, tech, tech, paid, paid, status, signed.UTC(),
			"DJ-"+ids[i], "DJ-"+ids[i], now, operator, now, now)
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// applyAll files an application for each deal through the API, a few at
// a time, and returns their ids in deal order.
func applyAll(t *testing.T, e *apptest.Env, token, policyID string, deals []string) []string {
	t.Helper()
	ids := make([]string, len(deals))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make(chan string, len(deals))
	for i, d := range deals {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := e.Do("POST", "/api/v1/subsidy-applications", token, quoteReq(d, policyID))
			if r.Status != 201 {
				errs <- fmt.Sprintf("apply for %s: %d %s", d, r.Status, r.Body)
				return
			}
			ids[i] = r.Str("id")
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Fatal(msg)
	}
	return ids
}

// approveAll sends an approval for every application at once, spread over
// the instances, and returns the responses in order.
func approveAll(envs []*apptest.Env, token string, subsidyApps []string) []*apptest.Response {
	res := make([]*apptest.Response, len(subsidyApps))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, id := range subsidyApps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res[i] = envs[i%len(envs)].Do("POST", "/api/v1/subsidy-applications/"+id+"/review", token,
				map[string]string{"decision": "approve"})
		}()
	}
	close(start)
	wg.Wait()
	return res
}
