package market

import (
	"context"
	"strings"
	"time"
)

// Auction (竞价) lifecycle states. Scheduled and open are the live states:
// an auction is open from StartsAt until its close, which the server makes
// by itself once EndsAt has passed.
const (
	AuctionScheduled = "scheduled"
	AuctionOpen      = "open"
	AuctionSold      = "sold"
	AuctionUnsold    = "unsold"
	AuctionCancelled = "cancelled"
)

// AuctionStatuses labels every state (GET /meta auction_statuses).
var AuctionStatuses = []Code{
	{AuctionScheduled, "待开拍"}, {AuctionOpen, "竞价中"}, {AuctionSold, "已成交"},
	{AuctionUnsold, "流拍"}, {AuctionCancelled, "已取消"},
}

// Deposit states of an auction registration.
const (
	DepositUnpaid      = "unpaid"       // the operator has not recorded it yet: no bids
	DepositPaid        = "paid"         // recorded: the registration bids
	DepositNotRequired = "not_required" // the auction asks for none
	DepositRefundDue   = "refund_due"   // the auction closed and this bidder did not win
)

// DepositStatuses labels every deposit state (GET /meta deposit_statuses).
var DepositStatuses = []Code{
	{DepositUnpaid, "未缴纳"}, {DepositPaid, "已缴纳"}, {DepositNotRequired, "无需保证金"}, {DepositRefundDue, "待退还"},
}

// DefaultExtendSeconds is the anti-sniping window when the body names none.
const DefaultExtendSeconds = 300

// MaxAuctionDuration bounds ends_at - starts_at.
const MaxAuctionDuration = 90 * 24 * time.Hour

// AuctionBid is one accepted bid as GET /auctions/{id} shows it: bidders
// appear by number; OrgID is filled only for the seller and operators
// after the close.
type AuctionBid struct {
	Seq       int64     `json:"seq"`
	BidderNo  int       `json:"bidder_no"`
	OrgID     string    `json:"org_id,omitempty"`
	AmountFen int64     `json:"amount_fen"`
	At        time.Time `json:"at"`
}

// Auction is a timed ascending auction of one achievement.
type Auction struct {
	ID               string `json:"id"`
	AchievementID    string `json:"achievement_id"`
	SellerOrgID      string `json:"seller_org_id"`
	NoticeID         string `json:"notice_id,omitempty"`
	Status           string `json:"status"`
	StartingPriceFen int64  `json:"starting_price_fen"`
	// ReservePriceFen is shown only to the seller and operators (nil to
	// everyone else); 0 means no reserve.
	ReservePriceFen *int64 `json:"reserve_price_fen,omitempty"`
	IncrementFen    int64  `json:"increment_fen"`
	DepositFen      int64  `json:"deposit_fen"`
	// CurrentPriceFen is the highest accepted bid, or the starting price
	// before the first bid.
	CurrentPriceFen int64     `json:"current_price_fen"`
	BidCount        int64     `json:"bid_count"`
	StartsAt        time.Time `json:"starts_at"`
	EndsAt          time.Time `json:"ends_at"`
	ExtendSeconds   int       `json:"extend_seconds"`
	// WinnerOrgID is set after a close that sold.
	WinnerOrgID string `json:"winner_org_id,omitempty"`
	// LeaderNo is the bidder number of the highest bid (0 before any).
	LeaderNo     int          `json:"leader_bidder_no,omitempty"`
	Bids         []AuctionBid `json:"bids"`
	ClosedAt     *time.Time   `json:"closed_at,omitempty"`
	CancelReason string       `json:"cancel_reason,omitempty"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`

	// Reserve is the reserve price itself, for the rules; ReservePriceFen
	// is what the caller may see of it.
	Reserve int64 `json:"-"`
	// LeaderRegistrationID names the registration of the highest bid.
	LeaderRegistrationID string `json:"-"`
}

// Live reports whether the auction has not closed (scheduled or open).
func (a *Auction) Live() bool { return a.Status == AuctionScheduled || a.Status == AuctionOpen }

// Phase is the state the auction is in at now: a stored scheduled auction
// whose start has come is open, and one past its end stays open until the
// close is made (bids are refused from EndsAt on; see CheckBid).
func (a *Auction) Phase(now time.Time) string {
	if a.Status == AuctionScheduled && !now.Before(a.StartsAt) {
		return AuctionOpen
	}
	return a.Status
}

