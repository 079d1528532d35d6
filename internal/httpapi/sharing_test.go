package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func instrumentBody(edit ...func(map[string]any)) map[string]any {
	m := map[string]any{
		"name": "场发射扫描电子显微镜", "model": "SU8010", "category": "microscopy",
		"description": "材料表面形貌与能谱分析", "region_code": "450204", "location": "柳南区 实验楼 A101",
		"fee_per_hour_fen": 30_000, "min_booking_minutes": 30,
		"open_hours": []map[string]any{{"weekday": 1, "from": "08:30", "to": "17:30"}, {"weekday": 2, "from": "08:30", "to": "17:30"}},
	}
	for _, f := range edit {
		f(m)
	}
	return m
}

func newInstrument(e *apptest.Env, owner apptest.Org, edit ...func(map[string]any)) string {
	e.T.Helper()
	return e.Must(201, "POST", "/api/v1/instruments", owner.Token, instrumentBody(edit...)).Str("id")
}

// mondayAt is the Beijing wall time hh:mm on the Monday weeks after the
// coming one (at least a day ahead, within the 90-day horizon).
func mondayAt(weeks, hh, mm int) time.Time {
	now := time.Now().In(market.ChinaTime)
	d := time.Date(now.Year(), now.Month(), now.Day(), hh, mm, 0, 0, market.ChinaTime).AddDate(0, 0, 2)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d.AddDate(0, 0, 7*weeks)
}

func bookingBody(start, end time.Time) map[string]any {
	return map[string]any{"starts_at": instant(start), "ends_at": instant(end), "purpose": "观察焊点断口形貌", "samples": "3 个焊点试样"}
}

func numField(m map[string]any, k string) float64 {
	f, _ := m[k].(float64)
	return f
}

