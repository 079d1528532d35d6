package httpapi_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// voucherPolicyBody is an innovation voucher: half the fee of a local
// client's completed booking or service order, effective around today.
func voucherPolicyBody(edit ...func(map[string]any)) map[string]any {
	today := time.Now().In(market.ChinaTime)
	m := map[string]any{
		"name": "柳州市创新券测试政策", "applies_to": "service", "year": today.Year(), "rate_bp": 5000,
		"per_transaction_cap_fen": 0, "annual_cap_per_org_fen": 0, "budget_fen": 100_000_000,
		"require_local_buyer": true, "effective_from": today.AddDate(0, 0, -30).Format(time.DateOnly),
		"effective_to": today.AddDate(1, 0, 0).Format(time.DateOnly),
	}
	for _, f := range edit {
		f(m)
	}
	return m
}

// completedBooking books, confirms and completes a booking of a fresh
// instrument of owner at feePerHour, with used minutes.
func completedBooking(e *apptest.Env, owner, booker apptest.Org, feePerHour int64, used int) string {
	e.T.Helper()
	id := newInstrument(e, owner, func(m map[string]any) { m["fee_per_hour_fen"] = feePerHour })
	start := mondayAt(0, 9, 0)
	bid := e.Must(201, "POST", "/api/v1/instruments/"+id+"/bookings", booker.Token, bookingBody(start, start.Add(2*time.Hour))).Str("id")
	e.Must(200, "POST", "/api/v1/bookings/"+bid+"/confirm", owner.Token, nil)
	e.Must(200, "POST", "/api/v1/bookings/"+bid+"/complete", owner.Token, map[string]any{"used_minutes": used})
	return bid
}

type voucherQuote struct {
	Eligible bool `json:"eligible"`
	Reasons  []struct {
		Code string `json:"code"`
	} `json:"reasons"`
	BaseKind string `json:"base_kind"`
	BaseFen  int64  `json:"base_fen"`
	RawFen   int64  `json:"raw_fen"`
	Caps     []struct {
		Kind     string `json:"kind"`
		LimitFen int64  `json:"limit_fen"`
		Applied  bool   `json:"applied"`
	} `json:"caps"`
	AmountFen int64 `json:"amount_fen"`
}

func asVoucherQuote(t *testing.T, r *apptest.Response) voucherQuote {
	t.Helper()
	var q voucherQuote
	if r.Status != 200 || json.Unmarshal(r.Body, &q) != nil {
		t.Fatalf("quote: %d %s", r.Status, r.Body)
	}
	return q
}

func (q voucherQuote) codes() []string {
	var out []string
	for _, r := range q.Reasons {
		out = append(out, r.Code)
	}
	return out
}

func (q voucherQuote) applied() []string {
	var out []string
	for _, c := range q.Caps {
		if c.Applied {
			out = append(out, c.Kind)
		}
	}
	return out
}

