package httpapi_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// TestBookingOverlapRaceTwoInstances: 50 concurrent requests through two
// app instances on one MariaDB, for five slots of one instrument (ten
// requests each, from five orgs). Exactly one wins each slot; every other
// request is a 409 naming the winner of its slot. The slots are adjacent
// (09:00–10:00, 10:00–11:00, ...), and all five are won: a slot ending at
// 10:00 does not overlap one starting at 10:00. Ten further requests that
// straddle two slots (09:30–10:30) all lose.
func TestBookingOverlapRaceTwoInstances(t *testing.T) {
	envs := twoMySQLInstances(t)
	e := envs[0]
	p := newParties(e)
	id := newInstrument(e, p.seller)
	bookers := []apptest.Org{p.buyer, p.outsider}
	for range 3 {
		bookers = append(bookers, e.NewOrg(market.OrgEnterprise, true))
	}
	const slots, per = 5, 10
	first := mondayAt(1, 9, 0)
	type req struct {
		slot       int
		start, end time.Time
	}
	var reqs []req
	for i := range slots * per {
		s := i % slots
		start := first.Add(time.Duration(s) * time.Hour)
		reqs = append(reqs, req{s, start, start.Add(time.Hour)})
	}
	res := make([]*apptest.Response, len(reqs))
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			b := bookers[i%len(bookers)]
			res[i] = envs[i%2].Do("POST", "/api/v1/instruments/"+id+"/bookings", b.Token, bookingBody(r.start, r.end))
		}()
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	t.Logf("%d booking requests over 2 instances in %v", len(reqs), time.Since(start))

	winners := map[int]string{}
	for i, r := range res {
		if r.Status == 201 {
			if w, ok := winners[reqs[i].slot]; ok {
				t.Fatalf("slot %d won twice: %s and %s", reqs[i].slot, w, r.Str("id"))
			}
			winners[reqs[i].slot] = r.Str("id")
		}
	}
	if len(winners) != slots {
		t.Fatalf("%d slots won, want all %d (adjacent slots do not overlap): %v", len(winners), slots, winners)
	}
	for i, r := range res {
		if r.Status == 201 {
			continue
		}
		w := winners[reqs[i].slot]
		if r.Status != 409 || !strings.Contains(r.Str("detail"), w) || !strings.Contains(string(r.Body), `"field":"starts_at"`) {
			t.Errorf("request %d: %d %s, want 409 naming booking %s", i, r.Status, r.Body, w)
		}
	}
	// Straddling requests lose to the two slots they overlap.
	straddle := make([]*apptest.Response, per)
	for i := range straddle {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := first.Add(30 * time.Minute)
			straddle[i] = envs[i%2].Do("POST", "/api/v1/instruments/"+id+"/bookings", bookers[i%len(bookers)].Token, bookingBody(s, s.Add(time.Hour)))
		}()
	}
	wg.Wait()
	for i, r := range straddle {
		if r.Status != 409 || (!strings.Contains(r.Str("detail"), winners[0]) && !strings.Contains(r.Str("detail"), winners[1])) {
			t.Errorf("straddling request %d: %d %s", i, r.Status, r.Body)
		}
	}
	// What the database holds: five holding bookings, none overlapping.
	var overlaps int
	if err := e.Sys.DB.SQL().QueryRow(`SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.instrument_id = b.instrument_id AND a.id < b.id
		WHERE a.instrument_id = ? AND a.status IN ('requested', 'confirmed') AND b.status IN ('requested', 'confirmed')
		AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at`, id).Scan(&overlaps); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e, "bookings", "instrument_id = ?", id); n != slots || overlaps != 0 {
		t.Fatalf("%d bookings stored, %d overlapping pairs", n, overlaps)
	}
	if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
		t.Fatalf("audit verify: %v", v)
	}
	// A declined booking frees its slot for the next request.
	e.Must(200, "POST", "/api/v1/bookings/"+winners[2]+"/decline", p.seller.Token, map[string]any{"reason": "设备检修"})
	s := first.Add(2 * time.Hour)
	envs[1].Must(201, "POST", "/api/v1/instruments/"+id+"/bookings", p.buyer.Token, bookingBody(s, s.Add(time.Hour)))
}
