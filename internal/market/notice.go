package market

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Notice kinds (SPEC: price discovery).
const (
	NoticeAgreedPrice = "agreed_price" // 协议定价公示: names the agreed buyer
	NoticeListing     = "listing"      // 挂牌: a fixed price, no buyer
)

// NoticeKinds labels the kinds (GET /meta notice_kinds).
var NoticeKinds = []Code{{NoticeAgreedPrice, "协议定价公示"}, {NoticeListing, "挂牌"}}

// Notice states.
const (
	NoticeActive    = "active"
	NoticeCompleted = "completed"
	NoticeCancelled = "cancelled"
)

// NoticeStatuses labels the states (GET /meta notice_statuses).
var NoticeStatuses = []Code{{NoticeActive, "公示中"}, {NoticeCompleted, "已完成"}, {NoticeCancelled, "已撤销"}}

// Objection states.
const (
	ObjectionOpen      = "open"
	ObjectionUpheld    = "upheld"
	ObjectionDismissed = "dismissed"
)

// ObjectionStatuses labels the states (GET /meta objection_statuses).
var ObjectionStatuses = []Code{{ObjectionOpen, "待处理"}, {ObjectionUpheld, "异议成立"}, {ObjectionDismissed, "异议不成立"}}

// DefaultNoticeMinDays is TECHMARKET_NOTICE_MIN_DAYS's default.
const DefaultNoticeMinDays = 15

