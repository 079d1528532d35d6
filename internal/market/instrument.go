package market

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Instrument categories (SPEC "Instruments and testing services").
var InstrumentCategories = []Code{
	{"analysis", "分析测试"}, {"microscopy", "显微成像"}, {"spectroscopy", "光谱"},
	{"mechanical", "力学性能"}, {"environment", "环境检测"}, {"metrology", "计量校准"},
	{"processing", "加工制造"}, {"computing", "计算"}, {"other", "其他"},
}

// Instrument states.
const (
	InstrumentActive    = "active"
	InstrumentSuspended = "suspended"
)

// InstrumentStatuses are the instrument states with their labels.
var InstrumentStatuses = []Code{{InstrumentActive, "开放共享"}, {InstrumentSuspended, "暂停共享"}}

// Booking rules fixed by the SPEC.
const (
	// BookingHorizon is how far ahead a booking may start.
	BookingHorizon = 90 * 24 * time.Hour
	// MaxBookingLength bounds a booking: it lies inside the open hours of
	// one Beijing day.
	MaxBookingLength = 24 * time.Hour
	// BusyWindow is how far ahead GET /instruments/{id} shows busy slots.
	BusyWindow = 30 * 24 * time.Hour
	// MaxFeePerHourFen bounds an hourly fee (ten million yuan), so a fee
	// of a whole day's use stays far inside int64.
	MaxFeePerHourFen = 1_000_000_000
)

// OpenHours is one window of a weekday in Beijing time: Weekday is ISO
// (Monday 1 … Sunday 7), From and To are "HH:MM", To may be "24:00".
type OpenHours struct {
	Weekday int    `json:"weekday"`
	From    string `json:"from"`
	To      string `json:"to"`
}

// Slot is a span of time [StartsAt, EndsAt).
type Slot struct {
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
}

