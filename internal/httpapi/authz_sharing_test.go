package httpapi_test

// The sharing rows of the authorization matrix: instruments and services
// of the university, bookings and service orders of the owner enterprise,
// written from SPEC ("by a verified org other than the owner", "the
// owner", "the booker", "downloadable by both parties only") and the
// rules of market/instrument.go and market/service.go.

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"time"
)

// sharingFixtures are made on first use: one of each state the rows need.
type sharingFixtures struct {
	instrument                      string // the university's, active
	requested, confirmed, completed string // own's bookings of it
	service                         string // the university's
	submitted, accepted, delivered  string // own's orders of it
	slot                            int    // the next free hour for a fresh booking
}

func (f *authzFixtures) sharingFx() *sharingFixtures {
	if f.sharing == nil {
		s := &sharingFixtures{}
		f.sharing = s
		s.instrument = f.freshInstrument()
		s.requested = f.freshBooking("requested")
		s.confirmed = f.freshBooking("confirmed")
		s.completed = f.freshBooking("completed")
		s.service = f.must(201, "POST", "/api/v1/services", univ, serviceBody()).Str("id")
		s.submitted = f.freshOrder("submitted")
		s.accepted = f.freshOrder("accepted")
		s.delivered = f.freshOrder("delivered")
	}
	return f.sharing
}

func (f *authzFixtures) freshInstrument() string {
	f.t.Helper()
	return f.must(201, "POST", "/api/v1/instruments", univ, instrumentBody()).Str("id")
}

// nextSlot is a free hour on the shared instrument: Mondays from 09:00,
// eight a day, week after week.
func (f *authzFixtures) nextSlot() (time.Time, time.Time) {
	s := f.sharingFx()
	n := s.slot
	s.slot++
	start := mondayAt(n/8, 9+n%8, 0)
	return start, start.Add(time.Hour)
}

// freshBooking is own's booking of the shared instrument, moved to state.
func (f *authzFixtures) freshBooking(state string) string {
	f.t.Helper()
	start, end := f.nextSlot()
	id := f.must(201, "POST", "/api/v1/instruments/"+f.sharingFx().instrument+"/bookings", own, bookingBody(start, end)).Str("id")
	if state != "requested" {
		f.must(200, "POST", "/api/v1/bookings/"+id+"/confirm", univ, nil)
	}
	if state == "completed" {
		f.must(200, "POST", "/api/v1/bookings/"+id+"/complete", univ, map[string]any{"used_minutes": 60})
	}
	return id
}

// freshOrder is own's order of the shared service, moved to state.
func (f *authzFixtures) freshOrder(state string) string {
	f.t.Helper()
	id := f.must(201, "POST", "/api/v1/service-orders", own, map[string]any{"service_id": f.sharingFx().service, "quantity": 1}).Str("id")
	if state != "submitted" {
		f.must(200, "POST", "/api/v1/service-orders/"+id+"/accept", univ, nil)
	}
	if state == "delivered" {
		if r := deliver(f.e, f.org[univ].Token, id, "report.pdf", pdf(id)); r.Status != 200 {
			f.t.Fatalf("authz fixture: deliver: %d %s", r.Status, r.Body)
		}
	}
	return id
}

// onShared acts on a sharing fixture (format holds its id); fresh targets
// come from make.
func onShared(format string, shared func(*sharingFixtures) string, make func(*authzFixtures) string,
	body func(f *authzFixtures, r role) any) reqFunc {
	return func(f *authzFixtures, r role, fresh bool) authzReq {
		id := shared(f.sharingFx())
		if fresh {
			id = make(f)
		}
		req := authzReq{path: fmt.Sprintf(format, id)}
		if body != nil {
			req.body = body(f, r)
		}
		return req
	}
}

func sharedList(path string) reqFunc {
	return func(f *authzFixtures, _ role, _ bool) authzReq {
		f.sharingFx()
		return authzReq{path: path}
	}
}