// Notice (公示) is an achievement's price made public for a period: an
// agreed price with its buyer, or a listing any enterprise may apply to
// take.
type Notice struct {
	ID            string `json:"id"`
	AchievementID string `json:"achievement_id"`
	SellerOrgID   string `json:"seller_org_id"`
	Kind          string `json:"kind"`
	PriceFen      int64  `json:"price_fen"`
	BuyerOrgID    string `json:"buyer_org_id,omitempty"`
	// StartsOn and EndsOn are Beijing dates, both included.
	StartsOn string `json:"starts_on"`
	EndsOn   string `json:"ends_on"`
	Note     string `json:"note"`
	Status   string `json:"status"`
	// WinnerOrgID is the org the notice completed for: the agreed buyer,
	// or the one applicant of a listing.
	WinnerOrgID string `json:"winner_org_id,omitempty"`
	// AuctionID is the auction a listing with several applicants started.
	AuctionID        string     `json:"auction_id,omitempty"`
	OpenObjections   int        `json:"open_objections"`
	ApplicationCount int        `json:"application_count"`
	CancelReason     string     `json:"cancel_reason,omitempty"`
	CompletedAt      *time.Time `json:"completed_at,omitempty"`
	CancelledAt      *time.Time `json:"cancelled_at,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// PeriodStart is the instant the period begins: midnight in Beijing of
// StartsOn.
func (n *Notice) PeriodStart() time.Time { return beijingMidnight(n.StartsOn, 0) }

// PeriodEnd is the instant the period is over: midnight in Beijing after
// EndsOn.
func (n *Notice) PeriodEnd() time.Time { return beijingMidnight(n.EndsOn, 1) }

// InPeriod reports whether now falls inside the notice's period.
func (n *Notice) InPeriod(now time.Time) bool {
	return !now.Before(n.PeriodStart()) && now.Before(n.PeriodEnd())
}

func beijingMidnight(date string, addDays int) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, date, ChinaTime)
	if err != nil {
		return time.Time{}
	}
	return d.AddDate(0, 0, addDays).UTC()
}

// NoticeDays counts the Beijing calendar days from starts to ends, both
// included (0 when ends comes first or a date is malformed).
func NoticeDays(starts, ends string) int {
	s, err1 := time.Parse(time.DateOnly, starts)
	e, err2 := time.Parse(time.DateOnly, ends)
	if err1 != nil || err2 != nil || e.Before(s) {
		return 0
	}
	return int(e.Sub(s)/(24*time.Hour)) + 1
}

// NewNotice is the body of POST /notices.
type NewNotice struct {
	AchievementID string `json:"achievement_id"`
	Kind          string `json:"kind"`
	PriceFen      int64  `json:"price_fen"`
	BuyerOrgID    string `json:"buyer_org_id"`
	StartsOn      string `json:"starts_on"`
	EndsOn        string `json:"ends_on"`
	Note          string `json:"note"`
}

// Notice validates the body at now against a minimum period of minDays
// Beijing calendar days and returns the active notice it describes.
func (n *NewNotice) Notice(now time.Time, minDays int) (*Notice, error) {
	var p Problems
	n.AchievementID = strings.TrimSpace(n.AchievementID)
	n.BuyerOrgID = strings.TrimSpace(n.BuyerOrgID)
	n.Note = strings.TrimSpace(n.Note)
	if n.AchievementID == "" || len(n.AchievementID) > 26 {
		p.Add("achievement_id", "is required: the id of a published achievement")
	}
	switch n.Kind {
	case NoticeAgreedPrice:
		if n.BuyerOrgID == "" || len(n.BuyerOrgID) > 26 {
			p.Add("buyer_org_id", "is required on an agreed_price notice: the agreed buyer")
		}
	case NoticeListing:
		if n.BuyerOrgID != "" {
			p.Add("buyer_org_id", "must be empty on a listing: applicants come during the period")
		}
	default:
		p.Add("kind", "must be agreed_price or listing")
	}
	checkAmount(&p, "price_fen", n.PriceFen)
	today := Today(now)
	startsOK := checkDate(&p, "starts_on", n.StartsOn)
	endsOK := checkDate(&p, "ends_on", n.EndsOn)
	if startsOK && n.StartsOn < today {
		p.Add("starts_on", "must not lie in the past (today in Beijing is %s)", today)
	}
	if startsOK && endsOK {
		if days := NoticeDays(n.StartsOn, n.EndsOn); days < minDays {
			p.Add("ends_on", "the period must last at least %d Beijing calendar days, both ends included (this one: %d)", minDays, days)
		} else if days > 366 {
			p.Add("ends_on", "the period must last at most 366 days")
		}
	}
	if utf8.RuneCountInString(n.Note) > 2000 {
		p.Add("note", "at most 2000 characters")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return &Notice{AchievementID: n.AchievementID, Kind: n.Kind, PriceFen: n.PriceFen, BuyerOrgID: n.BuyerOrgID,
		StartsOn: n.StartsOn, EndsOn: n.EndsOn, Note: n.Note, Status: NoticeActive, CreatedAt: now, UpdatedAt: now}, nil
}

func checkDate(p *Problems, field, s string) bool {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		p.Add(field, "must be a date YYYY-MM-DD")
		return false
	}
	return true
}

// CanCreateNotice says whether the actor may give notice of an
// achievement owned by ownerOrgID: members of that verified org.
func CanCreateNotice(a *Actor, ownerOrgID string) error {
	switch {
	case a == nil || a.OrgID == "":
		return Errorf(EFORBIDDEN, "only the achievement's owner gives notice of its price")
	case a.OrgID != ownerOrgID:
		return Errorf(EFORBIDDEN, "achievement is another org's; only its owner gives notice of its price")
	case !a.OrgVerified:
		return Errorf(EFORBIDDEN, "your org must be verified before it trades")
	}
	return nil
}

// CanManageNotice reports whether the actor sees every objection and
// application of the notice: the seller and operators.
func CanManageNotice(a *Actor, n *Notice) bool {
	return a != nil && a.OrgID != "" && (a.OrgID == n.SellerOrgID || a.IsOperator())
}

// NoticeOutcome is what the end of a notice's period does.
type NoticeOutcome struct {
	// Wait is true while an objection is open: the notice stays active.
	Wait bool
	// WinnerOrgID is set when the notice completes with a winner.
	WinnerOrgID string
	// Auction is true when a listing with several applicants starts an
	// auction among them (the notice completes with its auction_id).
	Auction bool
}

// EndPeriod decides the end of an active notice's period given the open
// objections and the applicants (in the order they applied): an open
// objection holds it; an agreed price completes for its buyer; a listing
// completes for its one applicant, starts an auction among two or more,
// or completes with no winner.
func EndPeriod(n *Notice, openObjections int, applicants []string) NoticeOutcome {
	switch {
	case openObjections > 0:
		return NoticeOutcome{Wait: true}
	case n.Kind == NoticeAgreedPrice:
		return NoticeOutcome{WinnerOrgID: n.BuyerOrgID}
	case len(applicants) == 1:
		return NoticeOutcome{WinnerOrgID: applicants[0]}
	case len(applicants) >= 2:
		return NoticeOutcome{Auction: true}
	}
	return NoticeOutcome{}
}

// Objection (异议) is a verified org's objection to an active notice,
// resolved by an operator.
type Objection struct {
	ID              string     `json:"id"`
	NoticeID        string     `json:"notice_id"`
	OrgID           string     `json:"org_id"`
	Reason          string     `json:"reason"`
	Status          string     `json:"status"`
	ResolutionNote  string     `json:"resolution_note,omitempty"`
	ResolvedByOrgID string     `json:"resolved_by_org_id,omitempty"`
	ResolvedAt      *time.Time `json:"resolved_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// NewObjection is the body of POST /notices/{id}/objections.
type NewObjection struct {
	Reason string `json:"reason"`
}

// CheckObjection says whether the actor may object to the notice at now:
// any verified org but the seller, while the notice is active.
func CheckObjection(a *Actor, n *Notice, in *NewObjection) error {
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case !a.IsVerifiedOrg():
		return Errorf(EFORBIDDEN, "only verified orgs object to notices")
	case a.OrgID == n.SellerOrgID:
		return Errorf(EFORBIDDEN, "the seller does not object to its own notice; cancel it instead")
	case n.Status != NoticeActive:
		return Errorf(ECONFLICT, "notice %s is %s; objections are taken while it is active", n.ID, n.Status)
	}
	if c := utf8.RuneCountInString(in.Reason); c < 2 || c > 2000 {
		return Invalid("reason", "is required, 2 to 2000 characters")
	}
	return nil
}