// MinimumBid is the lowest amount the next bid may offer: the starting
// price for the first bid, the current price plus the increment after.
func (a *Auction) MinimumBid() int64 {
	if a.BidCount == 0 {
		return a.StartingPriceFen
	}
	return a.CurrentPriceFen + a.IncrementFen
}

// NewAuction is the body of POST /auctions.
type NewAuction struct {
	AchievementID    string `json:"achievement_id"`
	StartingPriceFen int64  `json:"starting_price_fen"`
	ReservePriceFen  int64  `json:"reserve_price_fen"`
	IncrementFen     int64  `json:"increment_fen"`
	DepositFen       int64  `json:"deposit_fen"`
	StartsAt         string `json:"starts_at"`
	EndsAt           string `json:"ends_at"`
	// ExtendSeconds is the anti-sniping window; absent means 300, 0 none.
	ExtendSeconds *int `json:"extend_seconds"`
}

// Auction validates the body at now and returns the auction it describes
// (without ids or seller), scheduled, or open when it starts at once.
func (n *NewAuction) Auction(now time.Time) (*Auction, error) {
	var p Problems
	n.AchievementID = strings.TrimSpace(n.AchievementID)
	if n.AchievementID == "" || len(n.AchievementID) > 26 {
		p.Add("achievement_id", "is required: the id of a published achievement")
	}
	checkAmount(&p, "starting_price_fen", n.StartingPriceFen)
	checkAmount(&p, "increment_fen", n.IncrementFen)
	if n.ReservePriceFen < 0 || n.ReservePriceFen > MaxAmountFen {
		p.Add("reserve_price_fen", "must be 0 (no reserve) or a positive amount in fen up to %d", int64(MaxAmountFen))
	}
	if n.DepositFen < 0 || n.DepositFen > MaxAmountFen {
		p.Add("deposit_fen", "must be 0 (no deposit) or a positive amount in fen up to %d", int64(MaxAmountFen))
	}
	extend := DefaultExtendSeconds
	if n.ExtendSeconds != nil {
		extend = *n.ExtendSeconds
	}
	if extend < 0 || extend > 3600 {
		p.Add("extend_seconds", "must be from 0 to 3600")
	}
	starts := parseInstant(&p, "starts_at", n.StartsAt)
	ends := parseInstant(&p, "ends_at", n.EndsAt)
	if !starts.IsZero() && !ends.IsZero() {
		switch {
		case !ends.After(starts):
			p.Add("ends_at", "must be after starts_at")
		case ends.Sub(starts) > MaxAuctionDuration:
			p.Add("ends_at", "must be at most 90 days after starts_at")
		case !ends.After(now):
			p.Add("ends_at", "must lie in the future")
		}
		if starts.Before(now.Add(-clockSkew)) {
			p.Add("starts_at", "must not lie in the past")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if starts.Before(now) {
		starts = now
	}
	a := &Auction{
		AchievementID: n.AchievementID, Status: AuctionScheduled, StartingPriceFen: n.StartingPriceFen,
		Reserve: n.ReservePriceFen, IncrementFen: n.IncrementFen, DepositFen: n.DepositFen,
		CurrentPriceFen: n.StartingPriceFen, StartsAt: starts, EndsAt: ends, ExtendSeconds: extend,
		Bids: []AuctionBid{}, CreatedAt: now, UpdatedAt: now,
	}
	a.Status = a.Phase(now)
	return a, nil
}

// parseInstant parses an RFC 3339 instant (any offset), in UTC to the
// microsecond.
func parseInstant(p *Problems, field, s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		p.Add(field, "must be an RFC 3339 instant such as 2026-03-01T10:00:00+08:00")
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// NoticeAuction is the auction a listing notice starts among its
// applicants when its period ends with two or more of them: it opens at
// once at the listed price, runs NoticeAuctionDuration, asks no deposit
// (the applicants are registered by the notice) and rises by
// NoticeIncrement of the price.
func NoticeAuction(n *Notice, now time.Time) *Auction {
	return &Auction{
		AchievementID: n.AchievementID, SellerOrgID: n.SellerOrgID, NoticeID: n.ID, Status: AuctionOpen,
		StartingPriceFen: n.PriceFen, IncrementFen: NoticeIncrement(n.PriceFen), CurrentPriceFen: n.PriceFen,
		StartsAt: now, EndsAt: now.Add(NoticeAuctionDuration), ExtendSeconds: DefaultExtendSeconds,
		Bids: []AuctionBid{}, CreatedAt: now, UpdatedAt: now,
	}
}

// NoticeAuctionDuration is how long an auction among a notice's
// applicants runs.
const NoticeAuctionDuration = 72 * time.Hour

// NoticeIncrement is 1% of the price rounded up to the yuan (100 fen),
// and at least one yuan.
func NoticeIncrement(priceFen int64) int64 {
	inc := (priceFen + 9_999) / 10_000 * 100 // ceil(price / 100 yuan) yuan = 1% rounded up to the yuan
	return max(inc, 100)
}

// BidOutcome is what an accepted bid does to the auction.
type BidOutcome struct {
	// EndsAt is the auction's end after the bid: moved to the bid's time
	// plus ExtendSeconds when the bid came in the last ExtendSeconds.
	EndsAt   time.Time
	Extended bool
}

// CheckBid decides a bid of amount by the registration's org at now, on
// the auction as it stands under its lock. Refusals:
//   - the seller: 403;
//   - an auction not open (not started, ended, closed, cancelled): 409;
//   - an org with no registration, or whose deposit is not recorded: 403;
//   - an amount at or below the current price after the first bid (the bid
//     is no longer the highest by the time it commits): 409 naming the
//     current price;
//   - an amount below the starting price or the current price plus the
//     increment: 422 naming the current price.
func CheckBid(a *Auction, reg *AuctionRegistration, orgID string, amount int64, now time.Time) (BidOutcome, error) {
	if orgID == "" || orgID == a.SellerOrgID {
		return BidOutcome{}, Errorf(EFORBIDDEN, "the seller does not bid on its own auction")
	}
	switch phase := a.Phase(now); {
	case phase == AuctionScheduled:
		return BidOutcome{}, Errorf(ECONFLICT, "auction %s opens at %s", a.ID, a.StartsAt.Format(time.RFC3339))
	case phase != AuctionOpen:
		return BidOutcome{}, Errorf(ECONFLICT, "auction %s is %s", a.ID, a.Status)
	case !now.Before(a.EndsAt):
		return BidOutcome{}, Errorf(ECONFLICT, "auction %s ended at %s", a.ID, a.EndsAt.Format(time.RFC3339))
	}
	switch {
	case reg == nil:
		return BidOutcome{}, Errorf(EFORBIDDEN, "register for auction %s before bidding", a.ID)
	case reg.DepositStatus != DepositPaid && reg.DepositStatus != DepositNotRequired:
		return BidOutcome{}, Errorf(EFORBIDDEN, "your deposit of %d fen is not recorded (it is %s); the operator records it",
			a.DepositFen, reg.DepositStatus)
	}
	if amount <= 0 || amount > MaxAmountFen {
		return BidOutcome{}, priceError(EINVALID, a, "must be a positive amount in fen up to %d", int64(MaxAmountFen))
	}
	if a.BidCount > 0 && amount <= a.CurrentPriceFen {
		return BidOutcome{}, priceError(ECONFLICT, a, "is no longer the highest bid: the current price is %d fen", a.CurrentPriceFen)
	}
	if min := a.MinimumBid(); amount < min {
		if a.BidCount == 0 {
			return BidOutcome{}, priceError(EINVALID, a, "must be at least the starting price, %d fen", min)
		}
		return BidOutcome{}, priceError(EINVALID, a, "must be at least the current price %d plus the increment %d: %d fen",
			a.CurrentPriceFen, a.IncrementFen, min)
	}
	out := BidOutcome{EndsAt: a.EndsAt}
	window := time.Duration(a.ExtendSeconds) * time.Second
	if window > 0 && a.EndsAt.Sub(now) < window {
		out.EndsAt, out.Extended = now.Add(window), true
	}
	return out, nil
}

func priceError(code string, a *Auction, format string, args ...any) *Error {
	e := Invalid("amount_fen", format, args...)
	e.Code = code
	cur := a.CurrentPriceFen
	e.CurrentPriceFen = &cur
	return e
}

// CloseOutcome is the result of an auction's close: sold to the highest
// bid at or above the reserve, else unsold (流拍).
func CloseOutcome(a *Auction) (status string, winnerRegistrationID string) {
	if a.BidCount > 0 && a.LeaderRegistrationID != "" && a.CurrentPriceFen >= a.Reserve {
		return AuctionSold, a.LeaderRegistrationID
	}
	return AuctionUnsold, ""
}

// CanCreateAuction says whether the actor may put an achievement owned by
// ownerOrgID up for auction: a member of the owner org, or an operator.
func CanCreateAuction(a *Actor, ownerOrgID string) error {
	switch {
	case a == nil || a.OrgID == "":
		return Errorf(EFORBIDDEN, "only the achievement's owner or an operator puts it up for auction")
	case a.IsOperator() && a.OrgVerified:
		return nil
	case a.OrgID != ownerOrgID:
		return Errorf(EFORBIDDEN, "achievement is another org's; only its owner or an operator auctions it")
	case !a.OrgVerified:
		return Errorf(EFORBIDDEN, "your org must be verified before it trades")
	}
	return nil
}

// CanManageAuction reports whether the actor sees the reserve and the
// bidders' names: the seller and operators.
func CanManageAuction(a *Actor, au *Auction) bool {
	return a != nil && a.OrgID != "" && (a.OrgID == au.SellerOrgID || a.IsOperator())
}

// CanRegister says whether the actor's org may register to bid: verified
// enterprises and institutes, not the seller, while the auction is live
// and before its end. An auction among a notice's applicants takes no
// registrations: the notice registered them.
func CanRegister(a *Actor, au *Auction, now time.Time) error {
	switch {
	case a == nil || a.OrgID == "" || (a.OrgKind != OrgEnterprise && a.OrgKind != OrgInstitute):
		return Errorf(EFORBIDDEN, "only enterprises and institutes bid in auctions")
	case !a.OrgVerified:
		return Errorf(EFORBIDDEN, "your org must be verified before it trades")
	case a.OrgID == au.SellerOrgID:
		return Errorf(EFORBIDDEN, "the seller does not bid on its own auction")
	case au.NoticeID != "":
		return Errorf(EFORBIDDEN, "auction %s is among the applicants of notice %s only", au.ID, au.NoticeID)
	case !au.Live() || !now.Before(au.EndsAt):
		return Errorf(ECONFLICT, "auction %s is %s; registrations are closed", au.ID, au.Phase(now))
	}
	return nil
}

// AuctionRegistration is one org's registration to bid, with its masked
// bidder number and the state of its deposit.
type AuctionRegistration struct {
	ID            string     `json:"id"`
	AuctionID     string     `json:"auction_id"`
	OrgID         string     `json:"org_id"`
	BidderNo      int        `json:"bidder_no"`
	DepositFen    int64      `json:"deposit_fen"`
	DepositStatus string     `json:"deposit_status"`
	VoucherNo     string     `json:"voucher_no,omitempty"`
	DepositPaidAt *time.Time `json:"deposit_paid_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// NewRegistration returns the registration of orgID as bidder number no.
func NewRegistration(au *Auction, orgID string, no int, now time.Time) *AuctionRegistration {
	status := DepositUnpaid
	if au.DepositFen == 0 {
		status = DepositNotRequired
	}
	return &AuctionRegistration{AuctionID: au.ID, OrgID: orgID, BidderNo: no, DepositFen: au.DepositFen,
		DepositStatus: status, CreatedAt: now, UpdatedAt: now}
}

// Deposit is the body of POST /auctions/{id}/registrations/{rid}/deposit.
type Deposit struct {
	VoucherNo string `json:"voucher_no"`
}

// RecordDeposit checks that an operator records an unpaid deposit of a
// live auction and applies it.
func RecordDeposit(a *Actor, au *Auction, reg *AuctionRegistration, d Deposit, now time.Time) error {
	if !a.IsOperator() || !a.OrgVerified {
		return Errorf(EFORBIDDEN, "only an operator records deposits")
	}
	var p Problems
	d.VoucherNo = strings.TrimSpace(d.VoucherNo)
	checkNo(&p, "voucher_no", d.VoucherNo)
	if err := p.Err(); err != nil {
		return err
	}
	switch {
	case reg.DepositStatus != DepositUnpaid:
		return Errorf(ECONFLICT, "the deposit of registration %s is %s", reg.ID, reg.DepositStatus)
	case !au.Live():
		return Errorf(ECONFLICT, "auction %s is %s", au.ID, au.Status)
	}
	reg.DepositStatus, reg.VoucherNo, reg.DepositPaidAt, reg.UpdatedAt = DepositPaid, d.VoucherNo, &now, now
	return nil
}

// CancelAuction checks that the seller or an operator cancels a live
// auction before its first bid, and applies it.
func CancelAuction(a *Actor, au *Auction, reason string, now time.Time) error {
	if !CanManageAuction(a, au) {
		return Errorf(EFORBIDDEN, "only the seller or an operator cancels an auction")
	}
	switch {
	case !au.Live():
		return Errorf(ECONFLICT, "auction %s is %s", au.ID, au.Status)
	case au.BidCount > 0:
		return Errorf(ECONFLICT, "auction %s has %d bids; an auction is cancelled before its first bid", au.ID, au.BidCount)
	}
	if len([]rune(reason)) > 500 {
		return Invalid("reason", "at most 500 characters")
	}
	au.Status, au.CancelReason, au.ClosedAt, au.UpdatedAt = AuctionCancelled, strings.TrimSpace(reason), &now, now
	return nil
}

// View masks the auction for the actor: the reserve only to the seller and
// operators, bidders' orgs only to them after the close.
func (au *Auction) View(a *Actor, now time.Time) *Auction {
	v := *au
	v.Status = au.Phase(now)
	v.Bids = make([]AuctionBid, len(au.Bids))
	copy(v.Bids, au.Bids)
	manage := CanManageAuction(a, au)
	if manage {
		r := au.Reserve
		v.ReservePriceFen = &r
	} else {
		v.ReservePriceFen = nil
	}
	if !manage || au.Live() {
		for i := range v.Bids {
			v.Bids[i].OrgID = ""
		}
	}
	return &v
}

// AuctionEvent is one entry of an auction's live feed (SSE), numbered
// per auction from 1: the number is the SSE id a client resumes from.
type AuctionEvent struct {
	Seq  int64  `json:"seq"`
	Type string `json:"type"`
	// Data is the event's JSON payload.
	Data []byte    `json:"-"`
	At   time.Time `json:"at"`
}

// Auction event types.
const (
	EventBid      = "bid"
	EventExtended = "extended"
	EventClosed   = "closed"
	EventOpened   = "opened"
)

// AuctionFilter narrows GET /auctions.
type AuctionFilter struct {
	Status        string
	AchievementID string
	Page          PageRequest
}

// Validate checks the filter's codes.
func (f AuctionFilter) Validate() error {
	if f.Status != "" && !HasCode(AuctionStatuses, f.Status) {
		return Invalid("status", "must be scheduled, open, sold, unsold or cancelled")
	}
	return nil
}

// AuctionService runs auctions. Every method reads the actor from the
// context.
type AuctionService interface {
	CreateAuction(ctx context.Context, n NewAuction) (*Auction, error)
	FindAuction(ctx context.Context, id string) (*Auction, error)
	ListAuctions(ctx context.Context, f AuctionFilter) (Page[Auction], error)
	CancelAuction(ctx context.Context, id, reason string) (*Auction, error)
	Register(ctx context.Context, auctionID string) (*AuctionRegistration, error)
	ListRegistrations(ctx context.Context, auctionID string, pr PageRequest) (Page[AuctionRegistration], error)
	RecordDeposit(ctx context.Context, auctionID, registrationID string, d Deposit) (*AuctionRegistration, error)
	Bid(ctx context.Context, auctionID string, amountFen int64) (*Auction, error)
	ListBids(ctx context.Context, auctionID string, pr PageRequest) (Page[AuctionBid], error)
	// EventsAfter returns the auction's events numbered after seq, oldest
	// first, at most limit; the auction must exist (404 otherwise).
	EventsAfter(ctx context.Context, auctionID string, seq int64, limit int) ([]AuctionEvent, error)
	// CloseDue closes every auction whose end has passed, and opens those
	// whose start has come; it returns how many it closed.
	CloseDue(ctx context.Context) (int, error)
}
