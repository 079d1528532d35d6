package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// PriceOptions configure the price-discovery services (notices and
// auctions).
type PriceOptions struct {
	// Now is the clock of the period and auction rules; nil is the
	// store's own clock. Tests inject one to reach a date without waiting.
	Now func() time.Time
	// Notify is told the id of an auction whose live feed grew, after the
	// change committed (the SSE hub, relayed to every instance).
	Notify func(auctionID string)
	// NoticeMinDays is the shortest notice period in Beijing calendar
	// days (TECHMARKET_NOTICE_MIN_DAYS); 0 means the default, 15.
	NoticeMinDays int
}

func (o PriceOptions) clock(db *DB) func() time.Time {
	if o.Now == nil {
		return db.now
	}
	return func() time.Time { return o.Now().UTC().Truncate(time.Microsecond) }
}

// bidsShown is how many of the latest bids GET /auctions/{id} carries;
// GET /auctions/{id}/bids pages through all of them.
const bidsShown = 50

// AuctionService runs auctions on the database. Bids serialise on the
// auction's row lock (SELECT … FOR UPDATE on MySQL, the one writer on
// SQLite): each is decided against the price as it stands when it holds
// the lock, numbered in commit order, and committed with its event and
// audit entry. The close is made by CloseDue, which every instance runs.
type AuctionService struct {
	db     *DB
	now    func() time.Time
	notify func(string)
}

var _ market.AuctionService = (*AuctionService)(nil)

// NewAuctionService returns the auction service on db.
func NewAuctionService(db *DB, opt PriceOptions) *AuctionService {
	s := &AuctionService{db: db, now: opt.clock(db), notify: opt.Notify}
	if s.notify == nil {
		s.notify = func(string) {}
	}
	return s
}

type auctionRow struct {
	ID                   string `gorm:"primaryKey"`
	AchievementID        string
	SellerOrgID          string
	NoticeID             string
	Status               string
	StartingPriceFen     int64
	ReservePriceFen      int64
	IncrementFen         int64
	DepositFen           int64
	CurrentPriceFen      int64
	BidCount             int64
	Registrations        int
	EventSeq             int64
	LeaderRegistrationID string
	LeaderNo             int
	StartsAt             time.Time
	EndsAt               time.Time
	ExtendSeconds        int
	WinnerOrgID          string
	ClosedAt             *time.Time
	CancelReason         string
	CreatedAt            time.Time
	UpdatedAt            time.Time `gorm:"autoUpdateTime:false"`
}

func (auctionRow) TableName() string { return "auctions" }