// Resolution is the body of POST /notices/{id}/objections/{oid}/resolve.
type Resolution struct {
	Upheld *bool  `json:"upheld"`
	Note   string `json:"note"`
}

// ResolveObjection checks that an operator resolves an open objection and
// applies it; it reports whether the notice is to be cancelled (an upheld
// objection on an active notice).
func ResolveObjection(a *Actor, n *Notice, o *Objection, r Resolution, now time.Time) (cancel bool, err error) {
	if !a.IsOperator() || !a.OrgVerified {
		return false, Errorf(EFORBIDDEN, "only an operator resolves objections")
	}
	r.Note = strings.TrimSpace(r.Note)
	var p Problems
	if r.Upheld == nil {
		p.Add("upheld", "is required: true or false")
	}
	if utf8.RuneCountInString(r.Note) > 2000 {
		p.Add("note", "at most 2000 characters")
	}
	if err := p.Err(); err != nil {
		return false, err
	}
	if o.Status != ObjectionOpen {
		return false, Errorf(ECONFLICT, "objection %s is already %s", o.ID, o.Status)
	}
	o.Status = ObjectionDismissed
	if *r.Upheld {
		o.Status = ObjectionUpheld
	}
	o.ResolutionNote, o.ResolvedByOrgID, o.ResolvedAt, o.UpdatedAt = r.Note, a.OrgID, &now, now
	return *r.Upheld && n.Status == NoticeActive, nil
}

