package store

import (
	"context"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type instrumentRow struct {
	ID                string `gorm:"primaryKey"`
	OrgID             string
	Name              string
	Model             string
	Category          string
	Description       string
	RegionCode        string
	Location          string
	FeePerHourFen     int64
	MinBookingMinutes int
	OpenHours         []market.OpenHours `gorm:"serializer:json"`
	Status            string
	RatingSum         int64
	RatingCount       int64
	BookingCount      int64
	CreatedAt         time.Time
	UpdatedAt         time.Time `gorm:"autoUpdateTime:false"`
}

func (instrumentRow) TableName() string { return "instruments" }

func (r *instrumentRow) instrument() *market.Instrument {
	x := &market.Instrument{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Model: r.Model, Category: r.Category,
		Description: r.Description, RegionCode: r.RegionCode, Location: r.Location, FeePerHourFen: r.FeePerHourFen,
		MinBookingMinutes: r.MinBookingMinutes, OpenHours: r.OpenHours, Status: r.Status, RatingSum: r.RatingSum,
		RatingCount: r.RatingCount, BookingCount: r.BookingCount, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if x.OpenHours == nil {
		x.OpenHours = []market.OpenHours{}
	}
	x.SetRating()
	return x
}

func rowFromInstrument(x *market.Instrument) instrumentRow {
	return instrumentRow{ID: x.ID, OrgID: x.OrgID, Name: x.Name, Model: x.Model, Category: x.Category,
		Description: x.Description, RegionCode: x.RegionCode, Location: x.Location, FeePerHourFen: x.FeePerHourFen,
		MinBookingMinutes: x.MinBookingMinutes, OpenHours: x.OpenHours, Status: x.Status, RatingSum: x.RatingSum,
		RatingCount: x.RatingCount, BookingCount: x.BookingCount, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

func instrumentNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "instrument %s not found", id)
}

// findInstrument reads an instrument; lock takes the row lock that
// serialises its bookings.
func findInstrument(q *gorm.DB, id string, lock bool) (*market.Instrument, error) {
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row instrumentRow
	if err := translate(q.First(&row, "id = ?", id).Error, func() error { return instrumentNotFound(id) }); err != nil {
		return nil, err
	}
	return row.instrument(), nil
}

// InstrumentService implements market.InstrumentService on the database.
type InstrumentService struct{ db *DB }

var _ market.InstrumentService = (*InstrumentService)(nil)

// NewInstrumentService returns the instrument service over db.
func NewInstrumentService(db *DB) *InstrumentService { return &InstrumentService{db: db} }

// CreateInstrument lists an active instrument of the caller's org.
func (s *InstrumentService) CreateInstrument(ctx context.Context, in market.InstrumentInput) (_ *market.Instrument, err error) {
	defer wrap(&err, "store.CreateInstrument")
	a := market.ActorFrom(ctx)
	if err := market.CanCreateInstrument(a); err != nil {
		return nil, err
	}
	now := s.db.now()
	x := &market.Instrument{ID: ulid.Make().String(), OrgID: a.OrgID, Status: market.InstrumentActive, CreatedAt: now, UpdatedAt: now}
	if in.Status != nil && *in.Status != market.InstrumentActive {
		return nil, market.Invalid("status", "a new instrument is active")
	}
	if err := in.Apply(x); err != nil {
		return nil, err
	}
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		row := rowFromInstrument(x)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "instrument", x.ID, nil, x)
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// UpdateInstrument changes an instrument through run: its owner any
// field, an operator the status (suspend or reactivate). Bookings already
// made keep the rules they were made under. The instrument's row lock is
// the one its bookings take, so a change waits for a booking in flight.
func (s *InstrumentService) UpdateInstrument(ctx context.Context, id string, in market.InstrumentInput) (_ *market.Instrument, err error) {
	defer wrap(&err, "store.UpdateInstrument(%q)", id)
	action := "update"
	if in.OnlyStatus() && in.Status != nil {
		action = map[string]string{market.InstrumentActive: "activate", market.InstrumentSuspended: "suspend"}[*in.Status]
	}
	if action == "" {
		return nil, market.Invalid("status", "must be active or suspended")
	}
	return run(ctx, s.db, change[market.Instrument]{
		entity: "instrument", id: id, action: action,
		lock: func(tx *gorm.DB) (*market.Instrument, error) {
			return findInstrument(tx.Session(&gorm.Session{NewDB: true}), id, true)
		},
		visible:  func(*market.Actor, *market.Instrument) bool { return true }, // instruments are public
		notFound: func() error { return instrumentNotFound(id) },
		allowed:  func(a *market.Actor, x *market.Instrument) error { return market.CanChangeInstrument(a, x, &in) },
		apply: func(_ *gorm.DB, x *market.Instrument, now time.Time) ([]auditEntry, error) {
			x.UpdatedAt = now
			return nil, in.Apply(x)
		},
		save: func(tx *gorm.DB, x *market.Instrument) error {
			row := rowFromInstrument(x)
			return tx.Session(&gorm.Session{NewDB: true}).Select("*").Save(&row).Error
		},
	})
}

// FindInstrument returns an instrument with its busy slots of the next 30
// days (requested and confirmed bookings); instruments are public.
func (s *InstrumentService) FindInstrument(ctx context.Context, id string) (_ *market.Instrument, err error) {
	defer wrap(&err, "store.FindInstrument(%q)", id)
	q := s.db.gorm.WithContext(ctx)
	x, err := findInstrument(q, id, false)
	if err != nil {
		return nil, err
	}
	now := s.db.now()
	var rows []bookingRow
	err = q.Select("starts_at, ends_at").
		Where("instrument_id = ? AND status IN ? AND ends_at > ? AND starts_at < ?", id,
			[]string{market.BookingRequested, market.BookingConfirmed}, now, now.Add(market.BusyWindow)).
		Order("starts_at ASC").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	x.Busy = make([]market.Slot, len(rows))
	for i, r := range rows {
		x.Busy[i] = market.Slot{StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC()}
	}
	return x, nil
}

// likePattern escapes a user's text for LIKE ... ESCAPE '!'.
func likePattern(q string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(q) + "%"
}

// ListInstruments lists instruments newest first. q is a case-insensitive
// substring match over name, model and description (SQL LIKE; the search
// engine indexes demands and achievements only). Without a status filter
// only active instruments are listed.
func (s *InstrumentService) ListInstruments(ctx context.Context, f market.InstrumentFilter) (_ market.Page[market.Instrument], err error) {
	defer wrap(&err, "store.ListInstruments")
	var out market.Page[market.Instrument]
	if err := f.Validate(); err != nil {
		return out, err
	}
	if f.Status == "" {
		f.Status = market.InstrumentActive
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&instrumentRow{}), "category", f.Category, "region_code", f.RegionCode,
		"org_id", f.OrgID, "status", f.Status)
	if f.Q != "" {
		p := likePattern(strings.ToLower(f.Q))
		q = q.Where("(LOWER(name) LIKE ? ESCAPE '!' OR LOWER(model) LIKE ? ESCAPE '!' OR LOWER(description) LIKE ? ESCAPE '!')", p, p, p)
	}
	return listPage(q, f.Page, true, func(r *instrumentRow) string { return r.ID }, (*instrumentRow).instrument)
}