func (r *auctionRow) auction() *market.Auction {
	return &market.Auction{
		ID: r.ID, AchievementID: r.AchievementID, SellerOrgID: r.SellerOrgID, NoticeID: r.NoticeID, Status: r.Status,
		StartingPriceFen: r.StartingPriceFen, Reserve: r.ReservePriceFen, IncrementFen: r.IncrementFen,
		DepositFen: r.DepositFen, CurrentPriceFen: r.CurrentPriceFen, BidCount: r.BidCount,
		StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), ExtendSeconds: r.ExtendSeconds, WinnerOrgID: r.WinnerOrgID,
		LeaderNo: r.LeaderNo, LeaderRegistrationID: r.LeaderRegistrationID, ClosedAt: utcPtr(r.ClosedAt),
		CancelReason: r.CancelReason, Bids: []market.AuctionBid{}, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func rowFromAuction(a *market.Auction) auctionRow {
	return auctionRow{
		ID: a.ID, AchievementID: a.AchievementID, SellerOrgID: a.SellerOrgID, NoticeID: a.NoticeID, Status: a.Status,
		StartingPriceFen: a.StartingPriceFen, ReservePriceFen: a.Reserve, IncrementFen: a.IncrementFen,
		DepositFen: a.DepositFen, CurrentPriceFen: a.CurrentPriceFen, BidCount: a.BidCount, StartsAt: a.StartsAt,
		EndsAt: a.EndsAt, ExtendSeconds: a.ExtendSeconds, WinnerOrgID: a.WinnerOrgID, LeaderNo: a.LeaderNo,
		LeaderRegistrationID: a.LeaderRegistrationID, ClosedAt: a.ClosedAt, CancelReason: a.CancelReason,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}

type registrationRow struct {
	ID            string `gorm:"primaryKey"`
	AuctionID     string
	OrgID         string
	BidderNo      int
	DepositFen    int64
	DepositStatus string
	VoucherNo     string
	DepositPaidAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time `gorm:"autoUpdateTime:false"`
}

func (registrationRow) TableName() string { return "auction_registrations" }

func (r *registrationRow) registration() *market.AuctionRegistration {
	return &market.AuctionRegistration{ID: r.ID, AuctionID: r.AuctionID, OrgID: r.OrgID, BidderNo: r.BidderNo,
		DepositFen: r.DepositFen, DepositStatus: r.DepositStatus, VoucherNo: r.VoucherNo,
		DepositPaidAt: utcPtr(r.DepositPaidAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func rowFromRegistration(g *market.AuctionRegistration) registrationRow {
	return registrationRow{ID: g.ID, AuctionID: g.AuctionID, OrgID: g.OrgID, BidderNo: g.BidderNo, DepositFen: g.DepositFen,
		DepositStatus: g.DepositStatus, VoucherNo: g.VoucherNo, DepositPaidAt: g.DepositPaidAt, CreatedAt: g.CreatedAt,
		UpdatedAt: g.UpdatedAt}
}

type bidRow struct {
	ID             string `gorm:"primaryKey"`
	AuctionID      string
	Seq            int64
	RegistrationID string
	OrgID          string
	BidderNo       int
	AmountFen      int64
	At             time.Time
}

func (bidRow) TableName() string { return "auction_bids" }

func (r *bidRow) bid() market.AuctionBid {
	return market.AuctionBid{Seq: r.Seq, BidderNo: r.BidderNo, OrgID: r.OrgID, AmountFen: r.AmountFen, At: r.At.UTC()}
}

type auctionEventRow struct {
	AuctionID string `gorm:"primaryKey"`
	Seq       int64  `gorm:"primaryKey"`
	Type      string
	Data      string
	At        time.Time
}

func (auctionEventRow) TableName() string { return "auction_events" }

func auctionNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "auction %s not found", id)
}

// lockAuction reads the auction under its row lock.
func lockAuction(tx *gorm.DB, id string) (*auctionRow, error) {
	var row auctionRow
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&row, "id = ?", id).Error
	if err := translate(err, func() error { return auctionNotFound(id) }); err != nil {
		return nil, err
	}
	return &row, nil
}

// appendEvent adds one entry to the auction's live feed, numbered after
// row.EventSeq (which it advances; the caller saves the row).
func appendEvent(tx *gorm.DB, row *auctionRow, typ string, at time.Time, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	row.EventSeq++
	return tx.Create(&auctionEventRow{AuctionID: row.ID, Seq: row.EventSeq, Type: typ, Data: string(b), At: at}).Error
}

// lockAchievementForPricing locks a published achievement the actor may
// see and checks that no active notice or live auction holds it: the row
// lock makes concurrent notices and auctions on one achievement take
// turns, so only one of them is ever live.
func lockAchievementForPricing(tx *gorm.DB, a *market.Actor, id string) (*market.Item, error) {
	var row itemRow
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&row, "id = ? AND kind = ?", id, string(market.KindAchievement)).Error
	if errors.Is(err, errNotFound) {
		return nil, market.Invalid("achievement_id", "no achievement %s", id)
	}
	if err != nil {
		return nil, err
	}
	it := row.item()
	if !market.CanSeeItem(a, it) {
		return nil, market.Invalid("achievement_id", "no achievement %s", id)
	}
	return it, nil
}

// checkNoLivePricing is a conflict when the achievement already has an
// active notice or a scheduled or open auction.
func checkNoLivePricing(tx *gorm.DB, achievementID string) error {
	var n noticeRow
	err := tx.Select("id").Where("achievement_id = ? AND status = ?", achievementID, market.NoticeActive).Take(&n).Error
	if err == nil {
		return market.Conflict("achievement %s has active notice %s", achievementID, n.ID).On("achievement_id", "has active notice "+n.ID)
	}
	if !errors.Is(err, errNotFound) {
		return err
	}
	var au auctionRow
	err = tx.Select("id").Where("achievement_id = ? AND status IN ?", achievementID,
		[]string{market.AuctionScheduled, market.AuctionOpen}).Take(&au).Error
	if err == nil {
		return market.Conflict("achievement %s has live auction %s", achievementID, au.ID).On("achievement_id", "has live auction "+au.ID)
	}
	if !errors.Is(err, errNotFound) {
		return err
	}
	return nil
}

// CreateAuction puts a published achievement up for auction: its owner or
// an operator may.
func (s *AuctionService) CreateAuction(ctx context.Context, n market.NewAuction) (_ *market.Auction, err error) {
	defer wrap(&err, "store.CreateAuction(%q)", n.AchievementID)
	actor := market.ActorFrom(ctx)
	if actor == nil || actor.OrgID == "" {
		return nil, market.Errorf(market.EFORBIDDEN, "only the achievement's owner or an operator puts it up for auction")
	}
	now := s.now()
	a, err := n.Auction(now)
	if err != nil {
		return nil, err
	}
	a.ID = ulid.Make().String()
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		it, err := lockAchievementForPricing(tx, actor, a.AchievementID)
		if err != nil {
			return err
		}
		if err := market.CanCreateAuction(actor, it.OrgID); err != nil {
			return err
		}
		if it.Status != market.StatusPublished {
			return market.Errorf(market.ECONFLICT, "achievement %s is %s; only a published achievement is auctioned", it.ID, it.Status)
		}
		if err := checkNoLivePricing(tx, it.ID); err != nil {
			return err
		}
		a.SellerOrgID = it.OrgID
		return s.insert(ctx, tx, a)
	})
	if err != nil {
		return nil, err
	}
	return a.View(actor, now), nil
}

