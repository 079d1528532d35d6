package market

import (
	"slices"
	"testing"
	"time"
)

// Fees worked by hand: used/60 × fee, half-up to the fen.
func TestBookingFee(t *testing.T) {
	for _, c := range []struct {
		used int
		fee  int64
		want int64
	}{
		{60, 30_000, 30_000}, // one hour at 300 元
		{90, 30_000, 45_000}, // 1.5 h
		{0, 30_000, 0},       // booked, not used
		{1, 100, 2},          // 100/60 = 1.67 → 2
		{1, 89, 1},           // 89/60 = 1.483 → 1
		{1, 90, 2},           // 90/60 = 1.5 → 2 (half-up)
		{1, 30, 1},           // 0.5 → 1
		{1, 29, 0},           // 0.483 → 0
		{45, 12_345, 9_259},  // 45 × 12345 / 60 = 9258.75 → 9259
		{50, 12_345, 10_288}, // 10287.5 → 10288
		{7, 1, 0},            // 0.1167 → 0
		{1440, MaxFeePerHourFen, 24 * MaxFeePerHourFen}, // a whole day at the highest fee fits
	} {
		if got := BookingFee(c.used, c.fee); got != c.want {
			t.Errorf("BookingFee(%d, %d) = %d, want %d", c.used, c.fee, got, c.want)
		}
	}
}

func TestISOWeekday(t *testing.T) {
	// 2026-12-07 is a Monday.
	for d, want := range []int{1, 2, 3, 4, 5, 6, 7} {
		day := time.Date(2026, 12, 7+d, 12, 0, 0, 0, ChinaTime)
		if got := ISOWeekday(day); got != want {
			t.Errorf("%s: ISO weekday %d, want %d", day.Format("Mon 2006-01-02"), got, want)
		}
	}
}

func testInstrument() *Instrument {
	return &Instrument{ID: "X", OrgID: "OWNER", Name: "扫描电镜", Category: "microscopy", RegionCode: "450204",
		FeePerHourFen: 30_000, MinBookingMinutes: 30, Status: InstrumentActive,
		OpenHours: []OpenHours{{1, "08:30", "17:30"}, {3, "08:30", "12:00"}, {7, "00:00", "24:00"}}}
}

func bj(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, ChinaTime)
}