// TestVoucherMoney: vouchers computed by hand through the subsidy engine.
//
//	booking: 95 min at 300 元/h = 47 500 fen; 50% = 23 750, per-item cap
//	         20 000 → 20 000 (per_transaction applied).
//	order:   3 × 12 345 = 37 035 fen; 50% = 18 517.5 → 18 518 half-up;
//	         the annual cap of 30 000 leaves 10 000 after the booking's
//	         approval → 10 000 (annual_org applied).
//	tiers:   a 1 000 000-fen fee under 10% to 200 000 and 5% above
//	         = 20 000 + 40 000 = 60 000.
func TestVoucherMoney(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := e.Must(201, "POST", "/api/v1/subsidy-policies", p.gov.Token, voucherPolicyBody(func(m map[string]any) {
			m["per_transaction_cap_fen"], m["annual_cap_per_org_fen"] = 20_000, 30_000
		})).JSON()
		if pid["applies_to"] != "service" || pid["base"] != "fee" {
			t.Fatalf("voucher policy: %v", pid)
		}
		policy := pid["id"].(string)
		deals := newPolicy(e, p.gov)
		// A service policy refuses deal-only rules.
		r := e.Do("POST", "/api/v1/subsidy-policies", p.gov.Token, voucherPolicyBody(func(m map[string]any) {
			m["eligible_contract_types"], m["auto_apply"] = []string{"service"}, true
		}))
		if r.Status != 422 || !slices.Equal(problemFields(r), []string{"auto_apply", "eligible_contract_types"}) {
			t.Fatalf("deal rules on a voucher: %d %s", r.Status, r.Body)
		}

		// Not yet completed: not_completed, nothing to apply for.
		id := newInstrument(e, p.seller)
		start := mondayAt(0, 9, 0)
		open := e.Must(201, "POST", "/api/v1/instruments/"+id+"/bookings", p.buyer.Token, bookingBody(start, start.Add(time.Hour))).Str("id")
		q := asVoucherQuote(t, e.Do("POST", "/api/v1/subsidies/quote", p.buyer.Token, map[string]string{"booking_id": open, "policy_id": policy}))
		if q.Eligible || !slices.Equal(q.codes(), []string{"not_completed"}) || q.AmountFen != 0 {
			t.Fatalf("open booking: %+v", q)
		}
		if r := e.Do("POST", "/api/v1/subsidy-applications", p.buyer.Token, map[string]string{"booking_id": open, "policy_id": policy}); r.Status != 422 ||
			!reflect.DeepEqual(reasonCodes(r), []string{"not_completed"}) {
			t.Fatalf("apply for an open booking: %d %s", r.Status, r.Body)
		}

		bid := completedBooking(e, p.seller, p.buyer, 30_000, 95)
		req := map[string]string{"booking_id": bid, "policy_id": policy}
		q = asVoucherQuote(t, e.Do("POST", "/api/v1/subsidies/quote", p.seller.Token, req))
		if !q.Eligible || q.BaseKind != "fee" || q.BaseFen != 47_500 || q.RawFen != 23_750 || q.AmountFen != 20_000 ||
			!slices.Equal(q.applied(), []string{"per_transaction"}) {
			t.Fatalf("booking voucher: %+v", q)
		}
		// The wrong policy kind, the wrong subject, the wrong people.
		for name, c := range map[string]struct {
			token  string
			body   map[string]string
			status int
		}{
			"deal policy for a booking": {p.buyer.Token, map[string]string{"booking_id": bid, "policy_id": deals}, 422},
			"two subjects":              {p.buyer.Token, map[string]string{"booking_id": bid, "transaction_id": bid, "policy_id": policy}, 422},
			"a third org":               {p.outsider.Token, req, 404},
			"an operator":               {p.opL.Token, req, 404},
		} {
			if r := e.Do("POST", "/api/v1/subsidies/quote", c.token, c.body); r.Status != c.status {
				t.Errorf("quote, %s: %d %s, want %d", name, r.Status, r.Body, c.status)
			}
		}
		e.Must(200, "POST", "/api/v1/subsidies/quote", p.gov.Token, req)
		e.Must(403, "POST", "/api/v1/subsidy-applications", p.seller.Token, req)
		app := asApplication(t, e.Must(201, "POST", "/api/v1/subsidy-applications", p.buyer.Token, req))
		if app.AmountFen != 20_000 || app.BuyerOrgID != p.buyer.ID || app.TransactionID != "" {
			t.Fatalf("application: %+v", app)
		}
		if r := e.Do("POST", "/api/v1/subsidy-applications", p.buyer.Token, req); r.Status != 409 {
			t.Fatalf("second application: %d %s", r.Status, r.Body)
		}
		if a := asApplication(t, e.Must(200, "POST", "/api/v1/subsidy-applications/"+app.ID+"/review", p.gov.Token,
			map[string]string{"decision": "approve"})); a.Status != "approved" || a.ApprovedAmountFen != 20_000 {
			t.Fatalf("approved: %+v", a)
		}

		// A service order: 18 518 trimmed to what is left of the annual cap.
		sid := e.Must(201, "POST", "/api/v1/services", p.seller.Token, serviceBody()).Str("id")
		oid := e.Must(201, "POST", "/api/v1/service-orders", p.buyer.Token, map[string]any{"service_id": sid, "quantity": 3}).Str("id")
		oreq := map[string]string{"service_order_id": oid, "policy_id": policy}
		if q := asVoucherQuote(t, e.Do("POST", "/api/v1/subsidies/quote", p.buyer.Token, oreq)); !slices.Equal(q.codes(), []string{"not_completed"}) {
			t.Fatalf("submitted order: %+v", q)
		}
		e.Must(200, "POST", "/api/v1/service-orders/"+oid+"/accept", p.seller.Token, nil)
		if r := deliver(e, p.seller.Token, oid, "r.pdf", pdf("r")); r.Status != 200 {
			t.Fatalf("deliver: %d %s", r.Status, r.Body)
		}
		e.Must(200, "POST", "/api/v1/service-orders/"+oid+"/complete", p.buyer.Token, nil)
		q = asVoucherQuote(t, e.Do("POST", "/api/v1/subsidies/quote", p.buyer.Token, oreq))
		if !q.Eligible || q.BaseFen != 37_035 || q.RawFen != 18_518 || q.AmountFen != 10_000 || !slices.Equal(q.applied(), []string{"annual_org"}) {
			t.Fatalf("order voucher: %+v", q)
		}
		oapp := asApplication(t, e.Must(201, "POST", "/api/v1/subsidy-applications", p.buyer.Token, oreq))
		e.Must(200, "POST", "/api/v1/subsidy-applications/"+oapp.ID+"/review", p.gov.Token, map[string]string{"decision": "approve"})
		d := asApplication(t, e.Must(200, "POST", "/api/v1/subsidy-applications/"+oapp.ID+"/disburse", p.gov.Token, map[string]string{"voucher_no": uniqueNo("CXQ")}))
		if d.Status != "disbursed" {
			t.Fatalf("disbursed: %+v", d)
		}
		if _, approved, disbursed := policyMoney(t, e, policy); approved != 20_000 || disbursed != 10_000 {
			t.Fatalf("policy holds approved %d, disbursed %d", approved, disbursed)
		}

		// Tiers, and a client outside Liuzhou.
		tiered := e.Must(201, "POST", "/api/v1/subsidy-policies", p.gov.Token, voucherPolicyBody(func(m map[string]any) {
			delete(m, "rate_bp")
			m["tiers"] = []map[string]any{{"up_to_fen": 200_000, "rate_bp": 1000}, {"up_to_fen": nil, "rate_bp": 500}}
		})).Str("id")
		big := completedBooking(e, p.seller, p.outsider, 1_000_000, 60)
		q = asVoucherQuote(t, e.Do("POST", "/api/v1/subsidies/quote", p.outsider.Token, map[string]string{"booking_id": big, "policy_id": tiered}))
		if !q.Eligible || q.RawFen != 60_000 || q.AmountFen != 60_000 {
			t.Fatalf("tiered voucher: %+v", q)
		}
		far := e.NewOrg(market.OrgEnterprise, true, func(m map[string]any) { m["region_code"] = "440305" })
		farB := completedBooking(e, p.seller, far, 30_000, 60)
		q = asVoucherQuote(t, e.Do("POST", "/api/v1/subsidies/quote", far.Token, map[string]string{"booking_id": farB, "policy_id": policy}))
		if q.Eligible || !slices.Equal(q.codes(), []string{"buyer_not_local"}) {
			t.Fatalf("client outside Liuzhou: %+v", q)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}

		// The sharing block of the statistics, the same hand-checked
		// numbers on SQLite and MariaDB: three completed bookings of 95, 60
		// and 60 minutes (215 min = 3.58 h) with fees 47 500 + 1 000 000 +
		// 30 000, one order of 37 035, and the voucher policy's 20 000
		// approved + 10 000 disbursed.
		var st struct {
			Sharing map[string]float64 `json:"sharing"`
		}
		year := time.Now().In(market.ChinaTime).Year()
		if err := json.Unmarshal(e.Must(200, "GET", fmt.Sprintf("/api/v1/stats/overview?year=%d", year), p.gov.Token, nil).Body, &st); err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{"bookings": 3, "instrument_hours": 3.58, "service_orders": 1, "fees_fen": 1_114_535, "vouchers_approved_fen": 30_000}
		if !reflect.DeepEqual(st.Sharing, want) {
			t.Fatalf("sharing %v, want %v", st.Sharing, want)
		}
		if err := json.Unmarshal(e.Must(200, "GET", fmt.Sprintf("/api/v1/stats/overview?year=%d", year-1), p.gov.Token, nil).Body, &st); err != nil {
			t.Fatal(err)
		}
		if st.Sharing["bookings"] != 0 || st.Sharing["fees_fen"] != 0 {
			t.Fatalf("last year's sharing: %v", st.Sharing)
		}
	})
}