// insert stores a new auction and audits it (also used by the end of a
// listing's period).
func (s *AuctionService) insert(ctx context.Context, tx *gorm.DB, a *market.Auction) error {
	row := rowFromAuction(a)
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	return s.db.audit(ctx, tx, "create", "auction", a.ID, nil, a)
}

// FindAuction returns an auction with its latest bids, masked for the
// caller. Auctions are public.
func (s *AuctionService) FindAuction(ctx context.Context, id string) (_ *market.Auction, err error) {
	defer wrap(&err, "store.FindAuction(%q)", id)
	q := s.db.gorm.WithContext(ctx)
	var row auctionRow
	err = q.First(&row, "id = ?", id).Error
	if err := translate(err, func() error { return auctionNotFound(id) }); err != nil {
		return nil, err
	}
	a := row.auction()
	if err := latestBids(q, a); err != nil {
		return nil, err
	}
	return a.View(market.ActorFrom(ctx), s.now()), nil
}

func latestBids(q *gorm.DB, a *market.Auction) error {
	var bids []bidRow
	if err := q.Where("auction_id = ?", a.ID).Order("seq DESC").Limit(bidsShown).Find(&bids).Error; err != nil {
		return err
	}
	a.Bids = make([]market.AuctionBid, len(bids))
	for i := range bids {
		a.Bids[i] = bids[i].bid()
	}
	return nil
}

// ListAuctions lists auctions, newest first, without their bids.
func (s *AuctionService) ListAuctions(ctx context.Context, f market.AuctionFilter) (_ market.Page[market.Auction], err error) {
	defer wrap(&err, "store.ListAuctions")
	var out market.Page[market.Auction]
	if err := f.Validate(); err != nil {
		return out, err
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&auctionRow{}), "status", f.Status, "achievement_id", f.AchievementID)
	rows, next, err := fetchPage(q, f.Page, true, func(r *auctionRow) string { return r.ID })
	if err != nil {
		return out, err
	}
	actor, now := market.ActorFrom(ctx), s.now()
	out.NextCursor = next
	out.Items = make([]market.Auction, len(rows))
	for i := range rows {
		out.Items[i] = *rows[i].auction().View(actor, now)
	}
	return out, nil
}