// Open hours are read in Beijing time with ISO weekdays: Monday
// 2026-12-14 08:00 Beijing is 00:00 UTC, before 08:30.
func TestWithinOpenHours(t *testing.T) {
	hours := testInstrument().OpenHours
	for _, c := range []struct {
		name       string
		start, end time.Time
		want       bool
	}{
		{"Monday 08:00 before opening", bj(2026, 12, 14, 8, 0), bj(2026, 12, 14, 9, 0), false},
		{"Monday 09:00", bj(2026, 12, 14, 9, 0), bj(2026, 12, 14, 10, 0), true},
		{"Monday from opening to closing", bj(2026, 12, 14, 8, 30), bj(2026, 12, 14, 17, 30), true},
		{"Monday past closing", bj(2026, 12, 14, 17, 0), bj(2026, 12, 14, 17, 31), false},
		{"Tuesday: closed", bj(2026, 12, 15, 9, 0), bj(2026, 12, 15, 10, 0), false},
		{"Wednesday morning", bj(2026, 12, 16, 11, 0), bj(2026, 12, 16, 12, 0), true},
		{"Wednesday afternoon", bj(2026, 12, 16, 13, 0), bj(2026, 12, 16, 14, 0), false},
		{"Sunday all day", bj(2026, 12, 13, 0, 0), bj(2026, 12, 14, 0, 0), true},
		{"Sunday into Monday", bj(2026, 12, 13, 23, 0), bj(2026, 12, 14, 9, 0), false},
		// The same instants given in UTC: Monday 09:00 Beijing is 01:00 UTC.
		{"Monday 09:00 Beijing given in UTC", time.Date(2026, 12, 14, 1, 0, 0, 0, time.UTC), time.Date(2026, 12, 14, 2, 0, 0, 0, time.UTC), true},
		// Sunday 2026-12-13 20:00 UTC is Monday 04:00 Beijing: closed.
		{"Monday 04:00 Beijing, a Sunday in UTC", time.Date(2026, 12, 13, 20, 0, 0, 0, time.UTC), time.Date(2026, 12, 13, 21, 0, 0, 0, time.UTC), false},
	} {
		if got := WithinOpenHours(hours, c.start, c.end); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestNewBookingRules(t *testing.T) {
	x := testInstrument()
	now := bj(2026, 12, 7, 12, 0) // Monday noon
	at := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	for _, c := range []struct {
		name       string
		start, end time.Time
		fields     []string
	}{
		{"fine", bj(2026, 12, 14, 9, 0), bj(2026, 12, 14, 10, 0), nil},
		{"08:00 on a Monday", bj(2026, 12, 14, 8, 0), bj(2026, 12, 14, 9, 0), []string{"starts_at"}},
		{"in the past", bj(2026, 11, 30, 9, 0), bj(2026, 11, 30, 10, 0), []string{"starts_at"}},
		{"already started", bj(2026, 12, 7, 11, 30), bj(2026, 12, 7, 13, 0), []string{"starts_at"}},
		{"exactly the minimum", bj(2026, 12, 14, 9, 0), bj(2026, 12, 14, 9, 30), nil},
		{"shorter than the minimum", bj(2026, 12, 14, 9, 0), bj(2026, 12, 14, 9, 29), []string{"ends_at"}},
		{"ends before it starts", bj(2026, 12, 14, 10, 0), bj(2026, 12, 14, 9, 0), []string{"ends_at"}},
		{"ends when it starts", bj(2026, 12, 14, 10, 0), bj(2026, 12, 14, 10, 0), []string{"ends_at"}},
		// 90 days after Monday 2026-12-07 12:00 is Sunday 2027-03-07 12:00.
		{"90 days ahead", bj(2027, 3, 7, 11, 0), bj(2027, 3, 7, 12, 0), nil},
		{"past 90 days", bj(2027, 3, 7, 12, 30), bj(2027, 3, 7, 13, 0), []string{"starts_at"}},
	} {
		n := NewBooking{StartsAt: at(c.start), EndsAt: at(c.end), Purpose: "测试样品形貌"}
		b, err := n.Booking(x, now.UTC())
		if got := FieldNames(err); !slices.Equal(got, c.fields) {
			t.Errorf("%s: fields %v (%v), want %v", c.name, got, err, c.fields)
		}
		if err == nil && (b.Status != BookingRequested || !b.StartsAt.Equal(c.start) || b.OwnerOrgID != "OWNER") {
			t.Errorf("%s: booking %+v", c.name, b)
		}
	}
	n := NewBooking{StartsAt: "tomorrow", EndsAt: at(bj(2026, 12, 14, 10, 0))}
	if got := FieldNames(func() error { _, err := n.Booking(x, now); return err }()); !slices.Equal(got, []string{"purpose", "starts_at"}) {
		t.Errorf("unparsed start: fields %v", got)
	}
}

func TestBookingLifecycle(t *testing.T) {
	for _, c := range []struct {
		from, action, to string
	}{
		{BookingRequested, ActionConfirmBooking, BookingConfirmed},
		{BookingRequested, ActionDeclineBooking, BookingDeclined},
		{BookingConfirmed, ActionDeclineBooking, BookingDeclined},
		{BookingRequested, ActionCancelBooking, BookingCancelled},
		{BookingConfirmed, ActionCancelBooking, BookingCancelled},
		{BookingConfirmed, ActionCompleteBooking, BookingCompleted},
		{BookingRequested, ActionCompleteBooking, ""},
		{BookingCompleted, ActionCancelBooking, ""},
		{BookingDeclined, ActionConfirmBooking, ""},
		{BookingCancelled, ActionConfirmBooking, ""},
	} {
		to, err := BookingTransition(c.from, c.action)
		if to != c.to || (c.to == "") != (ErrorCode(err) == ECONFLICT) {
			t.Errorf("%s %s: %q %v, want %q", c.action, c.from, to, err, c.to)
		}
	}
	now := bj(2026, 12, 14, 9, 30)
	b := &Booking{ID: "B", Status: BookingConfirmed, StartsAt: bj(2026, 12, 14, 9, 0), EndsAt: bj(2026, 12, 14, 11, 0)}
	if err := b.Cancel(now); ErrorCode(err) != ECONFLICT || b.Status != BookingConfirmed {
		t.Errorf("cancel after the start: %v, %s", err, b.Status)
	}
	for _, used := range []int{-1, 121} {
		if err := b.Complete(Completion{UsedMinutes: &used}, 30_000, now); !slices.Equal(FieldNames(err), []string{"used_minutes"}) {
			t.Errorf("complete with %d minutes: %v", used, err)
		}
	}
	if err := b.Complete(Completion{}, 30_000, now); !slices.Equal(FieldNames(err), []string{"used_minutes"}) {
		t.Errorf("complete without minutes: %v", err)
	}
	used := 75
	if err := b.Complete(Completion{UsedMinutes: &used}, 30_000, now); err != nil || *b.FeeFen != 37_500 || b.Status != BookingCompleted {
		t.Fatalf("complete 75 minutes at 300 元/h: %v fee %v", err, b.FeeFen)
	}
	if err := b.Review(BookingReview{Rating: 6}, now); !slices.Equal(FieldNames(err), []string{"rating"}) {
		t.Errorf("rating 6: %v", err)
	}
	if err := b.Review(BookingReview{Rating: 4, Comment: "好"}, now); err != nil || *b.Rating != 4 {
		t.Fatalf("review: %v", err)
	}
	if err := b.Review(BookingReview{Rating: 5}, now); ErrorCode(err) != ECONFLICT || *b.Rating != 4 {
		t.Errorf("second review: %v", err)
	}
}

func TestRatingAverage(t *testing.T) {
	for _, c := range []struct {
		sum, n int64
		want   float64
	}{{4, 1, 4}, {9, 2, 4.5}, {14, 3, 4.67}, {13, 3, 4.33}, {5, 3, 1.67}} {
		x := Instrument{RatingSum: c.sum, RatingCount: c.n}
		x.SetRating()
		if x.RatingAvg == nil || *x.RatingAvg != c.want {
			t.Errorf("%d/%d: %v, want %v", c.sum, c.n, x.RatingAvg, c.want)
		}
	}
	x := Instrument{}
	if x.SetRating(); x.RatingAvg != nil {
		t.Error("no reviews: want no average")
	}
}

func TestInstrumentValidate(t *testing.T) {
	x := testInstrument()
	if err := x.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := *x
	bad.OpenHours = []OpenHours{{0, "08:30", "17:30"}, {8, "8:30", "17:30"}, {1, "09:00", "08:00"}, {2, "08:00", "12:00"}, {2, "11:00", "13:00"}}
	bad.Category, bad.FeePerHourFen, bad.MinBookingMinutes = "nope", -1, 0
	want := []string{"category", "fee_per_hour_fen", "min_booking_minutes", "open_hours[0].weekday", "open_hours[1].weekday",
		"open_hours[1].from", "open_hours[2].to", "open_hours[4]"}
	if got := FieldNames(bad.Validate()); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}

func TestServiceOrderLifecycle(t *testing.T) {
	s := &Service{ID: "S", OrgID: "P", PriceFen: 12_345, Status: InstrumentActive}
	n := NewServiceOrder{ServiceID: "S", Quantity: 3}
	o, err := n.Order(s, time.Now())
	if err != nil || o.FeeFen != 37_035 {
		t.Fatalf("3 × 12345: %v %v", o, err)
	}
	big := NewServiceOrder{ServiceID: "S", Quantity: 10_000}
	if _, err := big.Order(&Service{PriceFen: MaxAmountFen / 100}, time.Now()); !slices.Equal(FieldNames(err), []string{"quantity"}) {
		t.Errorf("overflowing fee: %v", err)
	}
	steps := []string{ActionAcceptOrder, ActionDeliverOrder, ActionCompleteOrder}
	for _, a := range steps {
		if err := o.Move(a, time.Now()); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	if o.Status != OrderCompleted || o.CompletedAt == nil {
		t.Fatalf("status %s", o.Status)
	}
	if err := o.Move(ActionCancelOrder, time.Now()); ErrorCode(err) != ECONFLICT {
		t.Errorf("cancel completed: %v", err)
	}
	d := &ServiceOrder{Status: OrderDelivered}
	if err := d.Move(ActionCancelOrder, time.Now()); ErrorCode(err) != ECONFLICT {
		t.Errorf("cancel delivered: %v", err)
	}
	client := &Actor{OrgID: "C"}
	if err := OrderActor(client, &ServiceOrder{ClientOrgID: "C", ProviderOrgID: "P"}, ActionDeliverOrder); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("client delivers: %v", err)
	}
}
