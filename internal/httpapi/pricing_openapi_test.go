package httpapi_test

import (
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// TestOpenAPIPricingConform checks the notice and auction routes' answers
// (and GET /meta's new codes) against api/openapi.yaml.
func TestOpenAPIPricingConform(t *testing.T) {
	clock := newFakeClock()
	e := apptest.New(t, "sqlite", withClock(clock))
	c := newConformer(t, e)
	p := newPriceParties(e, 2)
	b1, b2 := p.bidders[0], p.bidders[1]
	now := clock.Now()

	meta := c.do(200, "GET", "/api/v1/meta", "", nil).JSON()
	for _, k := range []string{"notice_kinds", "notice_statuses", "objection_statuses", "auction_statuses", "deposit_statuses"} {
		if l, _ := meta[k].([]any); len(l) == 0 {
			t.Errorf("GET /meta has no %s", k)
		}
	}

	n := c.do(201, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", now, 15)).JSON()
	id := n["id"].(string)
	c.do(422, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", now, 3))
	c.do(409, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", now, 15))
	c.do(200, "GET", "/api/v1/notices?status=active&kind=listing&limit=5", "", nil)
	c.do(200, "GET", "/api/v1/notices/"+id, "", nil)
	c.do(404, "GET", "/api/v1/notices/nope", "", nil)
	o := c.do(201, "POST", "/api/v1/notices/"+id+"/objections", b1.Token, map[string]any{"reason": "价格偏低"}).Str("id")
	c.do(200, "GET", "/api/v1/notices/"+id+"/objections", p.op.Token, nil)
	c.do(403, "POST", "/api/v1/notices/"+id+"/objections/"+o+"/resolve", b1.Token, map[string]any{"upheld": false})
	c.do(200, "POST", "/api/v1/notices/"+id+"/objections/"+o+"/resolve", p.op.Token, map[string]any{"upheld": false, "note": "合理"})
	c.do(201, "POST", "/api/v1/notices/"+id+"/applications", b1.Token, map[string]any{"message": "愿受让"})
	c.do(201, "POST", "/api/v1/notices/"+id+"/applications", b2.Token, nil)
	c.do(403, "POST", "/api/v1/notices/"+id+"/applications", p.uni.Token, nil)
	c.do(200, "GET", "/api/v1/notices/"+id+"/applications", p.seller.Token, nil)
	periodOver(clock, n)
	sweep(t, e)
	aid := c.do(200, "GET", "/api/v1/notices/"+id, "", nil).Str("auction_id")
	c.do(409, "POST", "/api/v1/notices/"+id+"/cancel", p.seller.Token, nil)

	c.do(201, "POST", "/api/v1/auctions/"+aid+"/bids", b1.Token, map[string]any{"amount_fen": 200_000})
	c.do(409, "POST", "/api/v1/auctions/"+aid+"/bids", b2.Token, map[string]any{"amount_fen": 200_000})
	c.do(422, "POST", "/api/v1/auctions/"+aid+"/bids", b2.Token, map[string]any{"amount_fen": 200_001})
	c.do(200, "GET", "/api/v1/auctions/"+aid, "", nil)
	c.do(200, "GET", "/api/v1/auctions/"+aid+"/bids?limit=1", "", nil)
	c.do(200, "GET", "/api/v1/auctions?status=open", "", nil)
	c.do(200, "GET", "/api/v1/auctions/"+aid+"/registrations", p.seller.Token, nil)

	other := e.Publish("achievements", p.seller, p.op, apptest.Achievement())
	now = clock.Now()
	au := c.do(201, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(other, now, time.Hour)).Str("id")
	c.do(422, "POST", "/api/v1/auctions", p.seller.Token, map[string]any{"achievement_id": other})
	r := c.do(201, "POST", "/api/v1/auctions/"+au+"/registrations", b1.Token, nil).Str("id")
	c.do(409, "POST", "/api/v1/auctions/"+au+"/registrations", b1.Token, "{}")
	c.do(200, "POST", "/api/v1/auctions/"+au+"/registrations/"+r+"/deposit", p.op.Token, map[string]any{"voucher_no": "BZJ-1"})
	c.do(403, "POST", "/api/v1/auctions/"+au+"/bids", b2.Token, map[string]any{"amount_fen": 100_000})
	c.do(201, "POST", "/api/v1/auctions/"+au+"/bids", b1.Token, map[string]any{"amount_fen": 100_000})
	c.do(409, "POST", "/api/v1/auctions/"+au+"/cancel", p.seller.Token, map[string]any{"reason": "x"})
	c.do(200, "GET", "/api/v1/auctions/"+au, p.seller.Token, nil)
}