// CancelAuction cancels a live auction before its first bid.
func (s *AuctionService) CancelAuction(ctx context.Context, id, reason string) (_ *market.Auction, err error) {
	defer wrap(&err, "store.CancelAuction(%q)", id)
	actor := market.ActorFrom(ctx)
	var out *market.Auction
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		row, err := lockAuction(tx, id)
		if err != nil {
			return err
		}
		a := row.auction()
		before := *a
		now := s.now()
		if err := market.CancelAuction(actor, a, reason, now); err != nil {
			return err
		}
		if err := refundDeposits(tx, a.ID, "", now); err != nil {
			return err
		}
		nr := rowFromAuction(a)
		nr.Registrations, nr.EventSeq = row.Registrations, row.EventSeq
		if err := appendEvent(tx, &nr, market.EventClosed, now, map[string]any{"status": a.Status}); err != nil {
			return err
		}
		if err := tx.Select("*").Save(&nr).Error; err != nil {
			return err
		}
		out = a
		return s.db.audit(ctx, tx, "cancel", "auction", id, &before, a)
	})
	if err != nil {
		return nil, err
	}
	s.notify(id)
	return out.View(actor, s.now()), nil
}

// refundDeposits marks the paid deposits of the auction refund_due, but
// the winner's.
func refundDeposits(tx *gorm.DB, auctionID, winnerRegistrationID string, now time.Time) error {
	return tx.Model(&registrationRow{}).
		Where("auction_id = ? AND deposit_status = ? AND id <> ?", auctionID, market.DepositPaid, winnerRegistrationID).
		Updates(map[string]any{"deposit_status": market.DepositRefundDue, "updated_at": now}).Error
}