func deliverReq(f *authzFixtures, r role, fresh bool) authzReq {
	id := f.sharingFx().accepted
	if fresh {
		id = f.freshOrder("accepted")
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "report.pdf")
	_, _ = fw.Write(pdf(id + r.String()))
	_ = mw.Close()
	return authzReq{path: "/api/v1/service-orders/" + id + "/deliver", body: buf.Bytes(),
		headers: []string{"Content-Type", mw.FormDataContentType()}}
}

func sharingAuthzCases() []authzCase {
	all := w{A, A, A, A, A, A, A, A, A}
	inst := func(s *sharingFixtures) string { return s.instrument }
	bookAs := func(f *authzFixtures, _ role) any { start, end := f.nextSlot(); return bookingBody(start, end) }
	booking := func(state string) func(*authzFixtures) string {
		return func(f *authzFixtures) string { return f.freshBooking(state) }
	}
	order := func(state string) func(*authzFixtures) string {
		return func(f *authzFixtures) string { return f.freshOrder(state) }
	}
	reason := func(*authzFixtures, role) any { return map[string]string{"reason": "排期冲突"} }
	return []authzCase{
		// Instruments: listed by verified enterprises, universities and
		// institutes; public to read; changed by the owner, suspended by
		// an operator.
		{"POST", "/api/v1/instruments", "", w{U, F, A, A, A, F, F, F, F}, true, fixed("/api/v1/instruments", instrumentBody()), ""},
		{"GET", "/api/v1/instruments", "", all, false, sharedList("/api/v1/instruments"), ""},
		{"GET", "/api/v1/instruments/:id", "", all, false, onShared("/api/v1/instruments/%s", inst, nil, nil), ""},
		{"PATCH", "/api/v1/instruments/:id", "fields", w{U, F, F, F, A, F, F, F, F}, true,
			onShared("/api/v1/instruments/%s", inst, (*authzFixtures).freshInstrument, func(*authzFixtures, role) any { return map[string]any{"location": "B203"} }), ""},
		{"PATCH", "/api/v1/instruments/:id", "status", w{U, F, F, F, A, A, A, F, F}, true,
			onShared("/api/v1/instruments/%s", inst, (*authzFixtures).freshInstrument, func(*authzFixtures, role) any { return map[string]any{"status": "suspended"} }), ""},
		// Bookings: anyone verified but the owner books; the booking is the
		// booker's and the owner's only.
		{"POST", "/api/v1/instruments/:id/bookings", "", w{U, F, A, A, F, F, F, F, F}, true,
			onShared("/api/v1/instruments/%s/bookings", inst, func(f *authzFixtures) string { return f.sharingFx().instrument }, bookAs), ""},
		{"GET", "/api/v1/bookings", "", w{U, A, A, A, A, A, A, A, F}, false, sharedList("/api/v1/bookings"), ""},
		{"GET", "/api/v1/bookings", "booking listed", w{U, N, A, N, A, N, N, N, F}, false, sharedList("/api/v1/bookings?limit=100"), "booking"},
		{"GET", "/api/v1/bookings/:id", "", w{U, N, A, N, A, N, N, N, N}, false,
			onShared("/api/v1/bookings/%s", func(s *sharingFixtures) string { return s.requested }, nil, nil), ""},
		{"POST", "/api/v1/bookings/:id/confirm", "requested", w{U, N, F, N, A, N, N, N, N}, true,
			onShared("/api/v1/bookings/%s/confirm", func(s *sharingFixtures) string { return s.requested }, booking("requested"), nil), ""},
		{"POST", "/api/v1/bookings/:id/decline", "requested", w{U, N, F, N, A, N, N, N, N}, true,
			onShared("/api/v1/bookings/%s/decline", func(s *sharingFixtures) string { return s.requested }, booking("requested"), reason), ""},
		{"POST", "/api/v1/bookings/:id/cancel", "requested", w{U, N, A, N, F, N, N, N, N}, true,
			onShared("/api/v1/bookings/%s/cancel", func(s *sharingFixtures) string { return s.requested }, booking("requested"), nil), ""},
		{"POST", "/api/v1/bookings/:id/complete", "confirmed", w{U, N, F, N, A, N, N, N, N}, true,
			onShared("/api/v1/bookings/%s/complete", func(s *sharingFixtures) string { return s.confirmed }, booking("confirmed"),
				func(*authzFixtures, role) any { return map[string]any{"used_minutes": 45} }), ""},
		{"POST", "/api/v1/bookings/:id/review", "completed", w{U, N, A, N, F, N, N, N, N}, true,
			onShared("/api/v1/bookings/%s/review", func(s *sharingFixtures) string { return s.completed }, booking("completed"),
				func(*authzFixtures, role) any { return map[string]any{"rating": 4} }), ""},

		// Services: offered by verified universities and institutes, public
		// to read; an order is its client's and provider's only, and so is
		// its report.
		{"POST", "/api/v1/services", "", w{U, F, F, F, A, F, F, F, F}, true, fixed("/api/v1/services", serviceBody()), ""},
		{"GET", "/api/v1/services", "", all, false, sharedList("/api/v1/services"), ""},
		{"GET", "/api/v1/services/:id", "", all, false, onShared("/api/v1/services/%s", func(s *sharingFixtures) string { return s.service }, nil, nil), ""},
		{"POST", "/api/v1/service-orders", "", w{U, F, A, A, F, F, F, F, F}, true,
			func(f *authzFixtures, _ role, _ bool) authzReq {
				return authzReq{path: "/api/v1/service-orders", body: map[string]any{"service_id": f.sharingFx().service, "quantity": 1}}
			}, ""},
		{"GET", "/api/v1/service-orders", "", w{U, A, A, A, A, A, A, A, F}, false, sharedList("/api/v1/service-orders"), ""},
		{"GET", "/api/v1/service-orders", "order listed", w{U, N, A, N, A, N, N, N, F}, false, sharedList("/api/v1/service-orders?limit=100"), "order"},
		{"GET", "/api/v1/service-orders/:id", "", w{U, N, A, N, A, N, N, N, N}, false,
			onShared("/api/v1/service-orders/%s", func(s *sharingFixtures) string { return s.submitted }, nil, nil), ""},
		{"POST", "/api/v1/service-orders/:id/accept", "submitted", w{U, N, F, N, A, N, N, N, N}, true,
			onShared("/api/v1/service-orders/%s/accept", func(s *sharingFixtures) string { return s.submitted }, order("submitted"), nil), ""},
		{"POST", "/api/v1/service-orders/:id/decline", "submitted", w{U, N, F, N, A, N, N, N, N}, true,
			onShared("/api/v1/service-orders/%s/decline", func(s *sharingFixtures) string { return s.submitted }, order("submitted"), reason), ""},
		{"POST", "/api/v1/service-orders/:id/cancel", "submitted", w{U, N, A, N, F, N, N, N, N}, true,
			onShared("/api/v1/service-orders/%s/cancel", func(s *sharingFixtures) string { return s.submitted }, order("submitted"), nil), ""},
		{"POST", "/api/v1/service-orders/:id/deliver", "accepted", w{U, N, F, N, A, N, N, N, N}, true, deliverReq, ""},
		{"POST", "/api/v1/service-orders/:id/complete", "delivered", w{U, N, A, N, F, N, N, N, N}, true,
			onShared("/api/v1/service-orders/%s/complete", func(s *sharingFixtures) string { return s.delivered }, order("delivered"), nil), ""},
		{"GET", "/api/v1/service-orders/:id/report", "delivered", w{U, N, A, N, A, N, N, N, N}, false,
			onShared("/api/v1/service-orders/%s/report", func(s *sharingFixtures) string { return s.delivered }, nil, nil), ""},
	}
}
