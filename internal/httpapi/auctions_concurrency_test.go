package httpapi_test

import (
	"context"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// TestConcurrentBidsTwoInstances: 200 bids from 20 bidders at once,
// spread over two app instances on one MariaDB and one Redis. The current
// price is the highest accepted bid, every accepted bid is in the list,
// every refused bid got a 409 or 422 with the current price, and the bid
// amounts strictly increase in commit order. Then both instances sweep
// past ends_at at once: exactly one close and one winner.
func TestConcurrentBidsTwoInstances(t *testing.T) {
	requireMySQL(t)
	clock := newFakeClock()
	cfg := apptest.Config(t, store.DialectMySQL)
	cfg.PriceClock = clock.Now
	envs := []*apptest.Env{apptest.NewWithConfig(t, cfg), apptest.NewWithConfig(t, cfg)}
	e := envs[0]
	p := newPriceParties(e, 20)
	id := e.Must(201, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(p.achievement, clock.Now(), time.Hour,
		func(m map[string]any) { m["increment_fen"] = 1_000; m["reserve_price_fen"] = 0 })).Str("id")
	registerPaid(e, p.op, id, p.bidders...)

	type result struct {
		org    string
		amount int64
		res    *apptest.Response
	}
	const total = 200
	results := make([]result, total)
	start := make(chan struct{})
	var wg sync.WaitGroup
	// Each bidder bids ten times in a row, all twenty at once, half of the
	// requests to each instance: a bid reads the price, then offers it
	// plus zero to two increments (zero is outbid unless it is the first),
	// sometimes with half an increment more.
	perBidder := total / len(p.bidders)
	for bi, b := range p.bidders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for k := range perBidder {
				i := bi*perBidder + k
				env := envs[i%2]
				cur := num(env.Do("GET", "/api/v1/auctions/"+id, b.Token, nil).JSON()["current_price_fen"])
				amount := cur + int64(rand.IntN(3))*1_000
				if rand.IntN(4) == 0 {
					amount += 500 // under the increment when the price stands: 422
				}
				results[i] = result{b.ID, amount, env.Do("POST", "/api/v1/auctions/"+id+"/bids", b.Token, map[string]any{"amount_fen": amount})}
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)

	accepted := map[int64]string{} // amount → org
	var refused409, refused422 int
	var highest int64
	for _, r := range results {
		switch r.res.Status {
		case 201:
			if prev, dup := accepted[r.amount]; dup {
				t.Fatalf("two accepted bids of %d (%s and %s)", r.amount, prev, r.org)
			}
			accepted[r.amount] = r.org
			highest = max(highest, r.amount)
		case 409, 422:
			if _, ok := r.res.JSON()["current_price_fen"]; !ok {
				t.Fatalf("refusal %d without the current price: %s", r.res.Status, r.res.Body)
			}
			if r.res.Status == 409 {
				refused409++
			} else {
				refused422++
			}
		default:
			t.Fatalf("bid of %d: status %d %s", r.amount, r.res.Status, r.res.Body)
		}
	}
	t.Logf("%d bids over two instances in %v: %d accepted, %d refused 409, %d refused 422",
		total, took, len(accepted), refused409, refused422)
	if len(accepted) < 2 {
		t.Fatalf("only %d bids accepted: the race did not race", len(accepted))
	}

	a := envs[1].Must(200, "GET", "/api/v1/auctions/"+id, "", nil).JSON()
	if num(a["current_price_fen"]) != highest || num(a["bid_count"]) != int64(len(accepted)) {
		t.Fatalf("current %v, bid_count %v; highest accepted %d of %d", a["current_price_fen"], a["bid_count"], highest, len(accepted))
	}

	// Both instances sweep past ends_at at once, several times each.
	clock.Add(time.Hour)
	var closed sync.Map
	var sw sync.WaitGroup
	for i := range 8 {
		sw.Add(1)
		go func() {
			defer sw.Done()
			n, _, err := envs[i%2].Sys.Prices.Sweep(context.Background())
			if err != nil {
				t.Error(err)
			}
			closed.Store(i, n)
		}()
	}
	sw.Wait()
	sum := 0
	closed.Range(func(_, v any) bool { sum += v.(int); return true })
	if sum != 1 {
		t.Fatalf("%d closes, want exactly 1", sum)
	}
	if n := count(t, e, "audit_events", "entity = 'auction' AND entity_id = ? AND action = 'close'", id); n != 1 {
		t.Fatalf("%d close audit events", n)
	}
	if n := count(t, e, "auction_events", "auction_id = ? AND type = ?", id, market.EventClosed); n != 1 {
		t.Fatalf("%d closed events in the feed", n)
	}

	// The seller, after the close, sees every bid with its org: exactly
	// the accepted ones, amounts rising with the commit order.
	var bids []map[string]any
	cursor := ""
	for {
		r := e.Must(200, "GET", "/api/v1/auctions/"+id+"/bids?limit=100&cursor="+cursor, p.seller.Token, nil).JSON()
		for _, it := range r["items"].([]any) {
			bids = append(bids, it.(map[string]any))
		}
		c, _ := r["next_cursor"].(string)
		if c == "" {
			break
		}
		cursor = c
	}
	if len(bids) != len(accepted) {
		t.Fatalf("%d bids listed, %d accepted", len(bids), len(accepted))
	}
	sort.Slice(bids, func(i, j int) bool { return num(bids[i]["seq"]) < num(bids[j]["seq"]) })
	for i, b := range bids {
		if num(b["seq"]) != int64(i+1) {
			t.Fatalf("bid %d has seq %v", i, b["seq"])
		}
		if org, ok := accepted[num(b["amount_fen"])]; !ok || org != b["org_id"] {
			t.Fatalf("listed bid %v was not accepted from that org (%q)", b, org)
		}
		if i > 0 && num(b["amount_fen"]) <= num(bids[i-1]["amount_fen"]) {
			t.Fatalf("amounts do not rise in commit order: %v then %v", bids[i-1], b)
		}
	}
	final := e.Must(200, "GET", "/api/v1/auctions/"+id, p.seller.Token, nil).JSON()
	if final["status"] != market.AuctionSold || final["winner_org_id"] != accepted[highest] {
		t.Fatalf("closed: status %v winner %v, want sold to %s", final["status"], final["winner_org_id"], accepted[highest])
	}
	if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
		t.Fatalf("audit verify: %v", v)
	}
}