// TestInstrumentBookingFlow: a university lists an instrument, an
// enterprise books it, the owner confirms and completes it with the fee
// from the minutes used, the booker rates it; the instrument shows its
// busy slot, average rating and booking count, and every step is audited.
func TestInstrumentBookingFlow(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		id := newInstrument(e, p.seller)
		other := newInstrument(e, p.seller, func(m map[string]any) {
			m["name"], m["model"], m["category"], m["description"] = "电感耦合等离子体质谱仪", "ICP-MS 7900", "analysis", "痕量元素"
		})
		// The public list: filters and q over name, model and description.
		if items := e.Must(200, "GET", "/api/v1/instruments?q=su8010", "", nil).Items(); len(items) != 1 || items[0]["id"] != id {
			t.Fatalf("q=su8010: %v", items)
		}
		if items := e.Must(200, "GET", "/api/v1/instruments?q=%E7%97%95%E9%87%8F", "", nil).Items(); len(items) != 1 || items[0]["id"] != other {
			t.Fatalf("q=痕量: %v", items)
		}
		if items := e.Must(200, "GET", "/api/v1/instruments?category=analysis&org_id="+p.seller.ID, "", nil).Items(); len(items) != 1 || items[0]["id"] != other {
			t.Fatalf("category=analysis: %v", items)
		}
		page1 := e.Must(200, "GET", "/api/v1/instruments?org_id="+p.seller.ID+"&limit=1", "", nil)
		page2 := e.Must(200, "GET", "/api/v1/instruments?org_id="+p.seller.ID+"&limit=1&cursor="+page1.Str("next_cursor"), "", nil)
		if len(page1.Items()) != 1 || len(page2.Items()) != 1 || page1.Items()[0]["id"] != other || page2.Items()[0]["id"] != id || page2.Str("next_cursor") != "" {
			t.Fatalf("pages: %s / %s", page1.Body, page2.Body)
		}
		e.Must(422, "GET", "/api/v1/instruments?category=nope", "", nil)

		start := mondayAt(0, 9, 0)
		b := e.Must(201, "POST", "/api/v1/instruments/"+id+"/bookings", p.buyer.Token, bookingBody(start, start.Add(2*time.Hour))).JSON()
		bid := b["id"].(string)
		if b["status"] != "requested" || b["booker_org_id"] != p.buyer.ID || b["owner_org_id"] != p.seller.ID {
			t.Fatalf("booking: %v", b)
		}
		x := e.Must(200, "GET", "/api/v1/instruments/"+id, "", nil).JSON()
		busy, _ := x["busy"].([]any)
		if len(busy) != 1 || busy[0].(map[string]any)["starts_at"] != instant(start) {
			t.Fatalf("busy: %v", x["busy"])
		}
		// The booker may not confirm or complete; others do not see it.
		e.Must(403, "POST", "/api/v1/bookings/"+bid+"/confirm", p.buyer.Token, nil)
		e.Must(404, "GET", "/api/v1/bookings/"+bid, p.outsider.Token, nil)
		e.Must(404, "POST", "/api/v1/bookings/"+bid+"/complete", p.outsider.Token, map[string]any{"used_minutes": 60})
		e.Must(409, "POST", "/api/v1/bookings/"+bid+"/complete", p.seller.Token, map[string]any{"used_minutes": 60})
		e.Must(200, "POST", "/api/v1/bookings/"+bid+"/confirm", p.seller.Token, nil)
		e.Must(403, "POST", "/api/v1/bookings/"+bid+"/complete", p.buyer.Token, map[string]any{"used_minutes": 60})
		e.Must(422, "POST", "/api/v1/bookings/"+bid+"/complete", p.seller.Token, map[string]any{"used_minutes": 121})
		e.Must(409, "POST", "/api/v1/bookings/"+bid+"/review", p.buyer.Token, map[string]any{"rating": 5})
		// Used 95 of the 120 minutes booked: 95 / 60 × 30000 = 47500 fen.
		done := e.Must(200, "POST", "/api/v1/bookings/"+bid+"/complete", p.seller.Token, map[string]any{"used_minutes": 95}).JSON()
		if done["status"] != "completed" || numField(done, "fee_fen") != 47_500 || numField(done, "used_minutes") != 95 {
			t.Fatalf("completed: %v", done)
		}
		e.Must(403, "POST", "/api/v1/bookings/"+bid+"/review", p.seller.Token, map[string]any{"rating": 5})
		e.Must(422, "POST", "/api/v1/bookings/"+bid+"/review", p.buyer.Token, map[string]any{"rating": 0})
		e.Must(200, "POST", "/api/v1/bookings/"+bid+"/review", p.buyer.Token, map[string]any{"rating": 4, "comment": "图像清晰"})
		e.Must(409, "POST", "/api/v1/bookings/"+bid+"/review", p.buyer.Token, map[string]any{"rating": 5})

		// A second booking, 45 minutes at a fee of 12 345 fen/h:
		// 45 × 12345 / 60 = 9258.75 → 9259 fen; rated 5.
		e.Must(200, "PATCH", "/api/v1/instruments/"+id, p.seller.Token, map[string]any{"fee_per_hour_fen": 12_345})
		b2 := e.Must(201, "POST", "/api/v1/instruments/"+id+"/bookings", p.outsider.Token, bookingBody(start.Add(3*time.Hour), start.Add(4*time.Hour))).Str("id")
		e.Must(200, "POST", "/api/v1/bookings/"+b2+"/confirm", p.seller.Token, map[string]any{})
		if f := numField(e.Must(200, "POST", "/api/v1/bookings/"+b2+"/complete", p.seller.Token, map[string]any{"used_minutes": 45}).JSON(), "fee_fen"); f != 9_259 {
			t.Fatalf("fee %v, want 9259", f)
		}
		e.Must(200, "POST", "/api/v1/bookings/"+b2+"/review", p.outsider.Token, map[string]any{"rating": 5})
		x = e.Must(200, "GET", "/api/v1/instruments/"+id, "", nil).JSON()
		if numField(x, "rating_avg") != 4.5 || numField(x, "rating_count") != 2 || numField(x, "booking_count") != 2 || x["busy"] != nil {
			t.Fatalf("instrument: %v", x)
		}

		// Lists: the booker sees its own, the owner both.
		if n := len(e.Must(200, "GET", "/api/v1/bookings", p.buyer.Token, nil).Items()); n != 1 {
			t.Errorf("booker lists %d", n)
		}
		if n := len(e.Must(200, "GET", "/api/v1/bookings?role=owner", p.seller.Token, nil).Items()); n != 2 {
			t.Errorf("owner lists %d", n)
		}
		if n := len(e.Must(200, "GET", "/api/v1/bookings?role=booker", p.seller.Token, nil).Items()); n != 0 {
			t.Errorf("owner as booker lists %d", n)
		}

		// An operator suspends the instrument (status only); it takes no
		// bookings then.
		e.Must(403, "PATCH", "/api/v1/instruments/"+id, p.opL.Token, map[string]any{"name": "改名"})
		e.Must(403, "PATCH", "/api/v1/instruments/"+id, p.buyer.Token, map[string]any{"status": "suspended"})
		e.Must(200, "PATCH", "/api/v1/instruments/"+id, p.opL.Token, map[string]any{"status": "suspended"})
		e.Must(409, "POST", "/api/v1/instruments/"+id+"/bookings", p.buyer.Token, bookingBody(start.Add(7*24*time.Hour), start.Add(7*24*time.Hour+time.Hour)))

		for _, ent := range []struct {
			entity, id string
			n          int
		}{{"booking", bid, 4}, {"instrument", id, 7}} {
			if n := count(t, e, "audit_events", "entity = ? AND entity_id = ?", ent.entity, ent.id); n != ent.n {
				t.Errorf("%s %s: %d audit events, want %d", ent.entity, ent.id, n, ent.n)
			}
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}
	})
}

