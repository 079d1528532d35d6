package httpapi_test

import (
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// noticeBody is a POST /notices body whose period starts today in Beijing
// and lasts days, both ends included.
func noticeBody(achievement, kind, buyer string, now time.Time, days int) map[string]any {
	starts := now.In(market.ChinaTime)
	b := map[string]any{"achievement_id": achievement, "kind": kind, "price_fen": 200_000,
		"starts_on": starts.Format(time.DateOnly), "ends_on": starts.AddDate(0, 0, days-1).Format(time.DateOnly),
		"note": "经评估，拟按此价格转让"}
	if buyer != "" {
		b["buyer_org_id"] = buyer
	}
	return b
}

// periodOver moves the clock to the first instant after the notice's
// period: midnight in Beijing after ends_on.
func periodOver(clock *fakeClock, n map[string]any) {
	d, _ := time.ParseInLocation(time.DateOnly, n["ends_on"].(string), market.ChinaTime)
	clock.Set(d.AddDate(0, 0, 1))
}

func TestNoticeRules(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			e := apptest.New(t, backend, withClock(clock))
			p := newPriceParties(e, 3)
			b1, b2, b3 := p.bidders[0], p.bidders[1], p.bidders[2]
			now := clock.Now()
			before := count(t, e, "notices", "")
			// Shorter than the minimum; another org's; an unpublished one;
			// an agreed price naming an unverified buyer.
			e.Must(422, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", now, 14))
			e.Must(403, "POST", "/api/v1/notices", p.uni.Token, noticeBody(p.achievement, market.NoticeListing, "", now, 15))
			draft := e.Must(201, "POST", "/api/v1/achievements", p.seller.Token, apptest.Achievement()).Str("id")
			e.Must(409, "POST", "/api/v1/notices", p.seller.Token, noticeBody(draft, market.NoticeListing, "", now, 15))
			e.Must(422, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeAgreedPrice, p.unverified.ID, now, 15))
			e.Must(422, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, b1.ID, now, 15))
			if n := count(t, e, "notices", ""); n != before {
				t.Fatal("a refused notice was stored")
			}

			// A listing with two applicants ends in an auction among them.
			n := e.Must(201, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", now, 15)).JSON()
			id := n["id"].(string)
			if n["status"] != market.NoticeActive {
				t.Fatalf("created: %v", n)
			}
			e.Must(409, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", now, 15))
			e.Must(409, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(p.achievement, now, time.Hour))
			apply := "/api/v1/notices/" + id + "/applications"
			e.Must(403, "POST", apply, p.uni.Token, map[string]any{"message": "我校也想要"})
			e.Must(201, "POST", apply, b1.Token, map[string]any{"message": "我司愿按挂牌价受让"})
			e.Must(409, "POST", apply, b1.Token, map[string]any{"message": "again"})
			e.Must(201, "POST", apply, b2.Token, nil)
			if l := e.Must(200, "GET", apply, b1.Token, nil).Items(); len(l) != 1 {
				t.Fatalf("an applicant sees others: %v", l)
			}
			if l := e.Must(200, "GET", apply, p.seller.Token, nil).Items(); len(l) != 2 {
				t.Fatalf("seller's list: %v", l)
			}
			// An objection holds the notice at the period's end until resolved.
			o := e.Must(201, "POST", "/api/v1/notices/"+id+"/objections", b3.Token, map[string]any{"reason": "挂牌价格明显偏低"}).JSON()
			e.Must(403, "POST", "/api/v1/notices/"+id+"/objections", p.seller.Token, map[string]any{"reason": "自己异议"})
			periodOver(clock, n)
			e.Must(409, "POST", apply, b3.Token, nil) // the period is over
			clock.Add(-time.Second)
			if _, ended := sweep(t, e); ended != 0 {
				t.Fatal("ended inside the period")
			}
			clock.Add(time.Second)
			if _, ended := sweep(t, e); ended != 0 {
				t.Fatal("ended with an open objection")
			}
			resolve := "/api/v1/notices/" + id + "/objections/" + o["id"].(string) + "/resolve"
			e.Must(403, "POST", resolve, p.seller.Token, map[string]any{"upheld": false})
			e.Must(422, "POST", resolve, p.op.Token, map[string]any{"note": "no decision"})
			e.Must(200, "POST", resolve, p.op.Token, map[string]any{"upheld": false, "note": "价格经评估合理"})
			e.Must(409, "POST", resolve, p.op.Token, map[string]any{"upheld": true})
			if _, ended := sweep(t, e); ended != 1 {
				t.Fatal("not ended after the objection was dismissed")
			}
			n = e.Must(200, "GET", "/api/v1/notices/"+id, "", nil).JSON()
			aid, _ := n["auction_id"].(string)
			if n["status"] != market.NoticeCompleted || aid == "" || n["winner_org_id"] != nil {
				t.Fatalf("after two applicants: %v", n)
			}
			a := e.Must(200, "GET", "/api/v1/auctions/"+aid, "", nil).JSON()
			if a["status"] != market.AuctionOpen || num(a["starting_price_fen"]) != 200_000 || a["notice_id"] != id {
				t.Fatalf("the applicants' auction: %v", a)
			}
			e.Must(403, "POST", "/api/v1/auctions/"+aid+"/registrations", b3.Token, nil) // not an applicant
			e.Must(403, "POST", "/api/v1/auctions/"+aid+"/bids", b3.Token, map[string]any{"amount_fen": 200_000})
			e.Must(201, "POST", "/api/v1/auctions/"+aid+"/bids", b2.Token, map[string]any{"amount_fen": 200_000})
			e.Must(201, "POST", "/api/v1/auctions/"+aid+"/bids", b1.Token, map[string]any{"amount_fen": 202_000})
			// The deal names the auction, not the notice.
			e.Must(422, "POST", "/api/v1/transactions", p.seller.Token, map[string]any{"market": "liuzhou", "channel": "online",
				"contract_type": "transfer", "contract_no": "GS-" + id, "title": "挂牌成交", "buyer_org_id": b1.ID,
				"seller_org_id": p.seller.ID, "notice_id": id, "contract_amount_fen": 300_000, "tech_amount_fen": 300_000,
				"signed_at": time.Now().Format(time.RFC3339)})
			if l := e.Must(200, "GET", "/api/v1/notices?status=completed&kind=listing", "", nil).Items(); len(l) != 1 {
				t.Fatalf("list completed listings: %v", l)
			}
			for _, entity := range []string{"notice", "objection", "notice_application", "auction", "auction_registration"} {
				if count(t, e, "audit_events", "entity = ?", entity) == 0 {
					t.Errorf("no audit events of %s", entity)
				}
			}
		})
	}
}

