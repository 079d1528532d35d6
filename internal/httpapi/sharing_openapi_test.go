package httpapi_test

import (
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

// TestOpenAPISharingConform checks the instrument, booking, service,
// service-order and voucher answers, and the requests they accept, against
// api/openapi.yaml.
func TestOpenAPISharingConform(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	c := newConformer(t, e)
	p := newParties(e)

	id := c.do(201, "POST", "/api/v1/instruments", p.seller.Token, instrumentBody(), "Idempotency-Key", "oa-instrument").Str("id")
	c.do(422, "POST", "/api/v1/instruments", p.seller.Token, instrumentBody(func(m map[string]any) { m["category"] = "nope" }))
	c.do(403, "POST", "/api/v1/instruments", p.gov.Token, instrumentBody())
	c.do(200, "GET", "/api/v1/instruments?q=SU8010&category=microscopy&region_code=450204&limit=5", "", nil)
	c.do(422, "GET", "/api/v1/instruments?status=gone", "", nil)
	c.do(200, "PATCH", "/api/v1/instruments/"+id, p.seller.Token, map[string]any{"location": "柳南区 实验楼 B203"})
	c.do(403, "PATCH", "/api/v1/instruments/"+id, p.opL.Token, map[string]any{"location": "x"})
	c.do(404, "GET", "/api/v1/instruments/nope", "", nil)

	start := mondayAt(0, 9, 0)
	bid := c.do(201, "POST", "/api/v1/instruments/"+id+"/bookings", p.buyer.Token, bookingBody(start, start.Add(time.Hour))).Str("id")
	c.do(409, "POST", "/api/v1/instruments/"+id+"/bookings", p.outsider.Token, bookingBody(start, start.Add(time.Hour)))
	c.do(422, "POST", "/api/v1/instruments/"+id+"/bookings", p.outsider.Token, bookingBody(start.Add(-time.Hour), start))
	c.do(403, "POST", "/api/v1/instruments/"+id+"/bookings", p.seller.Token, bookingBody(start, start.Add(time.Hour)))
	c.do(200, "GET", "/api/v1/instruments/"+id, "", nil)
	c.do(200, "GET", "/api/v1/bookings?role=booker&status=requested&limit=5", p.buyer.Token, nil)
	c.do(422, "GET", "/api/v1/bookings?role=judge", p.buyer.Token, nil)
	c.do(200, "GET", "/api/v1/bookings/"+bid, p.seller.Token, nil)
	c.do(404, "GET", "/api/v1/bookings/"+bid, p.outsider.Token, nil)
	c.do(200, "POST", "/api/v1/bookings/"+bid+"/confirm", p.seller.Token, nil)
	c.do(409, "POST", "/api/v1/bookings/"+bid+"/confirm", p.seller.Token, nil)
	c.do(422, "POST", "/api/v1/bookings/"+bid+"/complete", p.seller.Token, map[string]any{})
	c.do(200, "POST", "/api/v1/bookings/"+bid+"/complete", p.seller.Token, map[string]any{"used_minutes": 50})
	c.do(200, "POST", "/api/v1/bookings/"+bid+"/review", p.buyer.Token, map[string]any{"rating": 5, "comment": "很好"})
	b2 := c.do(201, "POST", "/api/v1/instruments/"+id+"/bookings", p.buyer.Token, bookingBody(start.Add(2*time.Hour), start.Add(3*time.Hour))).Str("id")
	c.do(200, "POST", "/api/v1/bookings/"+b2+"/decline", p.seller.Token, map[string]any{"reason": "检修"})
	b3 := c.do(201, "POST", "/api/v1/instruments/"+id+"/bookings", p.buyer.Token, bookingBody(start.Add(2*time.Hour), start.Add(3*time.Hour))).Str("id")
	c.do(200, "POST", "/api/v1/bookings/"+b3+"/cancel", p.buyer.Token, nil)

	sid := c.do(201, "POST", "/api/v1/services", p.seller.Token, serviceBody()).Str("id")
	c.do(403, "POST", "/api/v1/services", p.buyer.Token, serviceBody())
	c.do(200, "GET", "/api/v1/services?kind=testing&limit=5", "", nil)
	c.do(200, "GET", "/api/v1/services/"+sid, "", nil)
	oid := c.do(201, "POST", "/api/v1/service-orders", p.buyer.Token, map[string]any{"service_id": sid, "quantity": 2}).Str("id")
	c.do(200, "GET", "/api/v1/service-orders?role=client", p.buyer.Token, nil)
	c.do(200, "GET", "/api/v1/service-orders/"+oid, p.seller.Token, nil)
	c.do(200, "POST", "/api/v1/service-orders/"+oid+"/accept", p.seller.Token, nil)
	if r := deliver(e, p.seller.Token, oid, "报告.pdf", pdf("报告")); r.Status != 200 {
		t.Fatalf("deliver: %d %s", r.Status, r.Body)
	}
	c.seen["POST /api/v1/service-orders/{id}/deliver"] = true
	c.do(200, "GET", "/api/v1/service-orders/"+oid+"/report", p.buyer.Token, nil)
	c.do(404, "GET", "/api/v1/service-orders/"+oid+"/report", p.outsider.Token, nil)
	c.do(200, "POST", "/api/v1/service-orders/"+oid+"/complete", p.buyer.Token, nil)
	o2 := c.do(201, "POST", "/api/v1/service-orders", p.outsider.Token, map[string]any{"service_id": sid, "quantity": 1}).Str("id")
	c.do(200, "POST", "/api/v1/service-orders/"+o2+"/decline", p.seller.Token, map[string]any{"reason": "排期已满"})
	o3 := c.do(201, "POST", "/api/v1/service-orders", p.outsider.Token, map[string]any{"service_id": sid, "quantity": 1}).Str("id")
	c.do(200, "POST", "/api/v1/service-orders/"+o3+"/cancel", p.outsider.Token, nil)

	// Vouchers through the subsidy routes.
	pid := c.do(201, "POST", "/api/v1/subsidy-policies", p.gov.Token, voucherPolicyBody()).Str("id")
	c.do(200, "POST", "/api/v1/subsidies/quote", p.buyer.Token, map[string]string{"booking_id": bid, "policy_id": pid})
	c.do(200, "POST", "/api/v1/subsidies/quote", p.buyer.Token, map[string]string{"service_order_id": oid, "policy_id": pid})
	c.do(422, "POST", "/api/v1/subsidies/quote", p.buyer.Token, map[string]string{"booking_id": bid, "service_order_id": oid, "policy_id": pid})
	app := c.do(201, "POST", "/api/v1/subsidy-applications", p.buyer.Token, map[string]string{"booking_id": bid, "policy_id": pid}).Str("id")
	c.do(200, "POST", "/api/v1/subsidy-applications/"+app+"/review", p.gov.Token, map[string]string{"decision": "approve"})
	c.do(200, "GET", "/api/v1/subsidy-applications/"+app, p.buyer.Token, nil)
	c.do(200, "GET", "/api/v1/stats/overview", p.gov.Token, nil)
	c.do(200, "GET", "/api/v1/meta", "", nil)
}