// TestCloseSurvivesADeadInstance: an instance that dies in the middle of a
// close (its transaction holds the auction's row lock, then its
// connection goes) loses nothing: the other instance's sweep waits on the
// lock and makes the close once the dead one's transaction is rolled back.
func TestCloseSurvivesADeadInstance(t *testing.T) {
	requireMySQL(t)
	clock := newFakeClock()
	cfg := apptest.Config(t, store.DialectMySQL)
	cfg.PriceClock = clock.Now
	a, b := apptest.NewWithConfig(t, cfg), apptest.NewWithConfig(t, cfg)
	p := newPriceParties(a, 1)
	id := a.Must(201, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(p.achievement, clock.Now(), time.Hour,
		func(m map[string]any) { m["reserve_price_fen"] = 0 })).Str("id")
	registerPaid(a, p.op, id, p.bidders[0])
	a.Must(201, "POST", "/api/v1/auctions/"+id+"/bids", p.bidders[0].Token, map[string]any{"amount_fen": 100_000})
	clock.Add(time.Hour)

	// Instance a's close, cut off after it took the lock.
	ctx := context.Background()
	conn, err := a.Sys.DB.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT id FROM auctions WHERE id = ? FOR UPDATE", id); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		n, _, err := b.Sys.Prices.Sweep(ctx)
		if err != nil {
			t.Error(err)
		}
		done <- n
	}()
	select {
	case <-done:
		t.Fatal("the other instance closed under the dead one's lock")
	case <-time.After(300 * time.Millisecond):
	}
	// It dies: its transaction is rolled back (here explicitly; MariaDB
	// does the same when the connection drops).
	_ = tx.Rollback()
	conn.Close()
	select {
	case n := <-done:
		if n != 1 {
			t.Fatalf("the surviving instance closed %d auctions", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the close was lost")
	}
	if got := a.Must(200, "GET", "/api/v1/auctions/"+id, "", nil).JSON(); got["status"] != market.AuctionSold || got["winner_org_id"] != p.bidders[0].ID {
		t.Fatalf("after the dead instance: %v", got)
	}
}
