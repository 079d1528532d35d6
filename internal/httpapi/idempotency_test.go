package httpapi_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestIdempotentCreate(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		body := transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)
		key := "Idempotency-Key"

		first := e.Must(201, "POST", "/api/v1/transactions", p.opL.Token, body, key, "create-1")
		again := e.Must(201, "POST", "/api/v1/transactions", p.opL.Token, body, key, "create-1")
		if !bytes.Equal(first.Body, again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
		}
		if n := count(t, e, "transactions", ""); n != 1 {
			t.Fatalf("%d deals after a replay, want 1", n)
		}
		// The same key with another body is refused and does nothing.
		other := transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)
		r := e.Must(422, "POST", "/api/v1/transactions", p.opL.Token, other, key, "create-1")
		if r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("mismatch: %s", r.Body)
		}
		// The same key on another route is another request too.
		e.Must(422, "POST", "/api/v1/transactions/"+first.Str("id")+"/payments", p.opL.Token, body, key, "create-1")
		if n := count(t, e, "transactions", ""); n != 1 {
			t.Fatalf("%d deals after a mismatched key, want 1", n)
		}
		// Keys are scoped per caller: the other market's operator reusing
		// the string acts on its own.
		gz := transactionBody(p, market.MarketGuizhong, market.ChannelOffline)
		e.Must(201, "POST", "/api/v1/transactions", p.opG.Token, gz, key, "create-1")
		// Without a key a POST acts every time.
		e.Must(201, "POST", "/api/v1/transactions", p.opL.Token, other)
		if n := count(t, e, "transactions", ""); n != 3 {
			t.Fatalf("%d deals, want 3", n)
		}
		// Errors are answers too: a refused request replays its refusal.
		bad := transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)
		bad["tech_amount_fen"] = 0
		b1 := e.Must(422, "POST", "/api/v1/transactions", p.opL.Token, bad, key, "bad-1")
		b2 := e.Must(422, "POST", "/api/v1/transactions", p.opL.Token, bad, key, "bad-1")
		if !bytes.Equal(b1.Body, b2.Body) || b2.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("refusal replay differs:\n%s\n%s", b1.Body, b2.Body)
		}
		// A malformed key is refused.
		e.Must(422, "POST", "/api/v1/transactions", p.opL.Token, other, key, "bad\x7fkey")
	})
}

func TestIdempotentPaymentAndActions(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		base := "/api/v1/transactions/" + id
		key := "Idempotency-Key"

		// Each body is built once: a retry resends the same bytes, and the
		// helpers stamp times from the clock.
		pay := payment(100_000, "K-1")
		p1 := e.Must(201, "POST", base+"/payments", p.opL.Token, pay, key, "pay-1")
		for range 3 {
			r := e.Must(201, "POST", base+"/payments", p.opL.Token, pay, key, "pay-1")
			if !bytes.Equal(r.Body, p1.Body) {
				t.Fatalf("payment replay differs:\n%s\n%s", p1.Body, r.Body)
			}
		}
		if _, paid, n := transactionState(t, e, id); paid != 100_000 || n != 1 {
			t.Fatalf("after replays: paid %d, %d payments", paid, n)
		}
		// Replays of register and cancel do not act twice (a second real
		// cancel would be a 409).
		regBody := registration("DJ-IDEM", nil)
		reg := e.Must(200, "POST", base+"/register", p.opL.Token, regBody, key, "reg-1")
		if r := e.Must(200, "POST", base+"/register", p.opL.Token, regBody, key, "reg-1"); !bytes.Equal(r.Body, reg.Body) {
			t.Fatal("register replay differs")
		}
		e.Must(200, "POST", base+"/cancel", p.opL.Token, map[string]string{"reason": "撤销"}, key, "cancel-1")
		e.Must(200, "POST", base+"/cancel", p.opL.Token, map[string]string{"reason": "撤销"}, key, "cancel-1")
		if k := count(t, e, "audit_events", "entity_id = ? AND action = ?", id, "cancel"); k != 1 {
			t.Fatalf("%d cancel events, want 1", k)
		}

		// Intents honour the header too.
		aid := e.Publish("achievements", p.seller, p.opL, apptest.Achievement())
		in := map[string]any{"achievement_id": aid, "message": "有意向"}
		i1 := e.Must(201, "POST", "/api/v1/intents", p.buyer.Token, in, key, "intent-1")
		i2 := e.Must(201, "POST", "/api/v1/intents", p.buyer.Token, in, key, "intent-1")
		if !bytes.Equal(i1.Body, i2.Body) || count(t, e, "intents", "") != 1 {
			t.Fatalf("intent replay: %s / %s", i1.Body, i2.Body)
		}
		iid := i1.Str("id")
		e.Must(200, "POST", "/api/v1/intents/"+iid+"/accept", p.seller.Token, nil, key, "acc-1")
		e.Must(200, "POST", "/api/v1/intents/"+iid+"/accept", p.seller.Token, nil, key, "acc-1")
	})
}

// TestIdempotentConcurrentDuplicates fires one request many times at once
// with one key: exactly one acts; the others either wait their turn and
// replay its answer or are told it is still in flight (409).
func TestIdempotentConcurrentDuplicates(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		const n = 20
		var wg sync.WaitGroup
		res := make([]*apptest.Response, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i] = e.Do("POST", "/api/v1/transactions/"+id+"/payments", p.opL.Token, payment(5000, "RACE"),
					"Idempotency-Key", "race-1")
			}()
		}
		wg.Wait()
		var first []byte
		created, inFlight := 0, 0
		for _, r := range res {
			switch r.Status {
			case http.StatusCreated:
				created++
				if first == nil {
					first = r.Body
				} else if !bytes.Equal(first, r.Body) {
					t.Fatalf("two different answers:\n%s\n%s", first, r.Body)
				}
			case http.StatusConflict:
				inFlight++
			default:
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
		}
		if _, paid, k := transactionState(t, e, id); paid != 5000 || k != 1 {
			t.Fatalf("paid %d in %d payments, want one payment of 5000", paid, k)
		}
		t.Logf("%d answered 201 (1 acted), %d told in flight", created, inFlight)
	})
}