// Register registers the caller's org to bid; it gets the next bidder
// number of the auction.
func (s *AuctionService) Register(ctx context.Context, auctionID string) (_ *market.AuctionRegistration, err error) {
	defer wrap(&err, "store.Register(%q)", auctionID)
	actor := market.ActorFrom(ctx)
	var out *market.AuctionRegistration
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		row, err := lockAuction(tx, auctionID)
		if err != nil {
			return err
		}
		a := row.auction()
		now := s.now()
		if err := market.CanRegister(actor, a, now); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&registrationRow{}).Where("auction_id = ? AND org_id = ?", a.ID, actor.OrgID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return market.Errorf(market.ECONFLICT, "your org is already registered for auction %s", a.ID)
		}
		out, err = s.addRegistration(ctx, tx, row, a, actor.OrgID, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// addRegistration registers orgID as the auction's next bidder (the row
// is locked by the caller, and saved here).
func (s *AuctionService) addRegistration(ctx context.Context, tx *gorm.DB, row *auctionRow, a *market.Auction, orgID string,
	now time.Time) (*market.AuctionRegistration, error) {
	g := market.NewRegistration(a, orgID, row.Registrations+1, now)
	g.ID = ulid.Make().String()
	gr := rowFromRegistration(g)
	if err := tx.Create(&gr).Error; err != nil {
		return nil, err
	}
	if err := tx.Model(&auctionRow{}).Where("id = ?", a.ID).Update("registrations", g.BidderNo).Error; err != nil {
		return nil, err
	}
	row.Registrations = g.BidderNo
	return g, s.db.audit(ctx, tx, "create", "auction_registration", g.ID, nil, g)
}

// ListRegistrations lists an auction's registrations: all of them to the
// seller and operators, its own to a bidder.
func (s *AuctionService) ListRegistrations(ctx context.Context, auctionID string, pr market.PageRequest) (_ market.Page[market.AuctionRegistration], err error) {
	defer wrap(&err, "store.ListRegistrations(%q)", auctionID)
	var out market.Page[market.AuctionRegistration]
	q := s.db.gorm.WithContext(ctx)
	var row auctionRow
	if err := q.First(&row, "id = ?", auctionID).Error; errors.Is(err, errNotFound) {
		return out, auctionNotFound(auctionID)
	} else if err != nil {
		return out, err
	}
	actor := market.ActorFrom(ctx)
	lq := q.Model(&registrationRow{}).Where("auction_id = ?", auctionID)
	if !market.CanManageAuction(actor, row.auction()) {
		if actor == nil || actor.OrgID == "" {
			return out, market.Errorf(market.EFORBIDDEN, "sign in as a bidder, the seller or an operator")
		}
		lq = lq.Where("org_id = ?", actor.OrgID)
	}
	rows, next, err := fetchPage(lq, pr, false, func(r *registrationRow) string { return r.ID })
	if err != nil {
		return out, err
	}
	out.NextCursor = next
	out.Items = make([]market.AuctionRegistration, len(rows))
	for i := range rows {
		out.Items[i] = *rows[i].registration()
	}
	return out, nil
}

// RecordDeposit records a registration's deposit; an operator does.
func (s *AuctionService) RecordDeposit(ctx context.Context, auctionID, registrationID string, d market.Deposit) (_ *market.AuctionRegistration, err error) {
	defer wrap(&err, "store.RecordDeposit(%q, %q)", auctionID, registrationID)
	actor := market.ActorFrom(ctx)
	var out *market.AuctionRegistration
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		// The auction's lock orders the deposit with bids and the close.
		row, err := lockAuction(tx, auctionID)
		if err != nil {
			return err
		}
		var gr registrationRow
		err = tx.First(&gr, "id = ? AND auction_id = ?", registrationID, auctionID).Error
		if errors.Is(err, errNotFound) {
			return market.Errorf(market.ENOTFOUND, "registration %s not found on auction %s", registrationID, auctionID)
		}
		if err != nil {
			return err
		}
		g := gr.registration()
		before := *g
		if err := market.RecordDeposit(actor, row.auction(), g, d, s.now()); err != nil {
			return err
		}
		nr := rowFromRegistration(g)
		if err := tx.Select("*").Save(&nr).Error; err != nil {
			return err
		}
		out = g
		return s.db.audit(ctx, tx, "deposit", "auction_registration", g.ID, &before, g)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Bid places the caller's org's bid. The auction's row lock orders bids:
// each is decided (market.CheckBid) against the price as it stands when
// it holds the lock, so exactly one bid wins each price and the accepted
// amounts rise strictly in commit order. The answer is the auction as the
// bid left it.
func (s *AuctionService) Bid(ctx context.Context, auctionID string, amountFen int64) (_ *market.Auction, err error) {
	defer wrap(&err, "store.Bid(%q)", auctionID)
	actor := market.ActorFrom(ctx)
	if actor == nil || actor.OrgID == "" {
		return nil, market.Errorf(market.EFORBIDDEN, "only registered bidders bid")
	}
	var out *market.Auction
	var now time.Time
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		row, err := lockAuction(tx, auctionID)
		if err != nil {
			return err
		}
		a := row.auction()
		var reg *market.AuctionRegistration
		var gr registrationRow
		switch err := tx.First(&gr, "auction_id = ? AND org_id = ?", auctionID, actor.OrgID).Error; {
		case err == nil:
			reg = gr.registration()
		case !errors.Is(err, errNotFound):
			return err
		}
		// The clock is read under the lock: a bid that waited for it past
		// the end is refused.
		now = s.now()
		res, err := market.CheckBid(a, reg, actor.OrgID, amountFen, now)
		if err != nil {
			return err
		}
		b := bidRow{ID: ulid.Make().String(), AuctionID: a.ID, Seq: row.BidCount + 1, RegistrationID: reg.ID,
			OrgID: reg.OrgID, BidderNo: reg.BidderNo, AmountFen: amountFen, At: now}
		if err := tx.Create(&b).Error; err != nil {
			return err
		}
		row.Status, row.CurrentPriceFen, row.BidCount = market.AuctionOpen, amountFen, b.Seq
		row.LeaderRegistrationID, row.LeaderNo, row.EndsAt, row.UpdatedAt = reg.ID, reg.BidderNo, res.EndsAt, now
		if err := appendEvent(tx, row, market.EventBid, now, map[string]any{
			"seq": b.Seq, "bidder_no": b.BidderNo, "amount_fen": amountFen, "at": now,
			"current_price_fen": amountFen, "bid_count": b.Seq, "ends_at": res.EndsAt,
		}); err != nil {
			return err
		}
		if res.Extended {
			if err := appendEvent(tx, row, market.EventExtended, now, map[string]any{"ends_at": res.EndsAt}); err != nil {
				return err
			}
		}
		if err := tx.Select("*").Save(row).Error; err != nil {
			return err
		}
		out = row.auction()
		if err := latestBids(tx, out); err != nil {
			return err
		}
		after := b.bid()
		return s.db.audit(ctx, tx, "create", "bid", b.ID, nil, map[string]any{
			"auction_id": a.ID, "bid": after, "ends_at": res.EndsAt, "extended": res.Extended})
	})
	if err != nil {
		return nil, err
	}
	s.notify(auctionID)
	return out.View(actor, now), nil
}

