package httpapi_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// acceptedIntent has the buyer ask for the seller's achievement and the
// seller accept; it returns the intent and a deal body made from it.
func acceptedIntent(e *apptest.Env, p parties) (string, map[string]any) {
	e.T.Helper()
	aid := e.Publish("achievements", p.seller, p.opL, apptest.Achievement())
	iid := e.Must(201, "POST", "/api/v1/intents", p.buyer.Token, map[string]any{"achievement_id": aid, "message": "希望洽谈许可"}).Str("id")
	e.Must(200, "POST", "/api/v1/intents/"+iid+"/accept", p.seller.Token, nil)
	body := transactionBody(p, market.MarketLiuzhou, market.ChannelOnline)
	delete(body, "buyer_org_id")
	delete(body, "seller_org_id")
	body["intent_id"] = iid
	return iid, body
}

// TestIntentBecomesOneTransaction: an accepted intent becomes at most one
// transaction; a second is a 409 naming the first.
func TestIntentBecomesOneTransaction(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		iid, body := acceptedIntent(e, p)
		first := e.Must(201, "POST", "/api/v1/transactions", p.buyer.Token, body).Str("id")
		audits := count(t, e, "audit_events", "")
		body["contract_no"] = uniqueNo("HT")
		r := e.Must(409, "POST", "/api/v1/transactions", p.seller.Token, body)
		if !strings.Contains(r.Str("detail"), first) || !strings.Contains(string(r.Body), `"field":"intent_id"`) {
			t.Fatalf("second deal from one intent: %s", r.Body)
		}
		// Cancelling the first does not free the intent.
		e.Must(200, "POST", "/api/v1/transactions/"+first+"/cancel", p.opL.Token, map[string]string{"reason": "重新谈判"})
		body["contract_no"] = uniqueNo("HT")
		e.Must(409, "POST", "/api/v1/transactions", p.buyer.Token, body)
		if n := count(t, e, "transactions", "intent_id = ?", iid); n != 1 {
			t.Fatalf("%d deals from the intent, want 1", n)
		}
		if n := count(t, e, "audit_events", ""); n != audits+1 { // the cancel
			t.Fatalf("refused deals wrote %d audit events", n-audits-1)
		}
		// Deals without an intent are not held by the index.
		newTransaction(e, p, market.MarketLiuzhou, market.ChannelOnline)
		newTransaction(e, p, market.MarketLiuzhou, market.ChannelOnline)
	})
}

// TestConcurrentTransactionsFromOneIntent: many requests at once turn one intent
// into deals; exactly one deal exists afterwards and every refusal names it.
func TestConcurrentTransactionsFromOneIntent(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		iid, body := acceptedIntent(e, p)
		const n = 40
		res := make([]*apptest.Response, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			b := make(map[string]any, len(body))
			for k, v := range body {
				b[k] = v
			}
			b["contract_no"] = uniqueNo("HT")
			who := p.buyer
			if i%2 == 1 {
				who = p.seller
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res[i] = e.Do("POST", "/api/v1/transactions", who.Token, b)
			}()
		}
		close(start)
		wg.Wait()
		oneTransactionWon(t, res)
		if k := count(t, e, "transactions", "intent_id = ?", iid); k != 1 {
			t.Fatalf("%d deals from the intent, want 1", k)
		}
	})
}

// TestTransactionsSharingAnOldIntent: deals logged before the unique intent key
// (migration 00006) may share an intent; only the first holds the key.
// The others can still be paid, registered and cancelled: saving a deal
// never claims the key it does not hold (it used to: a 500 on the unique
// index).
func TestTransactionsSharingAnOldIntent(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		iid, body := acceptedIntent(e, p)
		first := e.Must(201, "POST", "/api/v1/transactions", p.buyer.Token, body).Str("id")
		// A second deal of the same intent, as 00006 left it: intent_id
		// set, intent_key NULL.
		var second, third string
		for _, id := range []*string{&second, &third} {
			*id = ulid.Make().String()
			now := time.Now().UTC().Truncate(time.Microsecond)
			if _, err := e.Sys.DB.SQL().Exec(`INSERT INTO transactions (id, market, channel, contract_type, contract_no, contract_key, title,
				buyer_org_id, seller_org_id, intent_id, contract_amount_fen, declared_tech_amount_fen, tech_amount_fen, status,
				signed_at, cancel_reason, created_by_org_id, created_at, updated_at)
				VALUES (?, 'liuzhou', 'online', 'transfer', ?, ?, '旧的重复意向合同', ?, ?, ?, 1000000, 800000, 800000, 'signed', ?, '', ?, ?, ?)`,
				*id, "HT-"+*id, "HT-"+*id, p.buyer.ID, p.seller.ID, iid, now.Add(-48*time.Hour), p.buyer.ID, now, now); err != nil {
				t.Fatal(err)
			}
		}
		base := "/api/v1/transactions/"
		e.Must(201, "POST", base+second+"/payments", p.opL.Token, payment(800_000, uniqueNo("PZ")))
		if d := asTransaction(t, e.Must(200, "POST", base+second+"/register", p.opL.Token, registration(uniqueNo("DJ"), nil))); d.Status != market.TransactionPaid {
			t.Fatalf("second deal of the intent: %+v", d)
		}
		e.Must(200, "POST", base+second+"/complete", p.opL.Token, nil)
		e.Must(200, "POST", base+third+"/cancel", p.opL.Token, map[string]string{"reason": "重复登记"})
		// The first still holds the key, and the others none.
		if n := count(t, e, "transactions", "intent_key = ?", iid); n != 1 {
			t.Fatalf("%d deals hold the intent's key", n)
		}
		if n := count(t, e, "transactions", "id = ? AND intent_key = ?", first, iid); n != 1 {
			t.Fatal("the first deal lost the intent's key")
		}
	})
}
