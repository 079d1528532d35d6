package httpapi_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// TestAutoApplyRacesBuyerApplication: each of many registered deals gets
// its final payment (which auto-applies) at the same moment as the buyer
// applies by hand, over two instances. Every payment succeeds, no request
// fails with a 5xx, and each deal ends with exactly one live application.
func TestAutoApplyRacesBuyerApplication(t *testing.T) {
	envs := twoMySQLInstances(t)
	e := envs[0]
	p := newParties(e)
	// Registration is not required, so the buyer's own application is
	// eligible before and after the payment.
	pid := loosePolicy(e, p, 0, func(m map[string]any) { m["auto_apply"] = true })
	const n = 40
	deals := insertTransactions(t, e, p.buyer.ID, p.seller.ID, p.opL.ID, n, 1_000_000, 0, market.TransactionRegistered)

	pays, applies := make([]*apptest.Response, n), make([]*apptest.Response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, d := range deals {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			pays[i] = envs[i%2].Do("POST", "/api/v1/transactions/"+d+"/payments", p.opL.Token, payment(1_000_000, fmt.Sprintf("FINAL-%03d", i)))
		}()
		go func() {
			defer wg.Done()
			<-start
			applies[i] = envs[(i+1)%2].Do("POST", subsidyApps, p.buyer.Token, quoteReq(d, pid))
		}()
	}
	close(start)
	wg.Wait()

	auto, byHand := 0, 0
	for i, d := range deals {
		if r := pays[i]; r.Status != 201 || asTransaction(t, r).Status != "paid" {
			t.Errorf("final payment of %s: %d %s", d, r.Status, r.Body)
		}
		switch r := applies[i]; r.Status {
		case 201:
			byHand++
		case 409: // the auto-applied one came first
		default:
			t.Errorf("application for %s: %d %s", d, r.Status, r.Body)
		}
		if k := count(t, e, "subsidy_applications", "live_transaction_id = ?", d); k != 1 {
			t.Errorf("deal %s has %d live applications, want 1", d, k)
		}
		auto += count(t, e, "subsidy_applications", "transaction_id = ? AND auto_applied = ?", d, true)
	}
	t.Logf("%d deals: %d applied by hand first, %d auto-applied", n, byHand, auto)
	if byHand+auto != n {
		t.Fatalf("%d by hand + %d auto-applied, want %d applications", byHand, auto, n)
	}
	if k := count(t, e, "payments", "voucher_no LIKE 'FINAL-%'"); k != n {
		t.Fatalf("%d payments stored, want %d", k, n)
	}
	if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
		t.Fatalf("audit verify: %v", v)
	}
}