// Instrument is a shared research instrument (大型科研仪器).
type Instrument struct {
	ID                string      `json:"id"`
	OrgID             string      `json:"org_id"`
	Name              string      `json:"name"`
	Model             string      `json:"model"`
	Category          string      `json:"category"`
	Description       string      `json:"description"`
	RegionCode        string      `json:"region_code"`
	Location          string      `json:"location"`
	FeePerHourFen     int64       `json:"fee_per_hour_fen"`
	MinBookingMinutes int         `json:"min_booking_minutes"`
	OpenHours         []OpenHours `json:"open_hours"`
	Status            string      `json:"status"`
	// RatingAvg is the mean of the bookers' ratings, to two decimals; nil
	// before the first review. BookingCount counts completed bookings.
	RatingAvg    *float64 `json:"rating_avg"`
	RatingCount  int64    `json:"rating_count"`
	RatingSum    int64    `json:"-"`
	BookingCount int64    `json:"booking_count"`
	// Busy is filled by GET /instruments/{id}: the requested and confirmed
	// slots of the next 30 days.
	Busy      []Slot    `json:"busy,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SetRating fills RatingAvg from the sum and count.
func (in *Instrument) SetRating() {
	in.RatingAvg = nil
	if in.RatingCount > 0 {
		// Half-up to two decimals, in integers: sum×100/count.
		c := (in.RatingSum*200 + in.RatingCount) / (2 * in.RatingCount)
		v := float64(c) / 100
		in.RatingAvg = &v
	}
}

// InstrumentInput is the body of POST /instruments and PATCH
// /instruments/{id}; absent fields are left as they are on PATCH.
type InstrumentInput struct {
	Name              *string      `json:"name"`
	Model             *string      `json:"model"`
	Category          *string      `json:"category"`
	Description       *string      `json:"description"`
	RegionCode        *string      `json:"region_code"`
	Location          *string      `json:"location"`
	FeePerHourFen     *int64       `json:"fee_per_hour_fen"`
	MinBookingMinutes *int         `json:"min_booking_minutes"`
	OpenHours         *[]OpenHours `json:"open_hours"`
	Status            *string      `json:"status"`
}

// OnlyStatus reports whether the input changes nothing but the status.
func (in *InstrumentInput) OnlyStatus() bool {
	return in.Name == nil && in.Model == nil && in.Category == nil && in.Description == nil && in.RegionCode == nil &&
		in.Location == nil && in.FeePerHourFen == nil && in.MinBookingMinutes == nil && in.OpenHours == nil
}

// Apply copies the fields present onto in and validates the result.
func (in *InstrumentInput) Apply(x *Instrument) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&x.Name, in.Name)
	set(&x.Model, in.Model)
	set(&x.Category, in.Category)
	set(&x.Description, in.Description)
	set(&x.RegionCode, in.RegionCode)
	set(&x.Location, in.Location)
	set(&x.Status, in.Status)
	if in.FeePerHourFen != nil {
		x.FeePerHourFen = *in.FeePerHourFen
	}
	if in.MinBookingMinutes != nil {
		x.MinBookingMinutes = *in.MinBookingMinutes
	}
	if in.OpenHours != nil {
		x.OpenHours = append([]OpenHours{}, *in.OpenHours...)
	}
	return x.Validate()
}

// Validate checks every field and reports them all.
func (x *Instrument) Validate() error {
	var p Problems
	textLen(&p, "name", x.Name, 2, 200)
	textLen(&p, "model", x.Model, 0, 200)
	textLen(&p, "description", x.Description, 0, 5000)
	textLen(&p, "location", x.Location, 0, 500)
	if !HasCode(InstrumentCategories, x.Category) {
		p.Add("category", "must be an instrument category of GET /meta")
	}
	if !ValidRegionCode(x.RegionCode) {
		p.Add("region_code", "must be a 6-digit administrative division code")
	}
	if x.FeePerHourFen < 0 || x.FeePerHourFen > MaxFeePerHourFen {
		p.Add("fee_per_hour_fen", "must be from 0 to %d fen", int64(MaxFeePerHourFen))
	}
	if x.MinBookingMinutes < 1 || x.MinBookingMinutes > 24*60 {
		p.Add("min_booking_minutes", "must be from 1 to 1440")
	}
	if !HasCode(InstrumentStatuses, x.Status) {
		p.Add("status", "must be active or suspended")
	}
	validateOpenHours(&p, x.OpenHours)
	return p.Err()
}

func textLen(p *Problems, field, s string, lo, hi int) {
	if n := utf8.RuneCountInString(s); n < lo || n > hi {
		if lo > 0 {
			p.Add(field, "is required, %d to %d characters", lo, hi)
		} else {
			p.Add(field, "at most %d characters", hi)
		}
	}
}

// clockMinutes parses "HH:MM" (00:00 to 24:00) into minutes after midnight.
func clockMinutes(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	var h, m int
	if _, err := fmt.Sscanf(s, "%2d:%2d", &h, &m); err != nil {
		return 0, false
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func validateOpenHours(p *Problems, hours []OpenHours) {
	if len(hours) == 0 || len(hours) > 50 {
		p.Add("open_hours", "give 1 to 50 windows {weekday, from, to}")
		return
	}
	for i, h := range hours {
		f := fmt.Sprintf("open_hours[%d]", i)
		if h.Weekday < 1 || h.Weekday > 7 {
			p.Add(f+".weekday", "must be 1 (Monday) to 7 (Sunday), ISO 8601")
		}
		from, ok1 := clockMinutes(h.From)
		to, ok2 := clockMinutes(h.To)
		switch {
		case !ok1:
			p.Add(f+".from", "must be HH:MM")
		case !ok2:
			p.Add(f+".to", "must be HH:MM")
		case to <= from:
			p.Add(f+".to", "must be after from")
		}
		for j := range i {
			o := hours[j]
			of, _ := clockMinutes(o.From)
			ot, _ := clockMinutes(o.To)
			if ok1 && ok2 && o.Weekday == h.Weekday && from < ot && of < to {
				p.Add(f, "overlaps open_hours[%d]", j)
			}
		}
	}
}

// ISOWeekday is t's weekday numbered as ISO 8601 does: Monday 1 … Sunday 7.
func ISOWeekday(t time.Time) int {
	if wd := int(t.Weekday()); wd != 0 {
		return wd
	}
	return 7
}

// WithinOpenHours reports whether [start, end) lies inside one window of
// the open hours, read in Beijing time: both ends on the same Beijing day,
// whose ISO weekday the window names.
func WithinOpenHours(hours []OpenHours, start, end time.Time) bool {
	s := start.In(ChinaTime)
	day := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, ChinaTime)
	from, to := start.Sub(day), end.Sub(day)
	for _, h := range hours {
		hf, _ := clockMinutes(h.From)
		ht, _ := clockMinutes(h.To)
		if h.Weekday == ISOWeekday(s) && time.Duration(hf)*time.Minute <= from && to <= time.Duration(ht)*time.Minute {
			return true
		}
	}
	return false
}

// BookingFee is used_minutes / 60 × fee_per_hour_fen, rounded half-up to
// the fen, in integers.
func BookingFee(usedMinutes int, feePerHourFen int64) int64 {
	return (int64(usedMinutes)*feePerHourFen*2 + 60) / 120
}

// Booking states (SPEC: requested → confirmed → completed, or declined by
// the owner, cancelled by the booker before the start).
const (
	BookingRequested = "requested"
	BookingConfirmed = "confirmed"
	BookingCompleted = "completed"
	BookingDeclined  = "declined"
	BookingCancelled = "cancelled"
)

// BookingStatuses are the booking states with their labels.
var BookingStatuses = []Code{
	{BookingRequested, "待确认"}, {BookingConfirmed, "已确认"}, {BookingCompleted, "已完成"},
	{BookingDeclined, "已拒绝"}, {BookingCancelled, "已取消"},
}

// Booking actions.
const (
	ActionConfirmBooking  = "confirm"
	ActionDeclineBooking  = "decline"
	ActionCancelBooking   = "cancel"
	ActionCompleteBooking = "complete"
	ActionReviewBooking   = "review"
)

// bookingTransitions is the one lifecycle table of bookings: action →
// from → to.
var bookingTransitions = map[string]map[string]string{
	ActionConfirmBooking:  {BookingRequested: BookingConfirmed},
	ActionDeclineBooking:  {BookingRequested: BookingDeclined, BookingConfirmed: BookingDeclined},
	ActionCancelBooking:   {BookingRequested: BookingCancelled, BookingConfirmed: BookingCancelled},
	ActionCompleteBooking: {BookingConfirmed: BookingCompleted},
}

// BookingTransition returns the state an action moves a booking to, or a
// conflict naming the current state.
func BookingTransition(from, action string) (string, error) {
	to, ok := bookingTransitions[action][from]
	if !ok {
		return "", Errorf(ECONFLICT, "cannot %s a booking that is %s", action, from)
	}
	return to, nil
}

// BookingHolds reports whether a booking in this state holds its slot:
// two holding bookings of one instrument never overlap.
func BookingHolds(status string) bool {
	return status == BookingRequested || status == BookingConfirmed
}

// Booking is one org's reservation of an instrument.
type Booking struct {
	ID            string     `json:"id"`
	InstrumentID  string     `json:"instrument_id"`
	OwnerOrgID    string     `json:"owner_org_id"`
	BookerOrgID   string     `json:"booker_org_id"`
	StartsAt      time.Time  `json:"starts_at"`
	EndsAt        time.Time  `json:"ends_at"`
	Purpose       string     `json:"purpose"`
	Samples       string     `json:"samples"`
	Status        string     `json:"status"`
	UsedMinutes   *int       `json:"used_minutes,omitempty"`
	FeeFen        *int64     `json:"fee_fen,omitempty"`
	DeclineReason string     `json:"decline_reason,omitempty"`
	Rating        *int       `json:"rating,omitempty"`
	Comment       string     `json:"comment,omitempty"`
	ConfirmedAt   *time.Time `json:"confirmed_at,omitempty"`
	CompletedAt   *time.Time `json:"completed_at,omitempty"`
	CancelledAt   *time.Time `json:"cancelled_at,omitempty"`
	ReviewedAt    *time.Time `json:"reviewed_at,omitempty"`
	CreatedByUser string     `json:"created_by_user_id"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// IsParty reports whether org is the booker or the instrument's owner.
func (b *Booking) IsParty(org string) bool {
	return org != "" && (org == b.BookerOrgID || org == b.OwnerOrgID)
}

// NewBooking is the body of POST /instruments/{id}/bookings.
type NewBooking struct {
	StartsAt string `json:"starts_at"`
	EndsAt   string `json:"ends_at"`
	Purpose  string `json:"purpose"`
	Samples  string `json:"samples"`
}

// Booking checks the request against the instrument's rules at now: the
// times parse, the end follows the start, the slot is at least the
// minimum, starts in the future and at most 90 days ahead, and lies inside
// the open hours in Beijing time. Every problem is reported.
func (n *NewBooking) Booking(x *Instrument, now time.Time) (*Booking, error) {
	var p Problems
	n.Purpose, n.Samples = strings.TrimSpace(n.Purpose), strings.TrimSpace(n.Samples)
	textLen(&p, "purpose", n.Purpose, 1, 2000)
	textLen(&p, "samples", n.Samples, 0, 2000)
	start, err1 := time.Parse(time.RFC3339, strings.TrimSpace(n.StartsAt))
	end, err2 := time.Parse(time.RFC3339, strings.TrimSpace(n.EndsAt))
	if err1 != nil {
		p.Add("starts_at", "must be an RFC 3339 instant")
	}
	if err2 != nil {
		p.Add("ends_at", "must be an RFC 3339 instant")
	}
	if err1 != nil || err2 != nil {
		return nil, p.Err()
	}
	start, end = start.UTC().Truncate(time.Second), end.UTC().Truncate(time.Second)
	switch {
	case !end.After(start):
		p.Add("ends_at", "must be after starts_at")
	case end.Sub(start) < time.Duration(x.MinBookingMinutes)*time.Minute:
		p.Add("ends_at", "the booking is shorter than the instrument's minimum of %d minutes", x.MinBookingMinutes)
	case !WithinOpenHours(x.OpenHours, start, end):
		p.Add("starts_at", "the slot %s to %s (Beijing time) is outside the instrument's open hours",
			start.In(ChinaTime).Format("Mon 2006-01-02 15:04"), end.In(ChinaTime).Format("15:04"))
	}
	if !start.After(now) {
		p.Add("starts_at", "must be in the future")
	} else if start.Sub(now) > BookingHorizon {
		p.Add("starts_at", "must be at most 90 days ahead")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return &Booking{InstrumentID: x.ID, OwnerOrgID: x.OrgID, StartsAt: start, EndsAt: end, Purpose: n.Purpose,
		Samples: n.Samples, Status: BookingRequested, CreatedAt: now, UpdatedAt: now}, nil
}

// Completion is the body of POST /bookings/{id}/complete.
type Completion struct {
	UsedMinutes *int `json:"used_minutes"`
}

// Complete completes a confirmed booking with the minutes used and its fee.
// The minutes run from 0 to the booked length: the owner records what was
// used, never more than was booked.
func (b *Booking) Complete(c Completion, feePerHourFen int64, now time.Time) error {
	booked := int(b.EndsAt.Sub(b.StartsAt) / time.Minute)
	if c.UsedMinutes == nil || *c.UsedMinutes < 0 || *c.UsedMinutes > booked {
		return Invalid("used_minutes", "is required: the minutes used, 0 to the %d booked", booked)
	}
	to, err := BookingTransition(b.Status, ActionCompleteBooking)
	if err != nil {
		return err
	}
	used, fee := *c.UsedMinutes, BookingFee(*c.UsedMinutes, feePerHourFen)
	b.Status, b.UsedMinutes, b.FeeFen, b.CompletedAt, b.UpdatedAt = to, &used, &fee, &now, now
	return nil
}

// Cancel is the booker's withdrawal, before the slot starts.
func (b *Booking) Cancel(now time.Time) error {
	to, err := BookingTransition(b.Status, ActionCancelBooking)
	if err != nil {
		return err
	}
	if !now.Before(b.StartsAt) {
		return Errorf(ECONFLICT, "booking %s started at %s; a booking is cancelled before its start", b.ID, b.StartsAt.Format(time.RFC3339))
	}
	b.Status, b.CancelledAt, b.UpdatedAt = to, &now, now
	return nil
}

// BookingReview is the body of POST /bookings/{id}/review.
type BookingReview struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

// Review records the booker's rating of a completed booking, once.
func (b *Booking) Review(r BookingReview, now time.Time) error {
	var p Problems
	r.Comment = strings.TrimSpace(r.Comment)
	if r.Rating < 1 || r.Rating > 5 {
		p.Add("rating", "must be 1 to 5")
	}
	textLen(&p, "comment", r.Comment, 0, 2000)
	if err := p.Err(); err != nil {
		return err
	}
	switch {
	case b.Status != BookingCompleted:
		return Errorf(ECONFLICT, "booking %s is %s; it is reviewed once completed", b.ID, b.Status)
	case b.Rating != nil:
		return Errorf(ECONFLICT, "booking %s is already reviewed", b.ID)
	}
	rating := r.Rating
	b.Rating, b.Comment, b.ReviewedAt, b.UpdatedAt = &rating, r.Comment, &now, now
	return nil
}

// Who does what with instruments and bookings:
//
//   - instruments are public; verified enterprises, universities and
//     institutes list their own; the owner changes one, an operator may
//     suspend or reactivate any;
//   - any verified enterprise, university or institute but the owner books
//     an active instrument;
//   - a booking exists for its booker and the instrument's owner only
//     (others: 404); the owner confirms, declines and completes, the booker
//     cancels and reviews.

// CanCreateInstrument says whether the actor may list an instrument.
func CanCreateInstrument(a *Actor) error {
	if a == nil || a.OrgID == "" || !isTradingKind(a.OrgKind) {
		return Errorf(EFORBIDDEN, "instruments are listed by enterprises, universities and institutes")
	}
	if !a.OrgVerified {
		return Errorf(EFORBIDDEN, "your org must be verified before it lists instruments")
	}
	return nil
}

// CanChangeInstrument says whether the actor may make the change: the
// owner any, a verified operator the status only.
func CanChangeInstrument(a *Actor, x *Instrument, in *InstrumentInput) error {
	switch {
	case a != nil && a.OrgID != "" && a.OrgID == x.OrgID:
		return nil
	case a.IsOperator() && a.OrgVerified && in.OnlyStatus():
		return nil
	case a.IsOperator() && a.OrgVerified:
		return Errorf(EFORBIDDEN, "an operator changes an instrument's status only")
	}
	return Errorf(EFORBIDDEN, "only the instrument's owner changes it")
}

// CanBook says whether the actor may book the instrument.
func CanBook(a *Actor, x *Instrument) error {
	switch {
	case a == nil || a.OrgID == "" || !isTradingKind(a.OrgKind):
		return Errorf(EFORBIDDEN, "instruments are booked by enterprises, universities and institutes")
	case !a.OrgVerified:
		return Errorf(EFORBIDDEN, "your org must be verified before it books instruments")
	case a.OrgID == x.OrgID:
		return Errorf(EFORBIDDEN, "an org does not book its own instrument")
	case x.Status != InstrumentActive:
		return Errorf(ECONFLICT, "instrument %s is %s and takes no bookings", x.ID, x.Status)
	}
	return nil
}

// CanSeeBooking reports whether the booking exists for the actor.
func CanSeeBooking(a *Actor, b *Booking) bool { return a != nil && b.IsParty(a.OrgID) }

// BookingOwnerOnly allows the instrument's owner.
func BookingOwnerOnly(a *Actor, b *Booking) error {
	if a.OrgID != b.OwnerOrgID {
		return Errorf(EFORBIDDEN, "only the instrument's owner does this")
	}
	return nil
}

// BookingBookerOnly allows the booker.
func BookingBookerOnly(a *Actor, b *Booking) error {
	if a.OrgID != b.BookerOrgID {
		return Errorf(EFORBIDDEN, "only the booker does this")
	}
	return nil
}

// InstrumentFilter narrows GET /instruments.
type InstrumentFilter struct {
	Category, RegionCode, OrgID, Status, Q string
	Page                                   PageRequest
}

// Validate checks the filter values.
func (f *InstrumentFilter) Validate() error {
	var p Problems
	f.Q = strings.TrimSpace(f.Q)
	if f.Category != "" && !HasCode(InstrumentCategories, f.Category) {
		p.Add("category", "must be an instrument category of GET /meta")
	}
	if f.RegionCode != "" && !ValidRegionCode(f.RegionCode) {
		p.Add("region_code", "must be a 6-digit administrative division code")
	}
	if f.Status != "" && !HasCode(InstrumentStatuses, f.Status) {
		p.Add("status", "must be active or suspended")
	}
	if len(f.OrgID) > 26 {
		p.Add("org_id", "is not an id")
	}
	if utf8.RuneCountInString(f.Q) > 100 {
		p.Add("q", "at most 100 characters")
	}
	return p.Err()
}

// BookingFilter narrows GET /bookings: the caller's own, as booker or
// owner.
type BookingFilter struct {
	Role         string // "booker", "owner" or "" for both
	Status       string
	InstrumentID string
	Page         PageRequest
}

// Validate checks the filter values.
func (f *BookingFilter) Validate() error {
	var p Problems
	if f.Role != "" && f.Role != "booker" && f.Role != "owner" {
		p.Add("role", "must be booker or owner")
	}
	if f.Status != "" && !HasCode(BookingStatuses, f.Status) {
		p.Add("status", "must be a booking status of GET /meta")
	}
	if len(f.InstrumentID) > 26 {
		p.Add("instrument_id", "is not an id")
	}
	return p.Err()
}

// InstrumentService lists instruments and takes their bookings.
type InstrumentService interface {
	CreateInstrument(ctx context.Context, in InstrumentInput) (*Instrument, error)
	UpdateInstrument(ctx context.Context, id string, in InstrumentInput) (*Instrument, error)
	// FindInstrument returns the instrument with its busy slots.
	FindInstrument(ctx context.Context, id string) (*Instrument, error)
	ListInstruments(ctx context.Context, f InstrumentFilter) (Page[Instrument], error)
}

// BookingService books instruments and moves bookings along.
type BookingService interface {
	CreateBooking(ctx context.Context, instrumentID string, n NewBooking) (*Booking, error)
	FindBooking(ctx context.Context, id string) (*Booking, error)
	ListBookings(ctx context.Context, f BookingFilter) (Page[Booking], error)
	ConfirmBooking(ctx context.Context, id string) (*Booking, error)
	DeclineBooking(ctx context.Context, id string, d Cancellation) (*Booking, error)
	CancelBooking(ctx context.Context, id string) (*Booking, error)
	CompleteBooking(ctx context.Context, id string, c Completion) (*Booking, error)
	ReviewBooking(ctx context.Context, id string, r BookingReview) (*Booking, error)
}
