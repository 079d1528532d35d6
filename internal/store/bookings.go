package store

import (
	"context"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type bookingRow struct {
	ID              string `gorm:"primaryKey"`
	InstrumentID    string
	OwnerOrgID      string
	BookerOrgID     string
	StartsAt        time.Time
	EndsAt          time.Time
	Purpose         string
	Samples         string
	Status          string
	UsedMinutes     *int
	FeeFen          *int64
	DeclineReason   string
	Rating          *int
	Comment         string
	ConfirmedAt     *time.Time
	CompletedAt     *time.Time
	CancelledAt     *time.Time
	ReviewedAt      *time.Time
	CreatedByUserID string
	CreatedAt       time.Time
	UpdatedAt       time.Time `gorm:"autoUpdateTime:false"`
}

func (bookingRow) TableName() string { return "bookings" }

func (r *bookingRow) booking() *market.Booking {
	return &market.Booking{ID: r.ID, InstrumentID: r.InstrumentID, OwnerOrgID: r.OwnerOrgID, BookerOrgID: r.BookerOrgID,
		StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), Purpose: r.Purpose, Samples: r.Samples, Status: r.Status,
		UsedMinutes: r.UsedMinutes, FeeFen: r.FeeFen, DeclineReason: r.DeclineReason, Rating: r.Rating, Comment: r.Comment,
		ConfirmedAt: utcPtr(r.ConfirmedAt), CompletedAt: utcPtr(r.CompletedAt), CancelledAt: utcPtr(r.CancelledAt),
		ReviewedAt: utcPtr(r.ReviewedAt), CreatedByUser: r.CreatedByUserID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func rowFromBooking(b *market.Booking) bookingRow {
	return bookingRow{ID: b.ID, InstrumentID: b.InstrumentID, OwnerOrgID: b.OwnerOrgID, BookerOrgID: b.BookerOrgID,
		StartsAt: b.StartsAt, EndsAt: b.EndsAt, Purpose: b.Purpose, Samples: b.Samples, Status: b.Status,
		UsedMinutes: b.UsedMinutes, FeeFen: b.FeeFen, DeclineReason: b.DeclineReason, Rating: b.Rating, Comment: b.Comment,
		ConfirmedAt: b.ConfirmedAt, CompletedAt: b.CompletedAt, CancelledAt: b.CancelledAt, ReviewedAt: b.ReviewedAt,
		CreatedByUserID: b.CreatedByUser, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

func bookingNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "booking %s not found", id)
}

// readBooking reads a booking whoever asks; lock takes its row lock.
func readBooking(q *gorm.DB, id string, lock bool) (*market.Booking, error) {
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row bookingRow
	if err := translate(q.First(&row, "id = ?", id).Error, func() error { return bookingNotFound(id) }); err != nil {
		return nil, err
	}
	return row.booking(), nil
}

// findBooking reads a booking the caller may see (its booker and the
// instrument's owner).
func findBooking(ctx context.Context, q *gorm.DB, id string) (*market.Booking, error) {
	b, err := readBooking(q, id, false)
	if err != nil {
		return nil, err
	}
	if !market.CanSeeBooking(market.ActorFrom(ctx), b) {
		return nil, bookingNotFound(id)
	}
	return b, nil
}

// BookingService implements market.BookingService on the database.
type BookingService struct{ db *DB }

var _ market.BookingService = (*BookingService)(nil)

// NewBookingService returns the booking service over db.
func NewBookingService(db *DB) *BookingService { return &BookingService{db: db} }

// CreateBooking books a slot of an instrument. The rules that need only
// the instrument and the clock (open hours in Beijing time, the minimum,
// the future, 90 days) are market's; the no-overlap rule is held by the
// database: the instrument's row is locked (SELECT ... FOR UPDATE on
// MySQL, the one writer on SQLite), the holding bookings that overlap the
// slot are looked up, and the booking is inserted, all in one
// transaction. Every booking of the instrument on any number of server
// instances queues on that lock, so of two overlapping requests the second
// sees the first and is refused with 409 naming its slot. Slots are
// half-open: one that ends at 10:00 and one that starts at 10:00 do not
// overlap.
func (s *BookingService) CreateBooking(ctx context.Context, instrumentID string, n market.NewBooking) (_ *market.Booking, err error) {
	defer wrap(&err, "store.CreateBooking(%q)", instrumentID)
	a := market.ActorFrom(ctx)
	// The rules are checked first on an unlocked read, so refused requests
	// never queue on the lock, and again under it (the instrument may have
	// changed meanwhile).
	x, err := findInstrument(s.db.gorm.WithContext(ctx), instrumentID, false)
	if err != nil {
		return nil, err
	}
	if err := market.CanBook(a, x); err != nil {
		return nil, err
	}
	if _, err := n.Booking(x, s.db.now()); err != nil {
		return nil, err
	}
	var b *market.Booking
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		x, err := findInstrument(tx, instrumentID, true)
		if err != nil {
			return err
		}
		if err := market.CanBook(a, x); err != nil {
			return err
		}
		if b, err = n.Booking(x, s.db.now()); err != nil {
			return err
		}
		if err := overlapping(tx.Session(&gorm.Session{NewDB: true}), b); err != nil {
			return err
		}
		b.ID, b.BookerOrgID, b.CreatedByUser = ulid.Make().String(), a.OrgID, a.UserID
		row := rowFromBooking(b)
		if err := tx.Session(&gorm.Session{NewDB: true}).Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "booking", b.ID, nil, b)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// overlapping is a conflict naming the first holding booking of b's
// instrument whose slot overlaps b's, nil when there is none. The caller
// holds the instrument's row lock.
func overlapping(q *gorm.DB, b *market.Booking) error {
	// A booking lies inside one day's open hours, so it is at most a day
	// long: whatever overlaps b starts less than a day before b does. The
	// lower bound keeps the scan of bookings_slot to that day, however
	// many bookings the instrument has had.
	var rows []bookingRow
	err := q.Select("id, starts_at, ends_at, status").
		Where("instrument_id = ? AND status IN ? AND starts_at > ? AND starts_at < ? AND ends_at > ?", b.InstrumentID,
			[]string{market.BookingRequested, market.BookingConfirmed}, b.StartsAt.Add(-market.MaxBookingLength), b.EndsAt, b.StartsAt).
		Order("starts_at ASC").Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return err
	}
	c := rows[0]
	slot := c.StartsAt.UTC().Format(time.RFC3339) + "/" + c.EndsAt.UTC().Format(time.RFC3339)
	return market.Conflict("the slot overlaps booking %s (%s) of this instrument, %s", c.ID, c.Status, slot).
		On("starts_at", "overlaps the booked slot "+slot)
}

// FindBooking returns a booking to its booker and the instrument's owner.
func (s *BookingService) FindBooking(ctx context.Context, id string) (_ *market.Booking, err error) {
	defer wrap(&err, "store.FindBooking(%q)", id)
	return findBooking(ctx, s.db.gorm.WithContext(ctx), id)
}

// ListBookings lists the caller's org's bookings, as booker, owner or
// both, newest first.
func (s *BookingService) ListBookings(ctx context.Context, f market.BookingFilter) (_ market.Page[market.Booking], err error) {
	defer wrap(&err, "store.ListBookings")
	var out market.Page[market.Booking]
	a := market.ActorFrom(ctx)
	if a == nil || a.OrgID == "" {
		return out, market.Errorf(market.EFORBIDDEN, "bookings are listed by the orgs that make and take them")
	}
	if err := f.Validate(); err != nil {
		return out, err
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&bookingRow{}), "status", f.Status, "instrument_id", f.InstrumentID)
	switch f.Role {
	case "booker":
		q = q.Where("booker_org_id = ?", a.OrgID)
	case "owner":
		q = q.Where("owner_org_id = ?", a.OrgID)
	default:
		q = q.Where("(booker_org_id = ? OR owner_org_id = ?)", a.OrgID, a.OrgID)
	}
	return listPage(q, f.Page, true, func(r *bookingRow) string { return r.ID }, (*bookingRow).booking)
}

