package httpapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// TestAuctionLifecycle walks one auction from creation to a sold close
// and the deal after it, with the refusals of each step, on an injected
// clock.
func TestAuctionLifecycle(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			e := apptest.New(t, backend, withClock(clock))
			p := newPriceParties(e, 3)
			b1, b2, b3 := p.bidders[0], p.bidders[1], p.bidders[2]
			start := clock.Now()

			// Creation: only the owner or an operator, one live auction.
			e.Must(403, "POST", "/api/v1/auctions", b1.Token, auctionBody(p.achievement, start, time.Hour))
			e.Must(422, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(p.achievement, start, time.Hour,
				func(m map[string]any) { m["ends_at"] = start.Add(-time.Minute).Format(time.RFC3339) }))
			draft := e.Must(201, "POST", "/api/v1/achievements", p.seller.Token, apptest.Achievement()).Str("id")
			e.Must(409, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(draft, start, time.Hour))
			a := e.Must(201, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(p.achievement, start, time.Hour)).JSON()
			id := a["id"].(string)
			if a["status"] != market.AuctionOpen || num(a["current_price_fen"]) != 100_000 || num(a["reserve_price_fen"]) != 150_000 {
				t.Fatalf("created: %v", a)
			}
			e.Must(409, "POST", "/api/v1/auctions", p.op.Token, auctionBody(p.achievement, start, time.Hour))
			e.Must(409, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", clock.Now(), 15))

			// Registration: verified enterprises and institutes, not the seller, once.
			e.Must(403, "POST", "/api/v1/auctions/"+id+"/registrations", p.seller.Token, nil)
			e.Must(403, "POST", "/api/v1/auctions/"+id+"/registrations", p.unverified.Token, nil)
			e.Must(403, "POST", "/api/v1/auctions/"+id+"/registrations", p.uni.Token, nil)
			r1 := e.Must(201, "POST", "/api/v1/auctions/"+id+"/registrations", b1.Token, nil).JSON()
			e.Must(409, "POST", "/api/v1/auctions/"+id+"/registrations", b1.Token, nil)
			if r1["bidder_no"] != 1.0 || r1["deposit_status"] != market.DepositUnpaid {
				t.Fatalf("registration: %v", r1)
			}
			// No bid before the deposit; only an operator records it.
			e.Must(403, "POST", "/api/v1/auctions/"+id+"/bids", b1.Token, map[string]any{"amount_fen": 100_000})
			dep := "/api/v1/auctions/" + id + "/registrations/" + r1["id"].(string) + "/deposit"
			e.Must(403, "POST", dep, p.seller.Token, map[string]any{"voucher_no": "V-1"})
			e.Must(422, "POST", dep, p.op.Token, map[string]any{"voucher_no": ""})
			e.Must(200, "POST", dep, p.op.Token, map[string]any{"voucher_no": "V-1"})
			e.Must(409, "POST", dep, p.op.Token, map[string]any{"voucher_no": "V-1"})
			registerPaid(e, p.op, id, b2)

			bid := func(want int, who apptest.Org, amount int64) map[string]any {
				t.Helper()
				return e.Must(want, "POST", "/api/v1/auctions/"+id+"/bids", who.Token, map[string]any{"amount_fen": amount}).JSON()
			}
			bid(403, b3, 100_000)       // not registered
			bid(403, p.seller, 100_000) // the seller
			r := bid(422, b1, 99_999)   // below the starting price
			if num(r["current_price_fen"]) != 100_000 || fmt.Sprint(r["errors"]) == "[]" {
				t.Fatalf("refusal without the current price: %v", r)
			}
			bid(201, b1, 100_000)
			r = bid(409, b2, 100_000) // no longer the highest
			if num(r["current_price_fen"]) != 100_000 {
				t.Fatalf("409 without the current price: %v", r)
			}
			bid(422, b2, 104_999) // below the increment
			bid(201, b2, 105_000)
			got := bid(201, b1, 150_000) // raises over b2
			if num(got["current_price_fen"]) != 150_000 || num(got["bid_count"]) != 2+1 {
				t.Fatalf("after three bids: %v", got)
			}
			if count(t, e, "auction_bids", "auction_id = ?", id) != 3 {
				t.Fatal("refused bids were stored")
			}

			// Masking: the public sees numbers, no reserve; the seller the reserve.
			pub := e.Must(200, "GET", "/api/v1/auctions/"+id, "", nil).JSON()
			if _, ok := pub["reserve_price_fen"]; ok {
				t.Fatalf("reserve shown to the public: %v", pub)
			}
			bids := pub["bids"].([]any)
			if len(bids) != 3 || bids[0].(map[string]any)["bidder_no"] != 1.0 || bids[0].(map[string]any)["org_id"] != nil {
				t.Fatalf("public bids: %v", bids)
			}
			if s := e.Must(200, "GET", "/api/v1/auctions/"+id, p.seller.Token, nil).JSON(); num(s["reserve_price_fen"]) != 150_000 {
				t.Fatalf("seller view: %v", s)
			}

			// Anti-sniping: a bid 60 s before the end moves it to 300 s after the bid.
			ends, _ := time.Parse(time.RFC3339, a["ends_at"].(string))
			clock.Set(ends.Add(-60 * time.Second))
			got = bid(201, b2, 155_000)
			if e2, _ := time.Parse(time.RFC3339Nano, got["ends_at"].(string)); !e2.Equal(clock.Now().Add(300 * time.Second)) {
				t.Fatalf("ends_at %v after a bid at %v", got["ends_at"], clock.Now())
			}
			// The original end passes: still open, nothing to close.
			clock.Set(ends.Add(time.Second))
			if closed, _ := sweep(t, e); closed != 0 {
				t.Fatal("closed before the extended end")
			}
			bid(201, b1, 160_000)

			// The close: sold to the highest bid, others' deposits refund_due.
			clock.Add(301 * time.Second)
			bid(409, b2, 200_000) // the end has passed, close or not
			if closed, _ := sweep(t, e); closed != 1 {
				t.Fatalf("closed %d", closed)
			}
			if closed, _ := sweep(t, e); closed != 0 {
				t.Fatal("closed twice")
			}
			bid(409, b2, 200_000)
			s := e.Must(200, "GET", "/api/v1/auctions/"+id, p.seller.Token, nil).JSON()
			if s["status"] != market.AuctionSold || s["winner_org_id"] != b1.ID || num(s["current_price_fen"]) != 160_000 {
				t.Fatalf("closed: %v", s)
			}
			if s["bids"].([]any)[0].(map[string]any)["org_id"] != b1.ID {
				t.Fatalf("the seller does not see bidders after the close: %v", s["bids"])
			}
			if o := e.Must(200, "GET", "/api/v1/auctions/"+id, b2.Token, nil).JSON(); o["bids"].([]any)[0].(map[string]any)["org_id"] != nil {
				t.Fatalf("a bidder sees names: %v", o["bids"])
			}
			regs := e.Must(200, "GET", "/api/v1/auctions/"+id+"/registrations", p.op.Token, nil).Items()
			for _, r := range regs {
				want := market.DepositRefundDue
				if r["org_id"] == b1.ID {
					want = market.DepositPaid
				}
				if r["deposit_status"] != want {
					t.Errorf("registration %v: deposit %v, want %s", r["bidder_no"], r["deposit_status"], want)
				}
			}
			if own := e.Must(200, "GET", "/api/v1/auctions/"+id+"/registrations", b2.Token, nil).Items(); len(own) != 1 || own[0]["org_id"] != b2.ID {
				t.Fatalf("a bidder lists others' registrations: %v", own)
			}
			page := e.Must(200, "GET", "/api/v1/auctions/"+id+"/bids?limit=2", "", nil).JSON()
			if len(page["items"].([]any)) != 2 || page["next_cursor"] == "" {
				t.Fatalf("bids page: %v", page)
			}
			rest := e.Must(200, "GET", "/api/v1/auctions/"+id+"/bids?limit=10&cursor="+page["next_cursor"].(string), "", nil).Items()
			if len(rest) != 3 || num(rest[2]["amount_fen"]) != 100_000 {
				t.Fatalf("bids second page: %v", rest)
			}

			// The deal after it: the winner, at least the hammer price.
			deal := func(buyer string, amount int64) map[string]any {
				return map[string]any{"market": "liuzhou", "channel": "online", "contract_type": "transfer",
					"contract_no": "PM-" + id[len(id)-8:] + fmt.Sprint(amount) + buyer[len(buyer)-4:], "title": "竞价成交合同",
					"buyer_org_id": buyer, "seller_org_id": p.seller.ID, "auction_id": id,
					"contract_amount_fen": amount, "tech_amount_fen": amount, "signed_at": time.Now().Format(time.RFC3339)}
			}
			before := count(t, e, "transactions", "")
			for _, c := range []struct {
				body  map[string]any
				field string
			}{{deal(b2.ID, 160_000), "buyer_org_id"}, {deal(b1.ID, 159_999), "contract_amount_fen"}} {
				r := e.Must(422, "POST", "/api/v1/transactions", p.seller.Token, c.body).JSON()
				if fmt.Sprint(r["errors"]) == "" || r["errors"].([]any)[0].(map[string]any)["field"] != c.field {
					t.Errorf("deal refusal %v, want field %s", r["errors"], c.field)
				}
			}
			if n := count(t, e, "transactions", ""); n != before {
				t.Fatal("a refused deal was stored")
			}
			d := e.Must(201, "POST", "/api/v1/transactions", p.seller.Token, deal(b1.ID, 160_000)).JSON()
			if d["auction_id"] != id || d["achievement_id"] != p.achievement {
				t.Fatalf("deal: %v", d)
			}

			// Everything audited, and the chain holds.
			for entity, n := range map[string]int{"auction": 2, "bid": 5, "auction_registration": 4} {
				if got := count(t, e, "audit_events", "entity = ?", entity); got < n {
					t.Errorf("%d audit events of %s, want at least %d", got, entity, n)
				}
			}
			if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
				t.Fatalf("audit verify: %v", v)
			}
		})
	}
}

