package seed

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Pricing runs fn on price-discovery services built on a clock the
// seeder controls, so the demo can hold an auction that already closed,
// and commits what fn made at once: a server already running sweeps
// auctions whose end has passed, and would close the one held in the
// past as unsold between its creation and its first bid.
type Pricing func(ctx context.Context, now func() time.Time, fn func(market.NoticeService, market.AuctionService) error) error

// demoClock is the seeder's clock: it runs in the past while the sold
// auction is held, then at the present.
type demoClock struct {
	mu sync.Mutex
	t  time.Time // zero: the real time
}

func (c *demoClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *demoClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// pricedAchievement is a published achievement of the demo and its owner.
type pricedAchievement struct {
	id    string
	owner *market.Org
	price int64
}

// applyPricing gives the demo two active notices (a listing with an
// application, an agreed price), an open auction with bids and one sold
// ten days ago, on published achievements with an asking price.
func applyPricing(ctx context.Context, newPricing Pricing, achs []pricedAchievement, buyers []*market.Org,
	operator *market.Org) (notices, auctions int, err error) {
	var priced []pricedAchievement
	for _, a := range achs {
		if a.price > 0 {
			priced = append(priced, a)
		}
	}
	if len(priced) < 4 || len(buyers) < 3 {
		return 0, 0, fmt.Errorf("the demo set needs four priced published achievements and three enterprises for its notices and auctions")
	}
	clock := &demoClock{}
	err = newPricing(ctx, clock.now, func(ns market.NoticeService, as market.AuctionService) (err error) {
		notices, auctions, err = holdPricing(ctx, ns, as, clock, priced, buyers, operator)
		return err
	})
	return notices, auctions, err
}

// holdPricing makes the notices and auctions of applyPricing on services
// built on clock, which it moves into the past for the sold auction.
func holdPricing(ctx context.Context, ns market.NoticeService, as market.AuctionService, clock *demoClock,
	priced []pricedAchievement, buyers []*market.Org, operator *market.Org) (notices, auctions int, err error) {
	op := actorOf(ctx, operator)

	// A sold auction, held ten days ago.
	past := time.Now().UTC().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	clock.set(past)
	sold, err := as.CreateAuction(actorOf(ctx, priced[2].owner), auctionInput(priced[2], past, 24*time.Hour))
	if err != nil {
		return 0, 0, fmt.Errorf("sold auction: %w", err)
	}
	if err := bidders(ctx, as, op, sold, clock, past, buyers[:3], 3); err != nil {
		return 0, 0, fmt.Errorf("sold auction: %w", err)
	}
	clock.set(time.Time{})
	if _, err := as.CloseDue(ctx); err != nil {
		return 0, 0, fmt.Errorf("close the sold auction: %w", err)
	}

	// An open auction with bids, ending in a week.
	now := time.Now().UTC().Truncate(time.Second)
	open, err := as.CreateAuction(actorOf(ctx, priced[3].owner), auctionInput(priced[3], now, 7*24*time.Hour))
	if err != nil {
		return 0, 0, fmt.Errorf("open auction: %w", err)
	}
	if err := bidders(ctx, as, op, open, nil, now, buyers[:2], 2); err != nil {
		return 0, 0, fmt.Errorf("open auction: %w", err)
	}

	// Two active notices from today, for 20 Beijing days.
	starts := now.In(market.ChinaTime)
	period := func(n *market.NewNotice) {
		n.StartsOn, n.EndsOn = starts.Format(time.DateOnly), starts.AddDate(0, 0, 19).Format(time.DateOnly)
	}
	listing := market.NewNotice{AchievementID: priced[0].id, Kind: market.NoticeListing, PriceFen: priced[0].price,
		Note: "经学校成果转化领导小组审议，按评估值挂牌转让，欢迎意向企业报名。"}
	period(&listing)
	l, err := ns.CreateNotice(actorOf(ctx, priced[0].owner), listing)
	if err != nil {
		return 0, 0, fmt.Errorf("listing notice: %w", err)
	}
	if _, err := ns.Apply(actorOf(ctx, buyers[0]), l.ID, market.NewApplication{Message: "我司有意按挂牌价受让，已完成内部决策。"}); err != nil {
		return 0, 0, fmt.Errorf("listing application: %w", err)
	}
	agreed := market.NewNotice{AchievementID: priced[1].id, Kind: market.NoticeAgreedPrice, PriceFen: priced[1].price,
		BuyerOrgID: buyers[1].ID, Note: "经双方协商一致，拟按协议价格转让，现予公示。"}
	period(&agreed)
	if _, err := ns.CreateNotice(actorOf(ctx, priced[1].owner), agreed); err != nil {
		return 0, 0, fmt.Errorf("agreed-price notice: %w", err)
	}
	return 2, 2, nil
}

func auctionInput(a pricedAchievement, starts time.Time, d time.Duration) market.NewAuction {
	return market.NewAuction{AchievementID: a.id, StartingPriceFen: a.price, ReservePriceFen: a.price,
		IncrementFen: market.NoticeIncrement(a.price), DepositFen: a.price / 10,
		StartsAt: starts.Format(time.RFC3339), EndsAt: starts.Add(d).Format(time.RFC3339)}
}

// bidders registers the buyers, has the operator record their deposits
// and makes rounds of bids, one increment at a time, an hour apart on the
// seeder's clock when it runs in the past.
func bidders(ctx context.Context, as market.AuctionService, op context.Context, a *market.Auction, clock *demoClock,
	start time.Time, buyers []*market.Org, rounds int) error {
	for i, b := range buyers {
		reg, err := as.Register(actorOf(ctx, b), a.ID)
		if err != nil {
			return err
		}
		if _, err := as.RecordDeposit(op, a.ID, reg.ID, market.Deposit{VoucherNo: fmt.Sprintf("BZJ-%s-%d", a.ID[len(a.ID)-6:], i+1)}); err != nil {
			return err
		}
	}
	price, at := a.StartingPriceFen, start
	for r := range rounds {
		for _, b := range buyers {
			if clock != nil {
				at = at.Add(time.Hour)
				clock.set(at)
			}
			if _, err := as.Bid(actorOf(ctx, b), a.ID, price); err != nil {
				return fmt.Errorf("round %d: %w", r+1, err)
			}
			price += a.IncrementFen
		}
	}
	return nil
}