// changeBooking runs one action on a booking through run. The lock order
// puts the instrument's row before its bookings' (every booking write of
// the instrument takes it, so its slots and counters change one at a
// time): prelock takes it, then run locks the booking, checks visibility
// (404) and permission (403), and mutate applies the action. When the
// instrument's counters moved (booking count, ratings) they are saved in
// the same transaction and audited after the booking.
func (s *BookingService) changeBooking(ctx context.Context, id, action string,
	allowed func(*market.Actor, *market.Booking) error,
	mutate func(x *market.Instrument, b *market.Booking, now time.Time) error) (*market.Booking, error) {
	var x *market.Instrument
	return run(ctx, s.db, change[market.Booking]{
		entity: "booking", id: id, action: action,
		prelock: func(tx *gorm.DB) error {
			// The instrument of a booking never changes, so the unlocked
			// read names the right lock.
			b, err := readBooking(tx.Session(&gorm.Session{NewDB: true}), id, false)
			if err != nil {
				return err
			}
			x, err = findInstrument(tx.Session(&gorm.Session{NewDB: true}), b.InstrumentID, true)
			return err
		},
		lock: func(tx *gorm.DB) (*market.Booking, error) {
			return readBooking(tx.Session(&gorm.Session{NewDB: true}), id, true)
		},
		visible:  market.CanSeeBooking,
		notFound: func() error { return bookingNotFound(id) },
		allowed:  allowed,
		apply: func(tx *gorm.DB, b *market.Booking, now time.Time) ([]auditEntry, error) {
			before := *x
			if err := mutate(x, b, now); err != nil {
				return nil, err
			}
			if x.RatingCount == before.RatingCount && x.BookingCount == before.BookingCount {
				return nil, nil
			}
			x.UpdatedAt = now
			x.SetRating()
			err := tx.Session(&gorm.Session{NewDB: true}).Model(&instrumentRow{}).Where("id = ?", x.ID).
				Updates(map[string]any{"rating_sum": x.RatingSum, "rating_count": x.RatingCount,
					"booking_count": x.BookingCount, "updated_at": now}).Error
			return []auditEntry{{action, "instrument", x.ID, &before, x}}, err
		},
		save: func(tx *gorm.DB, b *market.Booking) error {
			row := rowFromBooking(b)
			return tx.Session(&gorm.Session{NewDB: true}).Select("*").Save(&row).Error
		},
	})
}

