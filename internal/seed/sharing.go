package seed

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Sharing is the demo set's instrument sharing and testing services:
// instruments and services of the universities and institutes, bookings
// and orders of the enterprises in every state, and the bureau's
// innovation-voucher policy.
type Sharing struct {
	Instruments     []Instrument    `json:"instruments"`
	Bookings        []Booking       `json:"bookings"`
	Services        []Service       `json:"services"`
	ServiceOrders   []ServiceOrder  `json:"service_orders"`
	VoucherPolicies []SubsidyPolicy `json:"voucher_policies"`
}

// Instrument is a demo instrument of the org named by OrgKey, written as
// the body of POST /instruments; Key names it for bookings.
type Instrument struct {
	Key    string `json:"key"`
	OrgKey string `json:"org_key"`
	market.InstrumentInput
}

// Booking is a demo booking of the instrument named by Instrument by the
// org named by OrgKey: Weeks weeks after the coming ISO Weekday, From
// (Beijing time) for Minutes, walked to Status (requested, confirmed,
// completed with UsedMinutes and, when Rating is set, reviewed).
type Booking struct {
	Instrument  string `json:"instrument"`
	OrgKey      string `json:"org_key"`
	Weeks       int    `json:"weeks"`
	Weekday     int    `json:"weekday"`
	From        string `json:"from"`
	Minutes     int    `json:"minutes"`
	Purpose     string `json:"purpose"`
	Samples     string `json:"samples"`
	Status      string `json:"status"`
	UsedMinutes int    `json:"used_minutes,omitempty"`
	Rating      int    `json:"rating,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

// Service is a demo service of the org named by OrgKey; Key names it.
type Service struct {
	Key    string `json:"key"`
	OrgKey string `json:"org_key"`
	market.NewService
}

// ServiceOrder is a demo order of the service named by Service by the org
// named by OrgKey, walked to Status (submitted, accepted, delivered with a
// generated PDF report, completed).
type ServiceOrder struct {
	Service  string `json:"service"`
	OrgKey   string `json:"org_key"`
	Quantity int64  `json:"quantity"`
	Note     string `json:"note"`
	Status   string `json:"status"`
}

// SharingServices are what applySharing writes through.
type SharingServices struct {
	Instruments   market.InstrumentService
	Bookings      market.BookingService
	Services      market.ServiceService
	ServiceOrders market.ServiceOrderService
}

// slotStart is the Beijing wall time from on the ISO weekday at least a
// day after now, weeks later.
func slotStart(now time.Time, weeks, weekday int, from string) (time.Time, error) {
	t, err := time.Parse("15:04", from)
	if err != nil {
		return time.Time{}, fmt.Errorf("from %q: %w", from, err)
	}
	n := now.In(market.ChinaTime)
	d := time.Date(n.Year(), n.Month(), n.Day(), t.Hour(), t.Minute(), 0, 0, market.ChinaTime).AddDate(0, 0, 2)
	for market.ISOWeekday(d) != weekday {
		d = d.AddDate(0, 0, 1)
	}
	return d.AddDate(0, 0, 7*weeks), nil
}

// applySharing loads the sharing part of the demo set.
func applySharing(ctx context.Context, svc Services, s Sharing, orgs map[string]*market.Org, now time.Time, n *Counts) error {
	x := svc.Sharing
	if x == nil {
		return nil
	}
	as := func(key string) (context.Context, error) {
		o := orgs[key]
		if o == nil {
			return nil, fmt.Errorf("unknown org %q", key)
		}
		return actorOf(ctx, o), nil
	}
	instruments := map[string]*market.Instrument{}
	for _, in := range s.Instruments {
		c, err := as(in.OrgKey)
		if err != nil {
			return err
		}
		got, err := x.Instruments.CreateInstrument(c, in.InstrumentInput)
		if err != nil {
			return fmt.Errorf("instrument %s: %w", in.Key, err)
		}
		instruments[in.Key] = got
		n.Instruments++
	}
	for i, b := range s.Bookings {
		inst := instruments[b.Instrument]
		if inst == nil {
			return fmt.Errorf("booking %d: unknown instrument %q", i, b.Instrument)
		}
		c, err := as(b.OrgKey)
		if err != nil {
			return err
		}
		owner := actorOf(ctx, orgs[orgKeyOf(orgs, inst.OrgID)])
		start, err := slotStart(now, b.Weeks, b.Weekday, b.From)
		if err != nil {
			return fmt.Errorf("booking %d: %w", i, err)
		}
		end := start.Add(time.Duration(b.Minutes) * time.Minute)
		bk, err := x.Bookings.CreateBooking(c, inst.ID, market.NewBooking{StartsAt: start.Format(time.RFC3339),
			EndsAt: end.Format(time.RFC3339), Purpose: b.Purpose, Samples: b.Samples})
		if err == nil && b.Status != market.BookingRequested {
			_, err = x.Bookings.ConfirmBooking(owner, bk.ID)
		}
		if err == nil && b.Status == market.BookingCompleted {
			used := b.UsedMinutes
			_, err = x.Bookings.CompleteBooking(owner, bk.ID, market.Completion{UsedMinutes: &used})
			if err == nil && b.Rating > 0 {
				_, err = x.Bookings.ReviewBooking(c, bk.ID, market.BookingReview{Rating: b.Rating, Comment: b.Comment})
			}
		}
		if err != nil {
			return fmt.Errorf("booking %d of %s: %w", i, b.Instrument, err)
		}
		n.Bookings++
	}
	services := map[string]*market.Service{}
	for _, sv := range s.Services {
		c, err := as(sv.OrgKey)
		if err != nil {
			return err
		}
		got, err := x.Services.CreateService(c, sv.NewService)
		if err != nil {
			return fmt.Errorf("service %s: %w", sv.Key, err)
		}
		services[sv.Key] = got
		n.Services++
	}
	for i, o := range s.ServiceOrders {
		sv := services[o.Service]
		if sv == nil {
			return fmt.Errorf("service order %d: unknown service %q", i, o.Service)
		}
		c, err := as(o.OrgKey)
		if err != nil {
			return err
		}
		provider := actorOf(ctx, orgs[orgKeyOf(orgs, sv.OrgID)])
		ord, err := x.ServiceOrders.CreateServiceOrder(c, market.NewServiceOrder{ServiceID: sv.ID, Quantity: o.Quantity, Note: o.Note})
		if err == nil && o.Status != market.OrderSubmitted {
			_, err = x.ServiceOrders.MoveServiceOrder(provider, ord.ID, market.ActionAcceptOrder)
		}
		if err == nil && (o.Status == market.OrderDelivered || o.Status == market.OrderCompleted) {
			report := fmt.Sprintf("%%PDF-1.4\n%% 检测报告 %s %s\n%%%%EOF\n", sv.Name, ord.ID)
			_, err = x.ServiceOrders.DeliverServiceOrder(provider, ord.ID, "检测报告-"+ord.ID+".pdf", bytes.NewReader([]byte(report)))
		}
		if err == nil && o.Status == market.OrderCompleted {
			_, err = x.ServiceOrders.MoveServiceOrder(c, ord.ID, market.ActionCompleteOrder)
		}
		if err != nil {
			return fmt.Errorf("service order %d of %s: %w", i, o.Service, err)
		}
		n.ServiceOrders++
	}
	for _, p := range s.VoucherPolicies {
		gov := orgs[p.OrgKey]
		if gov == nil || gov.Kind != market.OrgGovernment {
			return fmt.Errorf("voucher policy %q: %q is not a government org of the demo set", deref(p.Name), p.OrgKey)
		}
		if _, err := svc.Subsidies.CreateSubsidyPolicy(actorOf(ctx, gov), p.SubsidyPolicyInput); err != nil {
			return fmt.Errorf("voucher policy %q: %w", deref(p.Name), err)
		}
		n.SubsidyPolicies++
	}
	return nil
}

func orgKeyOf(orgs map[string]*market.Org, id string) string {
	for k, o := range orgs {
		if o.ID == id {
			return k
		}
	}
	return ""
}