// ListBids pages through an auction's bids, newest first; the cursor is
// the seq of the last bid of the page.
func (s *AuctionService) ListBids(ctx context.Context, auctionID string, pr market.PageRequest) (_ market.Page[market.AuctionBid], err error) {
	defer wrap(&err, "store.ListBids(%q)", auctionID)
	var out market.Page[market.AuctionBid]
	q := s.db.gorm.WithContext(ctx)
	var row auctionRow
	if err := q.First(&row, "id = ?", auctionID).Error; errors.Is(err, errNotFound) {
		return out, auctionNotFound(auctionID)
	} else if err != nil {
		return out, err
	}
	bq := q.Where("auction_id = ?", auctionID)
	if pr.After != "" {
		after, err := strconv.ParseInt(pr.After, 10, 64)
		if err != nil || after < 1 {
			return out, market.Invalid("cursor", "is not a cursor this server issued")
		}
		bq = bq.Where("seq < ?", after)
	}
	var rows []bidRow
	if err := bq.Order("seq DESC").Limit(pr.Limit + 1).Find(&rows).Error; err != nil {
		return out, err
	}
	if len(rows) > pr.Limit {
		rows = rows[:pr.Limit]
		out.NextCursor = market.EncodeCursor(strconv.FormatInt(rows[len(rows)-1].Seq, 10))
	}
	a := row.auction()
	a.Bids = make([]market.AuctionBid, len(rows))
	for i := range rows {
		a.Bids[i] = rows[i].bid()
	}
	out.Items = a.View(market.ActorFrom(ctx), s.now()).Bids
	return out, nil
}

// EventsAfter returns the auction's feed after seq, oldest first.
func (s *AuctionService) EventsAfter(ctx context.Context, auctionID string, seq int64, limit int) (_ []market.AuctionEvent, err error) {
	defer wrap(&err, "store.EventsAfter(%q)", auctionID)
	q := s.db.gorm.WithContext(ctx)
	var rows []auctionEventRow
	if err := q.Where("auction_id = ? AND seq > ?", auctionID, seq).Order("seq ASC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		var n int64
		if err := q.Model(&auctionRow{}).Where("id = ?", auctionID).Count(&n).Error; err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, auctionNotFound(auctionID)
		}
	}
	out := make([]market.AuctionEvent, len(rows))
	for i, r := range rows {
		out[i] = market.AuctionEvent{Seq: r.Seq, Type: r.Type, Data: []byte(r.Data), At: r.At.UTC()}
	}
	return out, nil
}

