package market

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ItemKind tells demands from achievements. They share one lifecycle and
// one storage table; their JSON differs.
type ItemKind string

// The two kinds of listed item.
const (
	KindDemand      ItemKind = "demand"
	KindAchievement ItemKind = "achievement"
)

// Item lifecycle states.
const (
	StatusDraft         = "draft"
	StatusPendingReview = "pending_review"
	StatusPublished     = "published"
	StatusRejected      = "rejected"
	StatusClosed        = "closed"
)

// ItemStatuses lists every state, for validating filters.
var ItemStatuses = []string{StatusDraft, StatusPendingReview, StatusPublished, StatusRejected, StatusClosed}

// Contact is who to call about an item. It is shown only to verified orgs.
type Contact struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Item is a technology demand (技术需求) or an achievement (科技成果).
type Item struct {
	ID              string
	Kind            ItemKind
	OrgID           string
	OrgName         string
	Status          string
	Title           string
	Body            string // demand description, achievement summary
	Industry        string
	Keywords        []string
	Modes           []string // cooperation_modes, transfer_modes
	RegionCode      string
	Contact         *Contact // nil when hidden from the viewer
	BudgetMinFen    int64    // demand
	BudgetMaxFen    int64    // demand
	Deadline        string   // demand, YYYY-MM-DD or ""
	Maturity        string   // achievement
	AskingPriceFen  int64    // achievement, 0 = negotiable
	PatentNumbers   []string // achievement
	Inventors       []string // achievement
	RejectionReason string
	SubmittedAt     *time.Time
	PublishedAt     *time.Time
	ClosedAt        *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

type itemCommon struct {
	ID              string     `json:"id"`
	OrgID           string     `json:"org_id"`
	OrgName         string     `json:"org_name,omitempty"`
	Status          string     `json:"status"`
	Title           string     `json:"title"`
	Industry        string     `json:"industry"`
	Keywords        []string   `json:"keywords"`
	RegionCode      string     `json:"region_code"`
	Contact         *Contact   `json:"contact,omitempty"`
	RejectionReason string     `json:"rejection_reason,omitempty"`
	SubmittedAt     *time.Time `json:"submitted_at,omitempty"`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

type demandJSON struct {
	itemCommon
	Description      string   `json:"description"`
	CooperationModes []string `json:"cooperation_modes"`
	BudgetMinFen     int64    `json:"budget_min_fen"`
	BudgetMaxFen     int64    `json:"budget_max_fen"`
	Deadline         string   `json:"deadline,omitempty"`
}

type achievementJSON struct {
	itemCommon
	Summary        string   `json:"summary"`
	Maturity       string   `json:"maturity"`
	TransferModes  []string `json:"transfer_modes"`
	AskingPriceFen int64    `json:"asking_price_fen"`
	PatentNumbers  []string `json:"patent_numbers"`
	Inventors      []string `json:"inventors"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MarshalJSON writes the field names of the item's kind (SPEC: Demand,
// Achievement).
func (it Item) MarshalJSON() ([]byte, error) {
	c := itemCommon{
		ID: it.ID, OrgID: it.OrgID, OrgName: it.OrgName, Status: it.Status, Title: it.Title,
		Industry: it.Industry, Keywords: nonNil(it.Keywords), RegionCode: it.RegionCode,
		Contact: it.Contact, RejectionReason: it.RejectionReason, SubmittedAt: it.SubmittedAt,
		PublishedAt: it.PublishedAt, ClosedAt: it.ClosedAt, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
	}
	if it.Kind == KindDemand {
		return json.Marshal(demandJSON{c, it.Body, nonNil(it.Modes), it.BudgetMinFen, it.BudgetMaxFen, it.Deadline})
	}
	return json.Marshal(achievementJSON{c, it.Body, it.Maturity, nonNil(it.Modes), it.AskingPriceFen,
		nonNil(it.PatentNumbers), nonNil(it.Inventors)})
}

// DemandInput is the body of POST and PATCH /demands. Absent fields are
// left unchanged on PATCH.
type DemandInput struct {
	Title            *string   `json:"title"`
	Description      *string   `json:"description"`
	Industry         *string   `json:"industry"`
	Keywords         *[]string `json:"keywords"`
	CooperationModes *[]string `json:"cooperation_modes"`
	BudgetMinFen     *int64    `json:"budget_min_fen"`
	BudgetMaxFen     *int64    `json:"budget_max_fen"`
	Deadline         *string   `json:"deadline"`
	RegionCode       *string   `json:"region_code"`
	Contact          *Contact  `json:"contact"`
}

// AchievementInput is the body of POST and PATCH /achievements.
type AchievementInput struct {
	Title          *string   `json:"title"`
	Summary        *string   `json:"summary"`
	Industry       *string   `json:"industry"`
	Keywords       *[]string `json:"keywords"`
	Maturity       *string   `json:"maturity"`
	TransferModes  *[]string `json:"transfer_modes"`
	AskingPriceFen *int64    `json:"asking_price_fen"`
	PatentNumbers  *[]string `json:"patent_numbers"`
	Inventors      *[]string `json:"inventors"`
	RegionCode     *string   `json:"region_code"`
	Contact        *Contact  `json:"contact"`
}

// ItemPatch is either input, applied to an item.
type ItemPatch interface{ apply(*Item) }

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (in DemandInput) apply(it *Item) {
	set(&it.Title, in.Title)
	set(&it.Body, in.Description)
	set(&it.Industry, in.Industry)
	set(&it.Keywords, in.Keywords)
	set(&it.Modes, in.CooperationModes)
	set(&it.BudgetMinFen, in.BudgetMinFen)
	set(&it.BudgetMaxFen, in.BudgetMaxFen)
	set(&it.Deadline, in.Deadline)
	set(&it.RegionCode, in.RegionCode)
	if in.Contact != nil {
		c := *in.Contact
		it.Contact = &c
	}
}

func (in AchievementInput) apply(it *Item) {
	set(&it.Title, in.Title)
	set(&it.Body, in.Summary)
	set(&it.Industry, in.Industry)
	set(&it.Keywords, in.Keywords)
	set(&it.Maturity, in.Maturity)
	set(&it.Modes, in.TransferModes)
	set(&it.AskingPriceFen, in.AskingPriceFen)
	set(&it.PatentNumbers, in.PatentNumbers)
	set(&it.Inventors, in.Inventors)
	set(&it.RegionCode, in.RegionCode)
	if in.Contact != nil {
		c := *in.Contact
		it.Contact = &c
	}
}

// Apply applies a patch to the item and normalises text fields.
func (it *Item) Apply(p ItemPatch) {
	p.apply(it)
	it.Title = strings.TrimSpace(it.Title)
	it.Body = strings.TrimSpace(it.Body)
	it.Keywords = cleanList(it.Keywords)
	it.Modes = cleanList(it.Modes)
	it.PatentNumbers = cleanList(it.PatentNumbers)
	it.Inventors = cleanList(it.Inventors)
	if it.Contact != nil {
		it.Contact.Name = strings.TrimSpace(it.Contact.Name)
		it.Contact.Phone = strings.TrimSpace(it.Contact.Phone)
	}
}

// cleanList trims entries and drops blanks and duplicates, keeping order.
func cleanList(in []string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// Validate checks a new item, or one entering review, as it would be
// stored: every field, and a deadline that does not lie in the past on
// today's date in Beijing (now in ChinaTime).
func (it *Item) Validate(now time.Time) error { return it.validate(now, true) }

// ValidateEdit checks an item after an edit of prev. Its deadline must not
// lie in the past only when the edit sets or changes it: a published
// demand whose deadline has passed keeps it and may still be edited.
func (it *Item) ValidateEdit(prev *Item, now time.Time) error {
	return it.validate(now, prev == nil || it.Deadline != prev.Deadline)
}

// Today is the calendar date in Beijing at now, YYYY-MM-DD: the date that
// item deadlines are measured against, as statistics years are.
func Today(now time.Time) string { return now.In(ChinaTime).Format(time.DateOnly) }

func (it *Item) validate(now time.Time, checkDeadline bool) error {
	var p Problems
	body := "summary"
	modes := "transfer_modes"
	if it.Kind == KindDemand {
		body, modes = "description", "cooperation_modes"
	}
	if n := utf8.RuneCountInString(it.Title); n < 2 || n > 100 {
		p.Add("title", "is required, 2 to 100 characters")
	}
	if n := utf8.RuneCountInString(it.Body); n < 10 || n > 5000 {
		p.Add(body, "is required, 10 to 5000 characters")
	}
	if !HasCode(Industries, it.Industry) {
		p.Add("industry", "must be one of the industry codes of GET /meta")
	}
	if len(it.Keywords) > 10 {
		p.Add("keywords", "at most 10 keywords")
	}
	for i, k := range it.Keywords {
		if utf8.RuneCountInString(k) > 20 {
			p.Add(fieldIndex("keywords", i), "at most 20 characters")
		}
	}
	if len(it.Modes) == 0 {
		p.Add(modes, "name at least one mode")
	}
	for i, m := range it.Modes {
		if !HasCode(Modes, m) {
			p.Add(fieldIndex(modes, i), "must be one of transfer, license, equity, joint_development, service")
		}
	}
	if !ValidRegionCode(it.RegionCode) {
		p.Add("region_code", "must be a 6-digit administrative division code")
	}
	if it.Contact != nil {
		if it.Contact.Name == "" || utf8.RuneCountInString(it.Contact.Name) > 50 {
			p.Add("contact.name", "is required, at most 50 characters")
		}
		if !validPhone(it.Contact.Phone) {
			p.Add("contact.phone", "must be a phone number: digits, optionally with + and -")
		}
	}
	if it.Kind == KindDemand {
		if it.BudgetMinFen < 0 {
			p.Add("budget_min_fen", "must not be negative")
		}
		if it.BudgetMaxFen < 0 {
			p.Add("budget_max_fen", "must not be negative")
		} else if it.BudgetMaxFen < it.BudgetMinFen {
			p.Add("budget_max_fen", "must not be below budget_min_fen")
		}
		if it.Deadline != "" {
			// Dates in YYYY-MM-DD order as their text does.
			_, err := time.Parse(time.DateOnly, it.Deadline)
			switch {
			case err != nil:
				p.Add("deadline", "must be a date YYYY-MM-DD")
			case checkDeadline && it.Deadline < Today(now):
				p.Add("deadline", "must not lie in the past (today in Beijing is %s)", Today(now))
			}
		}
	} else {
		if !HasCode(Maturities, it.Maturity) {
			p.Add("maturity", "must be one of lab, small_trial, pilot, industrialized")
		}
		if it.AskingPriceFen < 0 {
			p.Add("asking_price_fen", "must not be negative (0 means negotiable)")
		}
		if len(it.PatentNumbers) > 20 {
			p.Add("patent_numbers", "at most 20 patents")
		}
		for i, s := range it.PatentNumbers {
			if utf8.RuneCountInString(s) > 30 {
				p.Add(fieldIndex("patent_numbers", i), "at most 30 characters")
			}
		}
		if len(it.Inventors) > 20 {
			p.Add("inventors", "at most 20 inventors")
		}
		for i, s := range it.Inventors {
			if utf8.RuneCountInString(s) > 50 {
				p.Add(fieldIndex("inventors", i), "at most 50 characters")
			}
		}
	}
	return p.Err()
}

func fieldIndex(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

// Item actions, named as their routes.
const (
	ActionSubmit  = "submit"
	ActionApprove = "approve"
	ActionReject  = "reject"
	ActionClose   = "close"
	ActionEdit    = "edit"
)

// itemTransitions is the one lifecycle table of demands and achievements:
// action → from states → to state. Editing keeps the state.
var itemTransitions = map[string]map[string]string{
	ActionSubmit:  {StatusDraft: StatusPendingReview, StatusRejected: StatusPendingReview},
	ActionApprove: {StatusPendingReview: StatusPublished},
	ActionReject:  {StatusPendingReview: StatusRejected},
	ActionClose: {StatusDraft: StatusClosed, StatusPendingReview: StatusClosed,
		StatusRejected: StatusClosed, StatusPublished: StatusClosed},
	ActionEdit: {StatusDraft: StatusDraft, StatusRejected: StatusRejected, StatusPublished: StatusPublished},
}

// ItemTransition returns the state an action moves an item to, or a
// conflict naming the current state.
func ItemTransition(from, action string) (string, error) {
	to, ok := itemTransitions[action][from]
	if !ok {
		return "", Conflict("cannot %s an item that is %s", action, from)
	}
	return to, nil
}

// CanCreateItem says whether the actor's org may list items of kind:
// enterprises post demands; universities, institutes and enterprises list
// achievements.
func CanCreateItem(a *Actor, kind ItemKind) error {
	if a == nil || a.OrgID == "" {
		return Errorf(EFORBIDDEN, "only members of an org may create %ss", kind)
	}
	switch {
	case kind == KindDemand && a.OrgKind == OrgEnterprise:
		return nil
	case kind == KindAchievement && (a.OrgKind == OrgUniversity || a.OrgKind == OrgInstitute || a.OrgKind == OrgEnterprise):
		return nil
	}
	return Errorf(EFORBIDDEN, "a %s org may not create %ss", a.OrgKind, kind)
}

// CanChangeItem says whether the actor may edit, submit or close the item:
// members of the owning org may.
func CanChangeItem(a *Actor, it *Item) error {
	if a != nil && a.OrgID != "" && a.OrgID == it.OrgID {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the owning org may change this %s", it.Kind)
}

// CanSubmitItem says whether the actor may send the item to review: its
// owning org, once verified (only verified orgs publish).
func CanSubmitItem(a *Actor, it *Item) error {
	if err := CanChangeItem(a, it); err != nil {
		return err
	}
	if !a.OrgVerified {
		return Errorf(EFORBIDDEN, "your org must be verified before it publishes")
	}
	return nil
}

// CanCloseItem says whether the actor may close the item: its owning org,
// or anyone who may review items.
func CanCloseItem(a *Actor, it *Item) error {
	if CanReviewItems(a) == nil {
		return nil
	}
	return CanChangeItem(a, it)
}

// CanSeeMatches says whether the actor may ask for an item's matches: its
// owning org and whoever may review items.
func CanSeeMatches(a *Actor, it *Item) error {
	if CanReviewItems(a) != nil && CanChangeItem(a, it) != nil {
		return Errorf(EFORBIDDEN, "only the owner and market operators see matches")
	}
	return nil
}

// CanReviewItems says whether the actor may approve or reject items: any
// verified market operator (items are not bound to a market) or a platform
// admin.
func CanReviewItems(a *Actor) error {
	if a != nil && (a.PlatformAdmin || (a.IsOperator() && a.OrgVerified)) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only a verified market operator may review items")
}

// CanSeeAllItems reports whether the actor sees other orgs' items in every
// state but draft: operators, the bureau and platform admins. A draft is
// its owner's work in progress until it is submitted for review.
func CanSeeAllItems(a *Actor) bool {
	return a != nil && (a.PlatformAdmin || a.IsOperator() || a.IsGovernment())
}

// CanSeeItem says whether an item is visible to the actor at all: a
// published item to everyone, any item to its owning org, and one from
// pending_review on (not a draft) to operators, the bureau and admins.
func CanSeeItem(a *Actor, it *Item) bool {
	return it.Status == StatusPublished || (a != nil && a.OrgID != "" && a.OrgID == it.OrgID) ||
		(CanSeeAllItems(a) && it.Status != StatusDraft)
}

// CanSeeContact says whether contact details are shown: to verified orgs,
// the owner and platform admins.
func CanSeeContact(a *Actor, it *Item) bool {
	return a != nil && (a.PlatformAdmin || a.IsVerifiedOrg() || a.OrgID == it.OrgID)
}

// Review is the body of POST /{items}/{id}/review.
type Review struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// Validate checks the decision and that a rejection says why.
func (r *Review) Validate() error {
	r.Reason = strings.TrimSpace(r.Reason)
	var p Problems
	switch r.Decision {
	case "approve":
	case "reject":
		if r.Reason == "" {
			p.Add("reason", "is required when rejecting")
		}
	default:
		p.Add("decision", "must be approve or reject")
	}
	if utf8.RuneCountInString(r.Reason) > 500 {
		p.Add("reason", "at most 500 characters")
	}
	return p.Err()
}

// ItemFilter narrows a list of items.
type ItemFilter struct {
	Kind       ItemKind
	Industry   string
	Status     string
	OrgID      string
	RegionCode string
	Page       PageRequest
}

// Validate checks the filter's codes. The list handler calls it before
// the read cache, so a bad filter never reaches a cache key or the store.
func (f ItemFilter) Validate() error {
	var p Problems
	if f.Industry != "" && !HasCode(Industries, f.Industry) {
		p.Add("industry", "must be an industry code of GET /meta")
	}
	if f.Status != "" && !slices.Contains(ItemStatuses, f.Status) {
		p.Add("status", "must be one of draft, pending_review, published, rejected, closed")
	}
	if f.RegionCode != "" && !ValidRegionCode(f.RegionCode) {
		p.Add("region_code", "must be a 6-digit administrative division code")
	}
	return p.Err()
}

// ItemService manages demands and achievements. Every method reads the
// actor from the context.
type ItemService interface {
	CreateItem(ctx context.Context, kind ItemKind, in ItemPatch) (*Item, error)
	UpdateItem(ctx context.Context, kind ItemKind, id string, in ItemPatch) (*Item, error)
	FindItem(ctx context.Context, kind ItemKind, id string) (*Item, error)
	ListItems(ctx context.Context, f ItemFilter) (Page[Item], error)
	SubmitItem(ctx context.Context, kind ItemKind, id string) (*Item, error)
	ReviewItem(ctx context.Context, kind ItemKind, id string, r Review) (*Item, error)
	CloseItem(ctx context.Context, kind ItemKind, id string) (*Item, error)
}
