package market

import (
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestNoticeDaysAndPeriod(t *testing.T) {
	for _, c := range []struct {
		starts, ends string
		days         int
	}{
		{"2026-03-01", "2026-03-15", 15}, {"2026-03-01", "2026-03-14", 14}, {"2026-03-01", "2026-03-01", 1},
		{"2026-03-02", "2026-03-01", 0}, {"2026-02-20", "2026-03-06", 15}, // not a leap year
		{"2028-02-20", "2028-03-05", 15}, {"x", "2026-03-01", 0},
	} {
		if got := NoticeDays(c.starts, c.ends); got != c.days {
			t.Errorf("NoticeDays(%s, %s) = %d, want %d", c.starts, c.ends, got, c.days)
		}
	}
	n := &Notice{StartsOn: "2026-03-01", EndsOn: "2026-03-15"}
	// Beijing midnight is 16:00 UTC the day before.
	if got := n.PeriodStart(); !got.Equal(at("2026-02-28T16:00:00Z")) {
		t.Errorf("PeriodStart %v", got)
	}
	if got := n.PeriodEnd(); !got.Equal(at("2026-03-15T16:00:00Z")) {
		t.Errorf("PeriodEnd %v", got)
	}
	for _, c := range []struct {
		now string
		in  bool
	}{
		{"2026-02-28T15:59:59Z", false}, {"2026-02-28T16:00:00Z", true}, {"2026-03-15T15:59:59Z", true},
		{"2026-03-15T16:00:00Z", false},
	} {
		if got := n.InPeriod(at(c.now)); got != c.in {
			t.Errorf("InPeriod(%s) = %v", c.now, got)
		}
	}
}

func TestNewNoticeRules(t *testing.T) {
	// 2026-03-01 01:00 in Beijing is still 2026-02-28 in UTC: today is
	// the Beijing date.
	now := at("2026-02-28T17:00:00Z")
	ok := func() NewNotice {
		return NewNotice{AchievementID: "A", Kind: NoticeListing, PriceFen: 100_000, StartsOn: "2026-03-01", EndsOn: "2026-03-15"}
	}
	for _, c := range []struct {
		name  string
		edit  func(*NewNotice)
		field string
	}{
		{"fifteen days both included", func(*NewNotice) {}, ""},
		{"fourteen days", func(n *NewNotice) { n.EndsOn = "2026-03-14" }, "ends_on"},
		{"starts yesterday in Beijing", func(n *NewNotice) { n.StartsOn, n.EndsOn = "2026-02-28", "2026-03-20" }, "starts_on"},
		{"agreed price without buyer", func(n *NewNotice) { n.Kind = NoticeAgreedPrice }, "buyer_org_id"},
		{"listing with buyer", func(n *NewNotice) { n.BuyerOrgID = "B" }, "buyer_org_id"},
		{"unknown kind", func(n *NewNotice) { n.Kind = "auction" }, "kind"},
		{"no price", func(n *NewNotice) { n.PriceFen = 0 }, "price_fen"},
		{"bad date", func(n *NewNotice) { n.EndsOn = "2026-3-15" }, "ends_on"},
	} {
		n := ok()
		c.edit(&n)
		_, err := n.Notice(now, 15)
		if got := FieldNames(err); (c.field == "" && err != nil) || (c.field != "" && (len(got) == 0 || got[0] != c.field)) {
			t.Errorf("%s: err %v, want field %q", c.name, err, c.field)
		}
	}
	n := ok()
	n.EndsOn = "2026-03-05"
	if _, err := n.Notice(now, 5); err != nil {
		t.Errorf("TECHMARKET_NOTICE_MIN_DAYS=5 refuses five days: %v", err)
	}
}

func TestEndPeriod(t *testing.T) {
	listing := &Notice{Kind: NoticeListing}
	agreed := &Notice{Kind: NoticeAgreedPrice, BuyerOrgID: "B"}
	for _, c := range []struct {
		name       string
		n          *Notice
		objections int
		applicants []string
		want       NoticeOutcome
	}{
		{"open objection holds", listing, 1, []string{"X"}, NoticeOutcome{Wait: true}},
		{"agreed price", agreed, 0, nil, NoticeOutcome{WinnerOrgID: "B"}},
		{"no applicant", listing, 0, nil, NoticeOutcome{}},
		{"one applicant", listing, 0, []string{"X"}, NoticeOutcome{WinnerOrgID: "X"}},
		{"two applicants", listing, 0, []string{"X", "Y"}, NoticeOutcome{Auction: true}},
	} {
		if got := EndPeriod(c.n, c.objections, c.applicants); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestNoticeIncrement(t *testing.T) {
	for _, c := range []struct{ price, inc int64 }{
		{30_000_000, 300_000}, {30_000_001, 300_100}, {10_000, 100}, {1, 100}, {1_234_567, 12_400},
	} {
		if got := NoticeIncrement(c.price); got != c.inc {
			t.Errorf("NoticeIncrement(%d) = %d, want %d", c.price, got, c.inc)
		}
	}
}

func TestCheckBid(t *testing.T) {
	start, end := at("2026-03-01T02:00:00Z"), at("2026-03-01T04:00:00Z")
	base := func() *Auction {
		return &Auction{ID: "AU", SellerOrgID: "S", Status: AuctionOpen, StartingPriceFen: 10_000, IncrementFen: 500,
			CurrentPriceFen: 10_000, StartsAt: start, EndsAt: end, ExtendSeconds: 300}
	}
	paid := &AuctionRegistration{OrgID: "B", DepositStatus: DepositPaid}
	mid := at("2026-03-01T03:00:00Z")
	for _, c := range []struct {
		name   string
		edit   func(*Auction)
		reg    *AuctionRegistration
		org    string
		amount int64
		now    time.Time
		code   string
		ends   time.Time
	}{
		{"first bid at the starting price", nil, paid, "B", 10_000, mid, "", end},
		{"first bid below the starting price", nil, paid, "B", 9_999, mid, EINVALID, end},
		{"later bid at current + increment", func(a *Auction) { a.BidCount, a.CurrentPriceFen = 1, 12_000 }, paid, "B", 12_500, mid, "", end},
		{"later bid below the increment", func(a *Auction) { a.BidCount, a.CurrentPriceFen = 1, 12_000 }, paid, "B", 12_499, mid, EINVALID, end},
		{"later bid at the current price: outbid", func(a *Auction) { a.BidCount, a.CurrentPriceFen = 1, 12_000 }, paid, "B", 12_000, mid, ECONFLICT, end},
		{"the seller", nil, paid, "S", 10_000, mid, EFORBIDDEN, end},
		{"unregistered", nil, nil, "B", 10_000, mid, EFORBIDDEN, end},
		{"deposit unpaid", nil, &AuctionRegistration{OrgID: "B", DepositStatus: DepositUnpaid}, "B", 10_000, mid, EFORBIDDEN, end},
		{"no deposit required", nil, &AuctionRegistration{OrgID: "B", DepositStatus: DepositNotRequired}, "B", 10_000, mid, "", end},
		{"before the start", func(a *Auction) { a.Status = AuctionScheduled }, paid, "B", 10_000, start.Add(-time.Second), ECONFLICT, end},
		{"stored scheduled but started", func(a *Auction) { a.Status = AuctionScheduled }, paid, "B", 10_000, start, "", end},
		{"at ends_at", nil, paid, "B", 10_000, end, ECONFLICT, end},
		{"after the close", func(a *Auction) { a.Status = AuctionSold }, paid, "B", 10_000, mid, ECONFLICT, end},
		{"301 s before the end: no extension", nil, paid, "B", 10_000, end.Add(-301 * time.Second), "", end},
		{"300 s before the end: no extension", nil, paid, "B", 10_000, end.Add(-300 * time.Second), "", end},
		{"299 s before the end: extended", nil, paid, "B", 10_000, end.Add(-299 * time.Second), "", end.Add(time.Second)},
		{"1 s before the end: extended", nil, paid, "B", 10_000, end.Add(-time.Second), "", end.Add(299 * time.Second)},
		{"no window", func(a *Auction) { a.ExtendSeconds = 0 }, paid, "B", 10_000, end.Add(-time.Second), "", end},
	} {
		a := base()
		if c.edit != nil {
			c.edit(a)
		}
		out, err := CheckBid(a, c.reg, c.org, c.amount, c.now)
		if got := ErrorCode(err); got != c.code {
			t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.code)
			continue
		}
		if err == nil && !out.EndsAt.Equal(c.ends) {
			t.Errorf("%s: ends %v, want %v", c.name, out.EndsAt, c.ends)
		}
		if (c.code == EINVALID || c.code == ECONFLICT) && c.reg != nil && c.org == "B" && a.Status == AuctionOpen && c.now.Before(a.EndsAt) {
			var me *Error
			if e, ok := err.(*Error); ok {
				me = e
			}
			if me == nil || me.CurrentPriceFen == nil || *me.CurrentPriceFen != a.CurrentPriceFen {
				t.Errorf("%s: refusal does not carry the current price: %+v", c.name, me)
			}
		}
	}
}

func TestCloseOutcome(t *testing.T) {
	for _, c := range []struct {
		name                   string
		bids, current, reserve int64
		want                   string
	}{
		{"no bids", 0, 10_000, 0, AuctionUnsold},
		{"above the reserve", 3, 15_000, 14_000, AuctionSold},
		{"at the reserve", 3, 14_000, 14_000, AuctionSold},
		{"below the reserve", 3, 13_999, 14_000, AuctionUnsold},
		{"no reserve", 1, 10_000, 0, AuctionSold},
	} {
		a := &Auction{BidCount: c.bids, CurrentPriceFen: c.current, Reserve: c.reserve}
		if c.bids > 0 {
			a.LeaderRegistrationID = "R"
		}
		got, reg := CloseOutcome(a)
		if got != c.want || (got == AuctionSold) != (reg == "R") {
			t.Errorf("%s: %s %q, want %s", c.name, got, reg, c.want)
		}
	}
}

func TestNewAuctionRules(t *testing.T) {
	now := at("2026-03-01T00:00:00Z")
	ok := func() NewAuction {
		return NewAuction{AchievementID: "A", StartingPriceFen: 10_000, IncrementFen: 100, StartsAt: "2026-03-01T08:00:00+08:00",
			EndsAt: "2026-03-02T08:00:00+08:00"}
	}
	a, err := func() (*Auction, error) { n := ok(); return n.Auction(now) }()
	if err != nil || a.Status != AuctionOpen || a.ExtendSeconds != DefaultExtendSeconds || !a.StartsAt.Equal(now) {
		t.Fatalf("starting now: %+v %v", a, err)
	}
	zero := 0
	for _, c := range []struct {
		name  string
		edit  func(*NewAuction)
		field string
	}{
		{"ends before starts", func(n *NewAuction) { n.EndsAt = "2026-03-01T07:00:00+08:00" }, "ends_at"},
		{"starts in the past", func(n *NewAuction) { n.StartsAt = "2026-02-28T07:00:00+08:00" }, "starts_at"},
		{"no increment", func(n *NewAuction) { n.IncrementFen = 0 }, "increment_fen"},
		{"negative reserve", func(n *NewAuction) { n.ReservePriceFen = -1 }, "reserve_price_fen"},
		{"extend too long", func(n *NewAuction) { v := 3601; n.ExtendSeconds = &v }, "extend_seconds"},
		{"no extension", func(n *NewAuction) { n.ExtendSeconds = &zero }, ""},
	} {
		n := ok()
		c.edit(&n)
		_, err := n.Auction(now)
		if got := FieldNames(err); (c.field == "" && err != nil) || (c.field != "" && (len(got) == 0 || got[0] != c.field)) {
			t.Errorf("%s: err %v, want field %q", c.name, err, c.field)
		}
	}
}