// The other outcomes of a period: one applicant wins at the listed price,
// none completes with no winner, an agreed price completes for its buyer
// and binds the deal after it; an upheld objection cancels; the owner
// withdraws.
func TestNoticeOutcomes(t *testing.T) {
	clock := newFakeClock()
	e := apptest.New(t, apptest.Backends()[0], func(c *config.Config) { c.PriceClock = clock.Now; c.NoticeMinDays = 5 })
	p := newPriceParties(e, 2)
	b1, b2 := p.bidders[0], p.bidders[1]
	publish := func() string { return e.Publish("achievements", p.seller, p.op, apptest.Achievement()) }
	now := clock.Now()
	e.Must(422, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", now, 4))
	one := e.Must(201, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", now, 5)).JSON()
	e.Must(201, "POST", "/api/v1/notices/"+one["id"].(string)+"/applications", b1.Token, nil)
	none := e.Must(201, "POST", "/api/v1/notices", p.seller.Token, noticeBody(publish(), market.NoticeListing, "", now, 5)).JSON()
	agreed := e.Must(201, "POST", "/api/v1/notices", p.seller.Token, noticeBody(publish(), market.NoticeAgreedPrice, b2.ID, now, 5)).JSON()
	e.Must(409, "POST", "/api/v1/notices/"+agreed["id"].(string)+"/applications", b1.Token, nil)
	upheld := e.Must(201, "POST", "/api/v1/notices", p.seller.Token, noticeBody(publish(), market.NoticeAgreedPrice, b2.ID, now, 5)).JSON()
	withdrawn := e.Must(201, "POST", "/api/v1/notices", p.seller.Token, noticeBody(publish(), market.NoticeListing, "", now, 5)).JSON()

	o := e.Must(201, "POST", "/api/v1/notices/"+upheld["id"].(string)+"/objections", b1.Token, map[string]any{"reason": "该成果权属存在争议"}).JSON()
	r := e.Must(200, "POST", "/api/v1/notices/"+upheld["id"].(string)+"/objections/"+o["id"].(string)+"/resolve", p.op.Token,
		map[string]any{"upheld": true, "note": "权属争议属实"}).JSON()
	if r["status"] != market.ObjectionUpheld {
		t.Fatalf("resolution: %v", r)
	}
	e.Must(403, "POST", "/api/v1/notices/"+withdrawn["id"].(string)+"/cancel", b1.Token, nil)
	e.Must(200, "POST", "/api/v1/notices/"+withdrawn["id"].(string)+"/cancel", p.seller.Token, map[string]any{"reason": "撤回"})

	periodOver(clock, one)
	if _, ended := sweep(t, e); ended != 3 {
		t.Fatalf("ended %d, want 3", ended)
	}
	for _, c := range []struct {
		n              map[string]any
		status, winner string
	}{
		{one, market.NoticeCompleted, b1.ID}, {none, market.NoticeCompleted, ""}, {agreed, market.NoticeCompleted, b2.ID},
		{upheld, market.NoticeCancelled, ""}, {withdrawn, market.NoticeCancelled, ""},
	} {
		got := e.Must(200, "GET", "/api/v1/notices/"+c.n["id"].(string), "", nil).JSON()
		w, _ := got["winner_org_id"].(string)
		if got["status"] != c.status || w != c.winner {
			t.Errorf("notice %s: %v %q, want %s %q", c.n["kind"], got["status"], w, c.status, c.winner)
		}
	}
	deal := func(buyer string, amount int64) map[string]any {
		return map[string]any{"market": "liuzhou", "channel": "online", "contract_type": "transfer",
			"contract_no": "XY-" + buyer + "-" + time.Now().Format("150405.000000"), "title": "协议定价成交",
			"buyer_org_id": buyer, "notice_id": agreed["id"], "contract_amount_fen": amount, "tech_amount_fen": amount,
			"signed_at": time.Now().Format(time.RFC3339)}
	}
	e.Must(422, "POST", "/api/v1/transactions", b1.Token, deal(b1.ID, 200_000)) // not the noticed buyer
	e.Must(422, "POST", "/api/v1/transactions", b2.Token, deal(b2.ID, 199_999)) // below the price
	d := e.Must(201, "POST", "/api/v1/transactions", b2.Token, deal(b2.ID, 200_000)).JSON()
	if d["seller_org_id"] != p.seller.ID || d["notice_id"] != agreed["id"] {
		t.Fatalf("deal after the notice: %v", d)
	}
	// A notice no longer active frees the achievement for another.
	e.Must(201, "POST", "/api/v1/notices", p.seller.Token, noticeBody(p.achievement, market.NoticeListing, "", clock.Now(), 5))
}