// An auction with no bid, or none at the reserve, closes unsold; a
// cancelled one takes no bids.
func TestAuctionUnsoldAndCancel(t *testing.T) {
	clock := newFakeClock()
	e := apptest.New(t, apptest.Backends()[0], withClock(clock))
	p := newPriceParties(e, 1)
	now := clock.Now()
	id := e.Must(201, "POST", "/api/v1/auctions", p.op.Token, auctionBody(p.achievement, now, time.Hour)).Str("id")
	registerPaid(e, p.op, id, p.bidders[0])
	e.Must(201, "POST", "/api/v1/auctions/"+id+"/bids", p.bidders[0].Token, map[string]any{"amount_fen": 140_000})
	e.Must(409, "POST", "/api/v1/auctions/"+id+"/cancel", p.seller.Token, nil) // has a bid
	clock.Add(time.Hour)
	if closed, _ := sweep(t, e); closed != 1 {
		t.Fatal("not closed")
	}
	a := e.Must(200, "GET", "/api/v1/auctions/"+id, "", nil).JSON()
	if a["status"] != market.AuctionUnsold || a["winner_org_id"] != nil {
		t.Fatalf("below the reserve: %v", a)
	}
	if regs := e.Must(200, "GET", "/api/v1/auctions/"+id+"/registrations", p.op.Token, nil).Items(); regs[0]["deposit_status"] != market.DepositRefundDue {
		t.Fatalf("deposit after unsold: %v", regs)
	}

	now = clock.Now()
	id2 := e.Must(201, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(p.achievement, now.Add(time.Hour), time.Hour)).JSON()
	if id2["status"] != market.AuctionScheduled {
		t.Fatalf("future start: %v", id2)
	}
	e.Must(403, "POST", "/api/v1/auctions/"+id2["id"].(string)+"/cancel", p.bidders[0].Token, nil)
	c := e.Must(200, "POST", "/api/v1/auctions/"+id2["id"].(string)+"/cancel", p.seller.Token, map[string]any{"reason": "改为协议定价"}).JSON()
	if c["status"] != market.AuctionCancelled {
		t.Fatalf("cancel: %v", c)
	}
	e.Must(409, "POST", "/api/v1/auctions/"+id2["id"].(string)+"/registrations", p.bidders[0].Token, nil)
	list := e.Must(200, "GET", "/api/v1/auctions?status=unsold", "", nil).Items()
	if len(list) != 1 || list[0]["id"] != id {
		t.Fatalf("list unsold: %v", list)
	}
	e.Must(422, "GET", "/api/v1/auctions?status=bogus", "", nil)
	e.Must(422, "GET", "/api/v1/auctions?limit=101", "", nil)
}