// CloseDue opens scheduled auctions whose start has come and closes live
// auctions whose end has passed, each in a transaction of its own. Every
// instance runs it: the close takes the auction's row lock and is a
// conditional update on its status and end, so of two instances exactly
// one closes an auction, and an instance that dies mid-close leaves it to
// the next sweep of any other.
func (s *AuctionService) CloseDue(ctx context.Context) (closed int, err error) {
	defer wrap(&err, "store.CloseDue")
	now := s.now()
	q := s.db.gorm.WithContext(ctx)
	var opening []string
	if err := q.Model(&auctionRow{}).Where("status = ? AND starts_at <= ? AND ends_at > ?", market.AuctionScheduled, now, now).
		Limit(100).Pluck("id", &opening).Error; err != nil {
		return 0, err
	}
	for _, id := range opening {
		if err := s.open(ctx, id); err != nil {
			return closed, err
		}
	}
	var due []string
	if err := q.Model(&auctionRow{}).Where("status IN ? AND ends_at <= ?", []string{market.AuctionScheduled, market.AuctionOpen}, now).
		Order("ends_at").Limit(100).Pluck("id", &due).Error; err != nil {
		return closed, err
	}
	for _, id := range due {
		ok, err := s.close(ctx, id)
		if err != nil {
			return closed, err
		}
		if ok {
			closed++
		}
	}
	return closed, nil
}

func (s *AuctionService) open(ctx context.Context, id string) error {
	err := s.db.tx(ctx, func(tx *gorm.DB) error {
		row, err := lockAuction(tx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if row.Status != market.AuctionScheduled || now.Before(row.StartsAt) {
			return errDone
		}
		before := row.auction()
		row.Status, row.UpdatedAt = market.AuctionOpen, now
		if err := appendEvent(tx, row, market.EventOpened, now, map[string]any{"ends_at": row.EndsAt}); err != nil {
			return err
		}
		if err := tx.Select("*").Save(row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "open", "auction", id, before, row.auction())
	})
	if errors.Is(err, errDone) {
		return nil
	}
	if err == nil {
		s.notify(id)
	}
	return err
}

// errDone ends a transaction that found nothing to do.
var errDone = errors.New("nothing to do")

// close closes one auction whose end has passed and reports whether this
// call made the close.
func (s *AuctionService) close(ctx context.Context, id string) (bool, error) {
	err := s.db.tx(ctx, func(tx *gorm.DB) error {
		row, err := lockAuction(tx, id)
		if err != nil {
			return err
		}
		now := s.now()
		a := row.auction()
		// Closed meanwhile, or extended by a late bid: nothing to do.
		if !a.Live() || now.Before(a.EndsAt) {
			return errDone
		}
		before := *a
		status, winReg := market.CloseOutcome(a)
		winner := ""
		if winReg != "" {
			var gr registrationRow
			if err := tx.Select("org_id").First(&gr, "id = ?", winReg).Error; err != nil {
				return err
			}
			winner = gr.OrgID
		}
		ev := *row
		if err := appendEvent(tx, &ev, market.EventClosed, now, map[string]any{
			"status": status, "current_price_fen": a.CurrentPriceFen, "bid_count": a.BidCount, "winner_bidder_no": winnerNo(status, a),
		}); err != nil {
			return err
		}
		res := tx.Model(&auctionRow{}).
			Where("id = ? AND status IN ? AND ends_at <= ?", id, []string{market.AuctionScheduled, market.AuctionOpen}, now).
			Updates(map[string]any{"status": status, "winner_org_id": winner, "closed_at": now, "event_seq": ev.EventSeq, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errDone
		}
		if err := refundDeposits(tx, id, winReg, now); err != nil {
			return err
		}
		a.Status, a.WinnerOrgID, a.ClosedAt, a.UpdatedAt = status, winner, &now, now
		return s.db.audit(ctx, tx, "close", "auction", id, &before, a)
	})
	if errors.Is(err, errDone) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.notify(id)
	return true, nil
}

func winnerNo(status string, a *market.Auction) int {
	if status == market.AuctionSold {
		return a.LeaderNo
	}
	return 0
}
