package httpapi_test

import (
	"bytes"
	"mime/multipart"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

func serviceBody() map[string]any {
	return map[string]any{"name": "金属材料拉伸性能检测", "kind": "testing", "description": "GB/T 228.1 室温拉伸",
		"price_fen": 12_345, "unit": "件", "turnaround_days": 5}
}

// deliver sends a report file for a service order.
func deliver(e *apptest.Env, token, orderID, filename string, content []byte) *apptest.Response {
	e.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			e.T.Fatal(err)
		}
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	return e.Do("POST", "/api/v1/service-orders/"+orderID+"/deliver", token, buf.Bytes(), "Content-Type", mw.FormDataContentType())
}

// TestServiceOrderFlow: an institute offers a service, an enterprise
// orders it (fee = quantity × price), the provider accepts and delivers a
// report that only the two parties download; the client completes it.
func TestServiceOrderFlow(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		e.Must(403, "POST", "/api/v1/services", p.buyer.Token, serviceBody())
		sid := e.Must(201, "POST", "/api/v1/services", p.seller.Token, serviceBody()).Str("id")
		if items := e.Must(200, "GET", "/api/v1/services?kind=testing&org_id="+p.seller.ID, "", nil).Items(); len(items) != 1 || items[0]["id"] != sid {
			t.Fatalf("services: %v", items)
		}
		e.Must(403, "POST", "/api/v1/service-orders", p.seller.Token, map[string]any{"service_id": sid, "quantity": 1})
		e.Must(422, "POST", "/api/v1/service-orders", p.buyer.Token, map[string]any{"service_id": sid, "quantity": 0})
		e.Must(422, "POST", "/api/v1/service-orders", p.buyer.Token, map[string]any{"service_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "quantity": 1})
		o := e.Must(201, "POST", "/api/v1/service-orders", p.buyer.Token, map[string]any{"service_id": sid, "quantity": 3, "note": "3 根试棒"}).JSON()
		oid := o["id"].(string)
		if o["status"] != "submitted" || numField(o, "fee_fen") != 37_035 {
			t.Fatalf("order: %v", o)
		}
		e.Must(404, "GET", "/api/v1/service-orders/"+oid, p.outsider.Token, nil)
		e.Must(403, "POST", "/api/v1/service-orders/"+oid+"/accept", p.buyer.Token, nil)
		// Delivery needs an accepted order and comes from the provider.
		if r := deliver(e, p.seller.Token, oid, "report.pdf", pdf("报告")); r.Status != 409 {
			t.Fatalf("deliver submitted: %d %s", r.Status, r.Body)
		}
		e.Must(200, "POST", "/api/v1/service-orders/"+oid+"/accept", p.seller.Token, nil)
		if r := deliver(e, p.buyer.Token, oid, "report.pdf", pdf("报告")); r.Status != 403 {
			t.Fatalf("client delivers: %d %s", r.Status, r.Body)
		}
		if r := deliver(e, p.seller.Token, oid, "report.txt", []byte("plain text")); r.Status != 422 {
			t.Fatalf("text report: %d %s", r.Status, r.Body)
		}
		if r := deliver(e, p.seller.Token, oid, "", nil); r.Status != 422 {
			t.Fatalf("no file: %d %s", r.Status, r.Body)
		}
		e.Must(404, "GET", "/api/v1/service-orders/"+oid+"/report", p.buyer.Token, nil)
		content := pdf("拉伸检测报告 No. 2026-001")
		r := deliver(e, p.seller.Token, oid, "../../检测报告.pdf", content)
		if r.Status != 200 || r.JSON()["status"] != "delivered" {
			t.Fatalf("deliver: %d %s", r.Status, r.Body)
		}
		for _, who := range []apptest.Org{p.buyer, p.seller} {
			got := e.Must(200, "GET", "/api/v1/service-orders/"+oid+"/report", who.Token, nil)
			if !bytes.Equal(got.Body, content) || got.Header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("report for %s: %q %v", who.ID, got.Body, got.Header)
			}
		}
		audits := count(t, e, "audit_events", "")
		for _, who := range []apptest.Org{p.outsider, p.opL, p.gov} {
			e.Must(404, "GET", "/api/v1/service-orders/"+oid+"/report", who.Token, nil)
		}
		e.Must(401, "GET", "/api/v1/service-orders/"+oid+"/report", "", nil)
		if n := count(t, e, "audit_events", ""); n != audits {
			t.Fatalf("refused downloads wrote %d audit events", n-audits)
		}
		e.Must(409, "POST", "/api/v1/service-orders/"+oid+"/cancel", p.buyer.Token, nil)
		e.Must(403, "POST", "/api/v1/service-orders/"+oid+"/complete", p.seller.Token, nil)
		if o := e.Must(200, "POST", "/api/v1/service-orders/"+oid+"/complete", p.buyer.Token, nil).JSON(); o["status"] != "completed" {
			t.Fatalf("complete: %v", o)
		}
		// A second order is declined with a reason.
		o2 := e.Must(201, "POST", "/api/v1/service-orders", p.outsider.Token, map[string]any{"service_id": sid, "quantity": 1}).Str("id")
		e.Must(422, "POST", "/api/v1/service-orders/"+o2+"/decline", p.seller.Token, map[string]any{})
		if o := e.Must(200, "POST", "/api/v1/service-orders/"+o2+"/decline", p.seller.Token, map[string]any{"reason": "排期已满"}).JSON(); o["status"] != "declined" {
			t.Fatalf("decline: %v", o)
		}
		if n := len(e.Must(200, "GET", "/api/v1/service-orders?role=provider", p.seller.Token, nil).Items()); n != 2 {
			t.Errorf("provider lists %d orders", n)
		}
		if n := count(t, e, "audit_events", "entity = 'service_order' AND entity_id = ?", oid); n != 4 {
			t.Errorf("%d audit events of the order, want 4", n)
		}
	})
}