// Application is a verified enterprise's application to take a listing.
type Application struct {
	ID        string    `json:"id"`
	NoticeID  string    `json:"notice_id"`
	OrgID     string    `json:"org_id"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
}

// NewApplication is the body of POST /notices/{id}/applications.
type NewApplication struct {
	Message string `json:"message"`
}

// CheckApplication says whether the actor may apply to take the notice at
// now: verified enterprises, on an active listing, inside its period.
func CheckApplication(a *Actor, n *Notice, in *NewApplication, now time.Time) error {
	in.Message = strings.TrimSpace(in.Message)
	switch {
	case a == nil || a.OrgKind != OrgEnterprise:
		return Errorf(EFORBIDDEN, "only enterprises apply to take a listing")
	case !a.OrgVerified:
		return Errorf(EFORBIDDEN, "your org must be verified before it trades")
	case n.Kind != NoticeListing:
		return Errorf(ECONFLICT, "notice %s is an agreed_price notice; only listings take applications", n.ID)
	case n.Status != NoticeActive:
		return Errorf(ECONFLICT, "notice %s is %s", n.ID, n.Status)
	case !n.InPeriod(now):
		return Errorf(ECONFLICT, "notice %s takes applications from %s to %s (Beijing dates)", n.ID, n.StartsOn, n.EndsOn)
	}
	if utf8.RuneCountInString(in.Message) > 2000 {
		return Invalid("message", "at most 2000 characters")
	}
	return nil
}

// CancelNotice checks that the seller withdraws its active notice and
// applies it.
func CancelNotice(a *Actor, n *Notice, reason string, now time.Time) error {
	switch {
	case a == nil || a.OrgID != n.SellerOrgID:
		return Errorf(EFORBIDDEN, "only the seller withdraws its notice")
	case n.Status != NoticeActive:
		return Errorf(ECONFLICT, "notice %s is %s", n.ID, n.Status)
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return Invalid("reason", "at most 500 characters")
	}
	n.Status, n.CancelReason, n.CancelledAt, n.UpdatedAt = NoticeCancelled, reason, &now, now
	return nil
}

// NoticeFilter narrows GET /notices.
type NoticeFilter struct {
	Status        string
	Kind          string
	AchievementID string
	Page          PageRequest
}

// Validate checks the filter's codes.
func (f NoticeFilter) Validate() error {
	var p Problems
	if f.Status != "" && !HasCode(NoticeStatuses, f.Status) {
		p.Add("status", "must be active, completed or cancelled")
	}
	if f.Kind != "" && !HasCode(NoticeKinds, f.Kind) {
		p.Add("kind", "must be agreed_price or listing")
	}
	return p.Err()
}

// NoticeService runs notices, their objections and applications. Every
// method reads the actor from the context.
type NoticeService interface {
	CreateNotice(ctx context.Context, n NewNotice) (*Notice, error)
	FindNotice(ctx context.Context, id string) (*Notice, error)
	ListNotices(ctx context.Context, f NoticeFilter) (Page[Notice], error)
	CancelNotice(ctx context.Context, id, reason string) (*Notice, error)
	Object(ctx context.Context, noticeID string, in NewObjection) (*Objection, error)
	ListObjections(ctx context.Context, noticeID string, pr PageRequest) (Page[Objection], error)
	ResolveObjection(ctx context.Context, noticeID, objectionID string, r Resolution) (*Objection, error)
	Apply(ctx context.Context, noticeID string, in NewApplication) (*Application, error)
	ListApplications(ctx context.Context, noticeID string, pr PageRequest) (Page[Application], error)
	// EndDue ends the period of every active notice whose period is over
	// (see EndPeriod); it returns how many it ended.
	EndDue(ctx context.Context) (int, error)
}

// PriceOutcome is what a completed notice or a closed auction binds a
// deal that follows it to.
type PriceOutcome struct {
	Field         string // notice_id or auction_id
	ID            string
	Done          bool   // the notice completed, or the auction sold
	State         string // its status, for the message
	SellerOrgID   string
	AchievementID string
	// BuyerOrgID is the noticed buyer, the listing's one applicant, or
	// the auction's winner; empty when there is none.
	BuyerOrgID string
	// MinFen is the noticed price or the hammer price.
	MinFen int64
	// Successor names the auction a listing became, when it did.
	Successor string
}

// FollowPrice checks a deal against the notice or auction it follows and
// fills the seller and achievement it leaves out: the buyer must be the
// noticed buyer or the winner and the contract amount at least the
// noticed or hammer price, else 422.
func (t *Transaction) FollowPrice(o PriceOutcome) error {
	switch {
	case o.Successor != "":
		return Invalid(o.Field, "notice %s ended in auction %s: name auction_id instead", o.ID, o.Successor)
	case !o.Done:
		return Invalid(o.Field, "%s is %s; a deal follows a completed notice or a sold auction", o.ID, o.State)
	case o.BuyerOrgID == "":
		return Invalid(o.Field, "%s completed with no buyer", o.ID)
	}
	if t.SellerOrgID == "" {
		t.SellerOrgID = o.SellerOrgID
	}
	if t.AchievementID == "" {
		t.AchievementID = o.AchievementID
	}
	var p Problems
	if t.BuyerOrgID != o.BuyerOrgID {
		p.Add("buyer_org_id", "must be %s, the buyer that %s %s names", o.BuyerOrgID, o.Field, o.ID)
	}
	if t.SellerOrgID != o.SellerOrgID {
		p.Add("seller_org_id", "must be %s, the seller of %s", o.SellerOrgID, o.ID)
	}
	if t.AchievementID != o.AchievementID {
		p.Add("achievement_id", "must be %s, the achievement of %s", o.AchievementID, o.ID)
	}
	if t.ContractAmountFen < o.MinFen {
		p.Add("contract_amount_fen", "must be at least %d fen, the price of %s", o.MinFen, o.ID)
	}
	return p.Err()
}