// TestBookingBadInput: every refused booking is the right 4xx naming its
// field, and nothing is stored or audited.
func TestBookingBadInput(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		id := newInstrument(e, p.seller)
		mon := mondayAt(0, 0, 0)
		at := func(days, hh, mm int) time.Time {
			return mon.AddDate(0, 0, days).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
		}
		bookings, audits := count(t, e, "bookings", ""), count(t, e, "audit_events", "")
		past := time.Now().Add(-7 * 24 * time.Hour)
		for _, c := range []struct {
			name       string
			token      string
			start, end time.Time
			status     int
			field      string
		}{
			{"own instrument", p.seller.Token, at(0, 9, 0), at(0, 10, 0), 403, ""},
			{"08:00 Beijing on a Monday, hours from 08:30", p.buyer.Token, at(0, 8, 0), at(0, 9, 0), 422, "starts_at"},
			{"Wednesday: closed", p.buyer.Token, at(2, 9, 0), at(2, 10, 0), 422, "starts_at"},
			{"in the past", p.buyer.Token, past, past.Add(time.Hour), 422, "starts_at"},
			{"past 90 days", p.buyer.Token, at(91, 9, 0), at(91, 10, 0), 422, "starts_at"},
			{"shorter than the minimum", p.buyer.Token, at(0, 9, 0), at(0, 9, 29), 422, "ends_at"},
			{"ends before it starts", p.buyer.Token, at(0, 10, 0), at(0, 9, 0), 422, "ends_at"},
			{"a government org", p.gov.Token, at(0, 9, 0), at(0, 10, 0), 403, ""},
			{"unknown instrument", p.buyer.Token, at(0, 9, 0), at(0, 10, 0), 404, ""},
		} {
			path := "/api/v1/instruments/" + id + "/bookings"
			if c.name == "unknown instrument" {
				path = "/api/v1/instruments/01ARZ3NDEKTSV4RRFFQ69G5FAV/bookings"
			}
			r := e.Do("POST", path, c.token, bookingBody(c.start, c.end))
			if r.Status != c.status || (c.field != "" && !strings.Contains(string(r.Body), fmt.Sprintf(`"field":%q`, c.field))) {
				t.Errorf("%s: %d %s, want %d naming %q", c.name, r.Status, r.Body, c.status, c.field)
			}
		}
		unknown := map[string]any{"starts_at": instant(at(0, 9, 0)), "ends_at": instant(at(0, 10, 0)), "purpose": "x", "price": 1}
		if r := e.Do("POST", "/api/v1/instruments/"+id+"/bookings", p.buyer.Token, unknown); r.Status != 422 || !strings.Contains(string(r.Body), `"field":"price"`) {
			t.Errorf("unknown field: %d %s", r.Status, r.Body)
		}
		if n := count(t, e, "bookings", ""); n != bookings {
			t.Fatalf("refused bookings stored %d rows", n-bookings)
		}
		if n := count(t, e, "audit_events", ""); n != audits {
			t.Fatalf("refused bookings wrote %d audit events", n-audits)
		}
		// 09:00 on the same Monday is fine; weekday 1 is Monday.
		bid := e.Must(201, "POST", "/api/v1/instruments/"+id+"/bookings", p.buyer.Token, bookingBody(at(0, 9, 0), at(0, 10, 0))).Str("id")
		// Completing someone else's booking changes nothing.
		e.Must(200, "POST", "/api/v1/bookings/"+bid+"/confirm", p.seller.Token, nil)
		audits = count(t, e, "audit_events", "")
		e.Must(404, "POST", "/api/v1/bookings/"+bid+"/complete", p.outsider.Token, map[string]any{"used_minutes": 60})
		e.Must(403, "POST", "/api/v1/bookings/"+bid+"/complete", p.buyer.Token, map[string]any{"used_minutes": 60})
		e.Must(404, "POST", "/api/v1/bookings/"+bid+"/cancel", p.outsider.Token, nil)
		if b := e.Must(200, "GET", "/api/v1/bookings/"+bid, p.buyer.Token, nil).JSON(); b["status"] != "confirmed" || b["fee_fen"] != nil {
			t.Fatalf("after refused completions: %v", b)
		}
		if n := count(t, e, "audit_events", ""); n != audits {
			t.Fatalf("refused completions wrote %d audit events", n-audits)
		}
		// The booker cancels before the start; the slot is free again.
		e.Must(200, "POST", "/api/v1/bookings/"+bid+"/cancel", p.buyer.Token, nil)
		e.Must(201, "POST", "/api/v1/instruments/"+id+"/bookings", p.outsider.Token, bookingBody(at(0, 9, 0), at(0, 10, 0)))
	})
}