// ConfirmBooking is the owner's acceptance of a requested booking.
func (s *BookingService) ConfirmBooking(ctx context.Context, id string) (_ *market.Booking, err error) {
	defer wrap(&err, "store.ConfirmBooking(%q)", id)
	return s.changeBooking(ctx, id, market.ActionConfirmBooking, market.BookingOwnerOnly,
		func(_ *market.Instrument, b *market.Booking, now time.Time) error {
			to, err := market.BookingTransition(b.Status, market.ActionConfirmBooking)
			if err != nil {
				return err
			}
			b.Status, b.ConfirmedAt, b.UpdatedAt = to, &now, now
			return nil
		})
}

// DeclineBooking is the owner's refusal, with the reason; the slot is free
// again.
func (s *BookingService) DeclineBooking(ctx context.Context, id string, d market.Cancellation) (_ *market.Booking, err error) {
	defer wrap(&err, "store.DeclineBooking(%q)", id)
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return s.changeBooking(ctx, id, market.ActionDeclineBooking, market.BookingOwnerOnly,
		func(_ *market.Instrument, b *market.Booking, now time.Time) error {
			to, err := market.BookingTransition(b.Status, market.ActionDeclineBooking)
			if err != nil {
				return err
			}
			b.Status, b.DeclineReason, b.CancelledAt, b.UpdatedAt = to, d.Reason, &now, now
			return nil
		})
}

// CancelBooking is the booker's withdrawal before the start; the slot is
// free again.
func (s *BookingService) CancelBooking(ctx context.Context, id string) (_ *market.Booking, err error) {
	defer wrap(&err, "store.CancelBooking(%q)", id)
	return s.changeBooking(ctx, id, market.ActionCancelBooking, market.BookingBookerOnly,
		func(_ *market.Instrument, b *market.Booking, now time.Time) error { return b.Cancel(now) })
}

// CompleteBooking records the minutes used of a confirmed booking and its
// fee at the instrument's hourly fee; the owner may, at any time after
// confirmation.
func (s *BookingService) CompleteBooking(ctx context.Context, id string, c market.Completion) (_ *market.Booking, err error) {
	defer wrap(&err, "store.CompleteBooking(%q)", id)
	return s.changeBooking(ctx, id, market.ActionCompleteBooking, market.BookingOwnerOnly,
		func(x *market.Instrument, b *market.Booking, now time.Time) error {
			if err := b.Complete(c, x.FeePerHourFen, now); err != nil {
				return err
			}
			x.BookingCount++
			return nil
		})
}

// ReviewBooking records the booker's rating of a completed booking, once;
// the instrument's average follows.
func (s *BookingService) ReviewBooking(ctx context.Context, id string, r market.BookingReview) (_ *market.Booking, err error) {
	defer wrap(&err, "store.ReviewBooking(%q)", id)
	return s.changeBooking(ctx, id, market.ActionReviewBooking, market.BookingBookerOnly,
		func(x *market.Instrument, b *market.Booking, now time.Time) error {
			if err := b.Review(r, now); err != nil {
				return err
			}
			x.RatingSum += int64(*b.Rating)
			x.RatingCount++
			return nil
		})
}
