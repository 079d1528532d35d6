package seed

import (
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/subsidy"
)

// TestSharingDemo checks the sharing part of the demo set against the
// rules it will be loaded through: valid instruments of universities and
// institutes, bookings inside open hours by other orgs, services of
// universities and institutes, and a valid voucher policy of the bureau.
func TestSharingDemo(t *testing.T) {
	d := mustLoad(t)
	s := d.Sharing
	orgs := map[string]Org{}
	for _, o := range d.Orgs {
		orgs[o.Key] = o
	}
	if len(s.Instruments) < 5 || len(s.Bookings) < 5 || len(s.Services) < 3 || len(s.ServiceOrders) < 3 || len(s.VoucherPolicies) != 1 {
		t.Fatalf("sharing demo: %d instruments, %d bookings, %d services, %d orders, %d voucher policies",
			len(s.Instruments), len(s.Bookings), len(s.Services), len(s.ServiceOrders), len(s.VoucherPolicies))
	}
	instruments := map[string]*market.Instrument{}
	for _, in := range s.Instruments {
		x := &market.Instrument{ID: in.Key, OrgID: in.OrgKey, Status: market.InstrumentActive}
		if err := in.Apply(x); err != nil {
			t.Errorf("instrument %s: %v", in.Key, err)
		}
		if k := orgs[in.OrgKey].Kind; k != market.OrgUniversity && k != market.OrgInstitute {
			t.Errorf("instrument %s of a %q org", in.Key, k)
		}
		instruments[in.Key] = x
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, market.ChinaTime)
	states := map[string]int{}
	for i, b := range s.Bookings {
		x := instruments[b.Instrument]
		if x == nil || orgs[b.OrgKey].Kind != market.OrgEnterprise {
			t.Errorf("booking %d: instrument %q, booker %q", i, b.Instrument, b.OrgKey)
			continue
		}
		start, err := slotStart(now, b.Weeks, b.Weekday, b.From)
		if err != nil {
			t.Fatal(err)
		}
		n := market.NewBooking{StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(time.Duration(b.Minutes) * time.Minute).Format(time.RFC3339), Purpose: b.Purpose}
		if _, err := n.Booking(x, now); err != nil {
			t.Errorf("booking %d: %v", i, err)
		}
		if b.Status == market.BookingCompleted && (b.UsedMinutes < 1 || b.UsedMinutes > b.Minutes) {
			t.Errorf("booking %d: used %d of %d minutes", i, b.UsedMinutes, b.Minutes)
		}
		states[b.Status]++
	}
	for _, st := range []string{market.BookingRequested, market.BookingConfirmed, market.BookingCompleted} {
		if states[st] == 0 {
			t.Errorf("no demo booking is %s", st)
		}
	}
	for _, sv := range s.Services {
		if k := orgs[sv.OrgKey].Kind; k != market.OrgUniversity && k != market.OrgInstitute {
			t.Errorf("service %s of a %q org", sv.Key, k)
		}
		if _, err := sv.Service(sv.OrgKey, now); err != nil {
			t.Errorf("service %s: %v", sv.Key, err)
		}
	}
	v := s.VoucherPolicies[0]
	p := &market.SubsidyPolicy{}
	var problems market.Problems
	v.Apply(p, &problems)
	if err := subsidy.ValidatePolicy(p, problems); err != nil || p.AppliesTo != market.PolicyForServices || orgs[v.OrgKey].Kind != market.OrgGovernment {
		t.Fatalf("voucher policy %+v: %v", p, err)
	}
}
