package httpapi_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fakeClock is the injected clock of the price rules: tests move it to
// reach a period's end or an auction's close without waiting.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// withClock is a config tweak that injects clock into the price rules.
func withClock(clock *fakeClock) func(*config.Config) {
	return func(c *config.Config) { c.PriceClock = clock.Now }
}

// priceParties are the orgs of the price-discovery tests.
type priceParties struct {
	seller, op      apptest.Org
	bidders         []apptest.Org
	unverified, uni apptest.Org
	achievement     string
}

func newPriceParties(e *apptest.Env, bidders int) priceParties {
	e.T.Helper()
	p := priceParties{seller: e.NewOrg(market.OrgUniversity, true), op: e.NewOrg(market.OrgOperator, true),
		unverified: e.NewOrg(market.OrgEnterprise, false), uni: e.NewOrg(market.OrgUniversity, true)}
	for range bidders {
		p.bidders = append(p.bidders, e.NewOrg(market.OrgEnterprise, true))
	}
	p.achievement = e.Publish("achievements", p.seller, p.op, apptest.Achievement())
	return p
}

// auctionBody is a POST /auctions body starting at now and ending after d.
func auctionBody(achievement string, now time.Time, d time.Duration, edit ...func(map[string]any)) map[string]any {
	b := map[string]any{
		"achievement_id": achievement, "starting_price_fen": 100_000, "reserve_price_fen": 150_000,
		"increment_fen": 5_000, "deposit_fen": 20_000, "starts_at": now.Format(time.RFC3339),
		"ends_at": now.Add(d).Format(time.RFC3339),
	}
	for _, f := range edit {
		f(b)
	}
	return b
}

// registerPaid registers each bidder and has the operator record its
// deposit.
func registerPaid(e *apptest.Env, op apptest.Org, auction string, bidders ...apptest.Org) []map[string]any {
	e.T.Helper()
	var regs []map[string]any
	for i, b := range bidders {
		r := e.Must(201, "POST", "/api/v1/auctions/"+auction+"/registrations", b.Token, nil).JSON()
		r = e.Must(200, "POST", "/api/v1/auctions/"+auction+"/registrations/"+r["id"].(string)+"/deposit", op.Token,
			map[string]any{"voucher_no": "BZJ-" + auction[len(auction)-6:] + "-" + string(rune('A'+i))}).JSON()
		regs = append(regs, r)
	}
	return regs
}

// sweep runs the price sweep of e once.
func sweep(t *testing.T, e *apptest.Env) (closed, ended int) {
	t.Helper()
	closed, ended, err := e.Sys.Prices.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return closed, ended
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}
