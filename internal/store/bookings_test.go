package store_test

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// TestBookingClock: the store's injected clock decides what is in the
// future, the 90-day horizon and whether a booking has started, on both
// databases. The clock is Monday 2026-12-07 12:00 in Beijing.
func TestBookingClock(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		var clock atomic.Int64
		at := func(y int, m time.Month, d, h, min int) time.Time {
			return time.Date(y, m, d, h, min, 0, 0, market.ChinaTime)
		}
		clock.Store(at(2026, 12, 7, 12, 0).UnixNano())
		db := storetest.OpenWith(t, dialect, store.Options{PasswordCost: 4, Now: func() time.Time { return time.Unix(0, clock.Load()) }})
		owner := storetest.MustCreateOrg(t, db, market.OrgInstitute, true)
		booker := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		name, cat, region, fee, minutes := "拉曼光谱仪", "spectroscopy", "450206", int64(20_000), 30
		hours := []market.OpenHours{{Weekday: 1, From: "08:30", To: "17:30"}, {Weekday: 7, From: "08:30", To: "17:30"}}
		x, err := store.NewInstrumentService(db).CreateInstrument(owner.Ctx, market.InstrumentInput{Name: &name, Category: &cat,
			RegionCode: &region, FeePerHourFen: &fee, MinBookingMinutes: &minutes, OpenHours: &hours})
		if err != nil {
			t.Fatal(err)
		}
		bookings := store.NewBookingService(db)
		book := func(start time.Time) (*market.Booking, error) {
			return bookings.CreateBooking(booker.Ctx, x.ID, market.NewBooking{StartsAt: start.Format(time.RFC3339),
				EndsAt: start.Add(time.Hour).Format(time.RFC3339), Purpose: "拉曼表征"})
		}
		for _, c := range []struct {
			name   string
			start  time.Time
			fields []string
		}{
			{"this morning, already past", at(2026, 12, 7, 9, 0), []string{"starts_at"}},
			{"next Monday 08:00, before opening", at(2026, 12, 14, 8, 0), []string{"starts_at"}},
			// Sunday 2027-03-07 11:00 is 89 days 23 hours ahead; 13:00 is past 90 days.
			{"Sunday 89 days ahead", at(2027, 3, 7, 11, 0), nil},
			{"Sunday past 90 days", at(2027, 3, 7, 13, 0), []string{"starts_at"}},
			{"next Monday 09:00", at(2026, 12, 14, 9, 0), nil},
		} {
			_, err := book(c.start)
			if got := market.FieldNames(err); !slices.Equal(got, c.fields) {
				t.Errorf("%s: %v, want fields %v", c.name, err, c.fields)
			}
		}
		// Once the clock passes the start, the booker can no longer cancel.
		b, err := book(at(2026, 12, 14, 14, 0))
		if err != nil {
			t.Fatal(err)
		}
		clock.Store(at(2026, 12, 14, 14, 0).UnixNano())
		if _, err := bookings.CancelBooking(booker.Ctx, b.ID); market.ErrorCode(err) != market.ECONFLICT {
			t.Fatalf("cancel at the start: %v", err)
		}
		clock.Store(at(2026, 12, 14, 13, 59).UnixNano())
		if got, err := bookings.CancelBooking(booker.Ctx, b.ID); err != nil || got.Status != market.BookingCancelled {
			t.Fatalf("cancel a minute before: %v %v", got, err)
		}
		if n := storetest.Count(t, db, "bookings", "instrument_id = ?", x.ID); n != 3 {
			t.Fatalf("%d bookings stored, want 3", n)
		}
	})
}
