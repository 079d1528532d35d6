package httpapi_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

func requireMySQL(t *testing.T) {
	t.Helper()
	if os.Getenv(storetest.MySQLEnv) == "" {
		t.Skipf("%s not set: concurrency test needs MariaDB/MySQL", storetest.MySQLEnv)
	}
}

// twoMySQLInstances returns two app instances on one MariaDB database and
// one Redis (skipping without MariaDB): what tests of races between
// instances run on.
func twoMySQLInstances(t *testing.T) []*apptest.Env {
	t.Helper()
	requireMySQL(t)
	cfg := apptest.Config(t, store.DialectMySQL)
	return []*apptest.Env{apptest.NewWithConfig(t, cfg), apptest.NewWithConfig(t, cfg)}
}

// racePayments fires n payments of amount at one deal, spread over the
// given instances, and checks that the database never holds more than the
// contract amount and that every 201 stands for exactly one stored payment.
func racePayments(t *testing.T, envs []*apptest.Env, token, id string, n int, amount, contract int64) {
	t.Helper()
	var wg sync.WaitGroup
	res := make([]*apptest.Response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := envs[i%len(envs)]
			res[i] = e.Do("POST", "/api/v1/transactions/"+id+"/payments", token, payment(amount, fmt.Sprintf("RACE-%03d", i)))
		}()
	}
	wg.Wait()
	created := 0
	refusal := ""
	for i, r := range res {
		switch r.Status {
		case 201:
			created++
		case 422: // over the contract amount
			if refusal == "" {
				refusal = string(r.Body)
			}
		default:
			t.Errorf("payment %d: status %d %s", i, r.Status, r.Body)
		}
	}
	e := envs[0]
	var sum, paid int64
	var rows int
	if err := e.Sys.DB.SQL().QueryRow("SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) FROM payments WHERE transaction_id = ?", id).Scan(&sum, &rows); err != nil {
		t.Fatal(err)
	}
	if err := e.Sys.DB.SQL().QueryRow("SELECT paid_fen FROM transactions WHERE id = ?", id).Scan(&paid); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d payments of %d: %d created, sum %d of contract %d", n, amount, created, sum, contract)
	if sum > contract {
		t.Fatalf("payments sum %d exceeds the contract amount %d", sum, contract)
	}
	if int64(created)*amount != sum || rows != created || paid != sum {
		t.Fatalf("%d answered 201 × %d = %d, but the database holds %d in %d rows, paid_fen %d",
			created, amount, int64(created)*amount, sum, rows, paid)
	}
	if want := min(int64(n)*amount, contract) / amount; int64(created) != want {
		t.Fatalf("%d payments accepted, want %d; first refusal: %s", created, want, refusal)
	}
}

func TestConcurrentPaymentsNeverOverflow(t *testing.T) {
	requireMySQL(t)
	e := apptest.New(t, store.DialectMySQL, nil)
	p := newParties(e)
	id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline, func(m map[string]any) {
		m["contract_amount_fen"], m["tech_amount_fen"] = 50_000, 50_000
	})
	racePayments(t, []*apptest.Env{e}, p.opL.Token, id, 100, 1_000, 50_000)
}

// TestConcurrentPaymentsTwoInstances runs two app instances on one
// database and one Redis: the row lock holds across processes, not just
// inside one.
func TestConcurrentPaymentsTwoInstances(t *testing.T) {
	requireMySQL(t)
	cfg := apptest.Config(t, store.DialectMySQL)
	e1 := apptest.NewWithConfig(t, cfg)
	e2 := apptest.NewWithConfig(t, cfg)
	p := newParties(e1)
	id := newTransaction(e1, p, market.MarketLiuzhou, market.ChannelOffline, func(m map[string]any) {
		m["contract_amount_fen"], m["tech_amount_fen"] = 77_000, 60_000
	})
	// The second instance serves the same deal to the same token.
	e2.Must(200, "GET", "/api/v1/transactions/"+id, p.opL.Token, nil)
	racePayments(t, []*apptest.Env{e1, e2}, p.opL.Token, id, 100, 1_000, 77_000)
}

// TestConcurrentContractNo logs one contract 50 times at once, half in
// each market: exactly one deal exists afterwards, and every refusal is a
// 409 naming contract_no; it names the winning deal only to the operator
// of the winner's market (the other market's operator may not see it).
func TestConcurrentContractNo(t *testing.T) {
	requireMySQL(t)
	cfg := apptest.Config(t, store.DialectMySQL)
	e1 := apptest.NewWithConfig(t, cfg)
	e2 := apptest.NewWithConfig(t, cfg)
	p := newParties(e1)
	const n = 50
	var wg sync.WaitGroup
	res := make([]*apptest.Response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mkt, op, e := market.MarketLiuzhou, p.opL, e1
			if i%2 == 1 {
				mkt, op, e = market.MarketGuizhong, p.opG, e2
			}
			body := transactionBody(p, mkt, market.ChannelOffline)
			body["contract_no"] = "RACE-2026-0001"
			res[i] = e.Do("POST", "/api/v1/transactions", op.Token, body)
		}()
	}
	wg.Wait()
	var winner, winnerMarket string
	for i, r := range res {
		if r.Status == 201 {
			if winner != "" {
				t.Fatalf("two deals created: %s and %s", winner, r.Str("id"))
			}
			winner, winnerMarket = r.Str("id"), market.MarketLiuzhou
			if i%2 == 1 {
				winnerMarket = market.MarketGuizhong
			}
		}
	}
	if winner == "" {
		t.Fatal("no deal created")
	}
	for i, r := range res {
		if r.Status == 201 {
			continue
		}
		sameMarket := (i%2 == 1) == (winnerMarket == market.MarketGuizhong)
		if r.Status != 409 || !hasField(r, "contract_no") || strings.Contains(r.Str("detail"), winner) != sameMarket {
			t.Errorf("attempt %d (same market as the winner: %v): %d %s", i, sameMarket, r.Status, r.Body)
		}
	}
	if k := count(t, e1, "transactions", "contract_no = ?", "RACE-2026-0001"); k != 1 {
		t.Fatalf("%d deals with the contract number, want 1", k)
	}
}