// insertCompletedOrders writes n completed service orders of client with
// fee straight into the database: fixtures for the approval race, which
// tests approvals, not orders.
func insertCompletedOrders(t *testing.T, e *apptest.Env, client, provider string, n int, fee int64) []string {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	svc := ulid.Make().String()
	ids := make([]string, n)
	for i := range n {
		ids[i] = ulid.Make().String()
		if _, err := e.Sys.DB.SQL().Exec(`INSERT INTO service_orders (id, service_id, provider_org_id, client_org_id, quantity, price_fen,
			fee_fen, note, status, decline_reason, completed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1, ?, ?, '', 'completed', '', ?, ?, ?)`, ids[i], svc, provider, client, fee, fee, now, now, now); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// TestConcurrentVoucherApprovalsTwoInstances: 200 voucher applications of
// 10 000 fen from four clients, against a budget that fits 50, approved
// all at once through two instances on one MariaDB: exactly 50 win, the
// others are 409 budget_exhausted, and the budget is never passed.
func TestConcurrentVoucherApprovalsTwoInstances(t *testing.T) {
	envs := twoMySQLInstances(t)
	e := envs[0]
	p := newParties(e)
	const each, fit, total = 10_000, 50, 200
	policy := e.Must(201, "POST", "/api/v1/subsidy-policies", p.gov.Token, voucherPolicyBody(func(m map[string]any) {
		m["budget_fen"], m["rate_bp"] = fit*each, 10_000
	})).Str("id")
	clients := []apptest.Org{p.buyer, p.outsider, e.NewOrg(market.OrgEnterprise, true), e.NewOrg(market.OrgEnterprise, true)}
	var ids []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, c := range clients {
		orders := insertCompletedOrders(t, e, c.ID, p.seller.ID, total/len(clients), each)
		for j, o := range orders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := envs[(i+j)%2].Do("POST", "/api/v1/subsidy-applications", c.Token, map[string]string{"service_order_id": o, "policy_id": policy})
				mu.Lock()
				defer mu.Unlock()
				if r.Status != 201 {
					t.Errorf("apply for %s: %d %s", o, r.Status, r.Body)
					return
				}
				ids = append(ids, r.Str("id"))
			}()
		}
		wg.Wait()
	}
	if len(ids) != total {
		t.Fatalf("%d applications filed", len(ids))
	}
	start := time.Now()
	res := approveAll(envs, p.gov.Token, ids)
	t.Logf("%d voucher approvals over 2 instances in %v", total, time.Since(start))
	checkApprovals(t, res, fit, "budget_exhausted")
	budget, approved, _ := policyMoney(t, e, policy)
	n, sum := approvedSum(t, e, "policy_id = ?", policy)
	if n != fit || sum != budget || approved != budget {
		t.Fatalf("budget %d: %d approved summing %d, policy approved_fen %d", budget, n, sum, approved)
	}
	if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
		t.Fatalf("audit verify: %v", v)
	}
}
