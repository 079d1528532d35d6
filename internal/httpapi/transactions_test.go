package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestTransactionLifecycle(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		base := "/api/v1/transactions/"

		// The liuzhou operator logs an offline deal.
		body := transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)
		body["contract_no"] = " ht-2026 0001 "
		r := e.Must(201, "POST", "/api/v1/transactions", p.opL.Token, body)
		d := asTransaction(t, r)
		// The number shows as entered (trimmed); it is compared folded.
		if d.Status != "signed" || d.Channel != "offline" || d.ContractNo != "ht-2026 0001" || d.PaidFen != 0 ||
			d.Payments == nil || len(d.Payments) != 0 || r.JSON()["created_at"] == nil {
			t.Fatalf("created: %s", r.Body)
		}
		id := d.ID

		// A first payment keeps it signed.
		d = asTransaction(t, e.Must(201, "POST", base+id+"/payments", p.opL.Token, payment(300_000, "PZ-1")))
		if d.Status != "signed" || d.PaidFen != 300_000 || len(d.Payments) != 1 || d.Payments[0].VoucherNo != "PZ-1" {
			t.Fatalf("after payment: %+v", d)
		}
		// Registration with a certified amount below what is declared.
		d = asTransaction(t, e.Must(200, "POST", base+id+"/register", p.opL.Token, registration("DJ-2026-1", 600_000)))
		if d.Status != "registered" || d.TechAmount != 600_000 || d.RegistrationNo != "DJ-2026-1" {
			t.Fatalf("registered: %+v", d)
		}
		// Paying the certified amount settles it: registered + paid.
		d = asTransaction(t, e.Must(201, "POST", base+id+"/payments", p.opL.Token, payment(300_000, "PZ-2")))
		if d.Status != "paid" || d.PaidFen != 600_000 || len(d.Payments) != 2 {
			t.Fatalf("paid: %+v", d)
		}
		// No payment on a paid deal; no cancelling it either.
		r = e.Must(409, "POST", base+id+"/payments", p.opL.Token, payment(1, "PZ-3"))
		if !strings.Contains(r.Str("detail"), "paid") {
			t.Fatalf("conflict does not name the state: %s", r.Body)
		}
		e.Must(409, "POST", base+id+"/cancel", p.opL.Token, map[string]string{"reason": "晚了"})
		e.Must(409, "POST", base+id+"/register", p.opL.Token, registration("DJ-2026-X", nil))
		d = asTransaction(t, e.Must(200, "POST", base+id+"/complete", p.opL.Token, "{}"))
		if d.Status != "completed" {
			t.Fatalf("completed: %+v", d)
		}
		r = e.Must(409, "POST", base+id+"/complete", p.opL.Token, nil)
		if !strings.Contains(r.Str("detail"), "completed") {
			t.Fatalf("conflict does not name the state: %s", r.Body)
		}
		got := e.Must(200, "GET", base+id, p.buyer.Token, nil).JSON()
		if got["paid_fen"] != float64(600_000) || len(got["payments"].([]any)) != 2 || got["certified_tech_amount_fen"] != float64(600_000) ||
			got["declared_tech_amount_fen"] != float64(800_000) {
			t.Fatalf("GET: %v", got)
		}

		// The other order: paid in full first, registration then settles it.
		id2 := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		e.Must(201, "POST", base+id2+"/payments", p.opL.Token, payment(800_000, "A-1"))
		d = asTransaction(t, e.Must(200, "POST", base+id2+"/register", p.opL.Token, registration("DJ-2026-2", nil)))
		if d.Status != "paid" || d.TechAmount != 800_000 {
			t.Fatalf("register after payment: %+v", d)
		}

		// Cancel from registered; nothing moves a cancelled deal.
		id3 := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		e.Must(200, "POST", base+id3+"/register", p.opL.Token, registration("DJ-2026-3", nil))
		e.Must(422, "POST", base+id3+"/cancel", p.opL.Token, "{}")
		d = asTransaction(t, e.Must(200, "POST", base+id3+"/cancel", p.opL.Token, map[string]string{"reason": "买方放弃"}))
		if d.Status != "cancelled" || d.CancelReason != "买方放弃" {
			t.Fatalf("cancelled: %+v", d)
		}
		for _, action := range []string{"payments", "register", "complete", "cancel"} {
			var b any = payment(1, "Z")
			switch action {
			case "register":
				b = registration("DJ-Z", nil)
			case "cancel":
				b = map[string]string{"reason": "再取消"}
			case "complete":
				b = nil
			}
			r := e.Must(409, "POST", base+id3+"/"+action, p.opL.Token, b)
			if !strings.Contains(r.Str("detail"), "cancelled") {
				t.Errorf("%s on cancelled: %s", action, r.Body)
			}
		}

		// Every change is audited in the same transaction, and the chain holds.
		var actions []string
		for _, ev := range e.Must(200, "GET", "/api/v1/audit?entity=transaction&entity_id="+id, e.AdminToken, nil).Items() {
			actions = append(actions, ev["action"].(string))
		}
		if got := strings.Join(actions, ","); got != "create,pay,register,pay,complete" {
			t.Fatalf("audit actions: %s", got)
		}
		if n := len(e.Must(200, "GET", "/api/v1/audit?entity=payment", e.AdminToken, nil).Items()); n != 3 {
			t.Fatalf("payment audit events: %d, want 3", n)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}
	})
}

func TestTransactionFromIntent(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		aid := e.Publish("achievements", p.seller, p.opL, apptest.Achievement())
		iid := e.Must(201, "POST", "/api/v1/intents", p.buyer.Token, map[string]any{"achievement_id": aid, "message": "希望洽谈许可"}).Str("id")
		body := transactionBody(p, market.MarketGuizhong, market.ChannelOnline)
		delete(body, "buyer_org_id")
		delete(body, "seller_org_id")
		body["intent_id"] = iid

		// A pending intent does not make a deal.
		r := e.Must(422, "POST", "/api/v1/transactions", p.buyer.Token, body)
		if !strings.Contains(string(r.Body), `"field":"intent_id"`) {
			t.Fatalf("pending intent: %s", r.Body)
		}
		e.Must(200, "POST", "/api/v1/intents/"+iid+"/accept", p.seller.Token, nil)
		// Not a party of the intent: it does not exist for the outsider.
		e.Must(422, "POST", "/api/v1/transactions", p.outsider.Token, body)
		// Parties that contradict the intent are refused.
		bad := transactionBody(p, market.MarketGuizhong, market.ChannelOnline)
		bad["intent_id"], bad["buyer_org_id"], bad["seller_org_id"] = iid, p.seller.ID, p.buyer.ID
		e.Must(422, "POST", "/api/v1/transactions", p.buyer.Token, bad)

		d := asTransaction(t, e.Must(201, "POST", "/api/v1/transactions", p.seller.Token, body))
		if d.BuyerOrgID != p.buyer.ID || d.SellerOrgID != p.seller.ID || d.AchievementID != aid || d.IntentID != iid ||
			d.Channel != "online" || d.Market != "guizhong" {
			t.Fatalf("deal from intent: %+v", d)
		}
		// A deal from an accepted intent between the two is signed at once.
		if d.Status != "signed" {
			t.Fatalf("deal from an accepted intent: %+v", d)
		}
		// Parties add payments to their online deal, the other party
		// confirms them; the operator registers.
		d = asTransaction(t, e.Must(201, "POST", "/api/v1/transactions/"+d.ID+"/payments", p.buyer.Token, payment(800_000, "WX-1")))
		d = asTransaction(t, e.Must(200, "POST", "/api/v1/transactions/"+d.ID+"/register", p.opG.Token, registration(uniqueNo("DJ"), nil)))
		if d.Status != "registered" || d.PaidFen != 0 || d.BookedFen != 800_000 {
			t.Fatalf("registered with an unconfirmed payment: %+v", d)
		}
		d = asTransaction(t, e.Must(200, "POST", "/api/v1/transactions/"+d.ID+"/payments/"+d.Payments[0].ID+"/confirm", p.seller.Token, nil))
		if d.Status != "paid" || d.PaidFen != 800_000 || !d.Payments[0].Confirmed {
			t.Fatalf("online deal: %+v", d)
		}
	})
}

func TestTransactionDuplicateContractAcrossMarkets(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		body := transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)
		body["contract_no"] = "LZ-2026-0042"
		id := e.Must(201, "POST", "/api/v1/transactions", p.opL.Token, body).Str("id")
		audits := count(t, e, "audit_events", "")

		// The same contract, spelt a little differently (lower case,
		// full-width), in the other market. Its operator learns that the
		// number is taken, not which deal of the other market holds it.
		for _, no := range []string{" lz-2026-0042", "ＬＺ－２０２６－００４２"} {
			body["market"], body["contract_no"] = market.MarketGuizhong, no
			r := e.Must(409, "POST", "/api/v1/transactions", p.opG.Token, body)
			if d := r.Str("detail"); strings.Contains(d, id) || strings.Contains(d, "liuzhou") {
				t.Fatalf("the conflict names the other market's deal to its operator: %s", r.Body)
			}
			if !strings.Contains(string(r.Body), `"field":"contract_no"`) {
				t.Fatalf("conflict does not name the field: %s", r.Body)
			}
		}
		// Nor may the buyer enter it again online; a party of the deal is
		// told which deal holds the number.
		body["channel"] = market.ChannelOnline
		r := e.Must(409, "POST", "/api/v1/transactions", p.buyer.Token, body)
		if d := r.Str("detail"); !strings.Contains(d, id) || !strings.Contains(d, "liuzhou") {
			t.Fatalf("conflict does not name the deal and its market to its party: %s", r.Body)
		}
		// The outsider, party to nothing, learns nothing either.
		body["buyer_org_id"] = p.outsider.ID
		r = e.Must(409, "POST", "/api/v1/transactions", p.outsider.Token, body)
		if strings.Contains(r.Str("detail"), id) || !hasField(r, "contract_no") {
			t.Fatalf("conflict to an outsider: %s", r.Body)
		}
		if n := count(t, e, "transactions", ""); n != 1 {
			t.Fatalf("%d deals, want 1", n)
		}
		if n := count(t, e, "audit_events", ""); n != audits {
			t.Fatalf("audit events %d, want %d", n, audits)
		}
	})
}

func TestTransactionPaymentRules(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		pay := "/api/v1/transactions/" + id + "/payments"
		e.Must(201, "POST", pay, p.opL.Token, payment(600_000, "V-1"))

		// Overflow: 600 000 + 500 000 > 1 000 000. Nothing is stored.
		r := e.Must(422, "POST", pay, p.opL.Token, payment(500_000, "V-2"))
		if !strings.Contains(string(r.Body), `"field":"amount_fen"`) {
			t.Fatalf("overflow does not name amount_fen: %s", r.Body)
		}
		if status, paid, n := transactionState(t, e, id); status != "signed" || paid != 600_000 || n != 1 {
			t.Fatalf("after overflow: %s %d %d", status, paid, n)
		}
		// Exactly the rest is fine; a deal may be paid past its tech amount
		// while unregistered, and stays signed.
		e.Must(201, "POST", pay, p.opL.Token, payment(400_000, "V-2"))
		e.Must(422, "POST", pay, p.opL.Token, payment(1, "V-3"))

		// A voucher is booked once per deal, whatever its case or spacing.
		other := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		e.Must(201, "POST", "/api/v1/transactions/"+other+"/payments", p.opL.Token, payment(1, "V-1"))
		r = e.Must(409, "POST", "/api/v1/transactions/"+other+"/payments", p.opL.Token, payment(1, " v-1 "))
		if !strings.Contains(string(r.Body), `"field":"voucher_no"`) {
			t.Fatalf("duplicate voucher: %s", r.Body)
		}
		if _, paid, n := transactionState(t, e, other); paid != 1 || n != 1 {
			t.Fatalf("after duplicate voucher: paid %d, %d payments", paid, n)
		}

		// A registration number is unique too.
		e.Must(200, "POST", "/api/v1/transactions/"+id+"/register", p.opL.Token, registration("DJ-UNIQ", nil))
		r = e.Must(409, "POST", "/api/v1/transactions/"+other+"/register", p.opL.Token, registration("dj-uniq", nil))
		if !strings.Contains(string(r.Body), `"field":"registration_no"`) {
			t.Fatalf("duplicate registration: %s", r.Body)
		}
		if status, _, _ := transactionState(t, e, other); status != "signed" {
			t.Fatalf("other deal is %s after a refused registration", status)
		}
		// A certified amount above the contract amount is refused.
		third := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		e.Must(422, "POST", "/api/v1/transactions/"+third+"/register", p.opL.Token, registration("DJ-3", 1_000_001))
		e.Must(422, "POST", "/api/v1/transactions/"+third+"/register", p.opL.Token, registration("DJ-3", 0))
	})
}

func TestTransactionBadInput(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		deals, audits := count(t, e, "transactions", ""), count(t, e, "audit_events", "")
		cases := []struct {
			name  string
			edit  func(map[string]any)
			field string
		}{
			{"zero contract amount", func(m map[string]any) { m["contract_amount_fen"] = 0 }, "contract_amount_fen"},
			{"negative contract amount", func(m map[string]any) { m["contract_amount_fen"] = -5 }, "contract_amount_fen"},
			{"zero tech amount", func(m map[string]any) { m["tech_amount_fen"] = 0 }, "tech_amount_fen"},
			{"negative tech amount", func(m map[string]any) { m["tech_amount_fen"] = -1 }, "tech_amount_fen"},
			{"tech above contract", func(m map[string]any) { m["tech_amount_fen"] = 1_000_001 }, "tech_amount_fen"},
			{"huge amount", func(m map[string]any) { m["contract_amount_fen"] = int64(1) << 60 }, "contract_amount_fen"},
			{"unknown market", func(m map[string]any) { m["market"] = "nanning" }, "market"},
			{"unknown contract type", func(m map[string]any) { m["contract_type"] = "gift" }, "contract_type"},
			{"unknown channel", func(m map[string]any) { m["channel"] = "phone" }, "channel"},
			{"signed in the future", func(m map[string]any) { m["signed_at"] = instant(time.Now().Add(24 * time.Hour)) }, "signed_at"},
			{"signed_at not RFC 3339", func(m map[string]any) { m["signed_at"] = "2026-01-02" }, "signed_at"},
			{"unknown field", func(m map[string]any) { m["discount_fen"] = 5 }, "discount_fen"},
			{"wrong type", func(m map[string]any) { m["contract_amount_fen"] = "1000" }, "contract_amount_fen"},
			{"missing contract_no", func(m map[string]any) { delete(m, "contract_no") }, "contract_no"},
			{"missing buyer", func(m map[string]any) { delete(m, "buyer_org_id") }, "buyer_org_id"},
			{"same org twice", func(m map[string]any) { m["seller_org_id"] = m["buyer_org_id"] }, "seller_org_id"},
			{"unknown seller", func(m map[string]any) { m["seller_org_id"] = "01HZZZZZZZZZZZZZZZZZZZZZZZ" }, "seller_org_id"},
			{"operator as buyer", func(m map[string]any) { m["buyer_org_id"] = p.opG.ID }, "buyer_org_id"},
			{"achievement not the seller's", func(m map[string]any) { m["achievement_id"] = "01HZZZZZZZZZZZZZZZZZZZZZZZ" }, "achievement_id"},
			{"intent on an offline deal", func(m map[string]any) { m["intent_id"] = "01HZZZZZZZZZZZZZZZZZZZZZZZ" }, "intent_id"},
		}
		for _, c := range cases {
			body := transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)
			c.edit(body)
			r := e.Do("POST", "/api/v1/transactions", p.opL.Token, body)
			if r.Status != 422 || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: status %d %s, want 422 problem+json: %s", c.name, r.Status, r.Header.Get("Content-Type"), r.Body)
				continue
			}
			if !strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
				t.Errorf("%s: problem does not name %s: %s", c.name, c.field, r.Body)
			}
		}
		e.Must(400, "POST", "/api/v1/transactions", p.opL.Token, "{not json")
		e.Must(400, "POST", "/api/v1/transactions", p.opL.Token, "")
		if n := count(t, e, "audit_events", ""); n != audits {
			t.Fatalf("refused creates audited: %d events, want %d", n, audits)
		}

		// Bad action bodies.
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		deals++
		audits = count(t, e, "audit_events", "")
		actions := []struct {
			path  string
			body  any
			field string
		}{
			{"payments", payment(0, "V"), "amount_fen"},
			{"payments", payment(-100, "V"), "amount_fen"},
			{"payments", map[string]any{"amount_fen": 1, "paid_at": instant(time.Now().Add(time.Hour)), "voucher_no": "V"}, "paid_at"},
			{"payments", map[string]any{"amount_fen": 1, "paid_at": instant(time.Now()), "voucher_no": ""}, "voucher_no"},
			{"payments", map[string]any{"amount_fen": 1, "paid_at": instant(time.Now()), "voucher_no": "V", "payer": "x"}, "payer"},
			{"register", map[string]any{"registration_no": "DJ", "registered_at": "yesterday"}, "registered_at"},
			{"register", map[string]any{"registration_no": "DJ", "registered_at": instant(time.Now().Add(-30 * 24 * time.Hour))}, "registered_at"},
			{"register", registration("", nil), "registration_no"},
			{"register", registration("DJ", -1), "certified_tech_amount_fen"},
			{"cancel", map[string]any{"reason": ""}, "reason"},
			{"complete", map[string]any{"force": true}, "force"},
		}
		for _, a := range actions {
			r := e.Do("POST", "/api/v1/transactions/"+id+"/"+a.path, p.opL.Token, a.body)
			if r.Status != 422 || !strings.Contains(string(r.Body), `"field":"`+a.field+`"`) {
				t.Errorf("%s %v: %d %s, want 422 naming %s", a.path, a.body, r.Status, r.Body, a.field)
			}
		}
		// List parameters.
		for _, q := range []string{"market=nanning", "channel=phone", "contract_type=gift", "status=lost",
			"signed_from=yesterday", "signed_to=2026-13-01", "limit=101", "signed_from=2026-02-01&signed_to=2026-01-01"} {
			e.Must(422, "GET", "/api/v1/transactions?"+q, p.opL.Token, nil)
		}
		if status, paid, n := transactionState(t, e, id); status != "signed" || paid != 0 || n != 0 {
			t.Fatalf("bad input changed the deal: %s %d %d", status, paid, n)
		}
		if n := count(t, e, "transactions", ""); n != deals {
			t.Fatalf("bad input stored deals: %d, want %d", n, deals)
		}
		if n := count(t, e, "audit_events", ""); n != audits {
			t.Fatalf("bad input audited: %d events, want %d", n, audits)
		}
	})
}

func TestTransactionListTotals(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		var ids []string
		for i := range 5 {
			ids = append(ids, newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline, func(m map[string]any) {
				m["contract_amount_fen"], m["tech_amount_fen"] = 1000*(i+1), 500*(i+1)
				if i%2 == 1 {
					m["contract_type"] = "development"
				}
				if i == 4 {
					m["signed_at"] = "2025-06-01T08:00:00+08:00"
				}
			}))
		}
		e.Must(201, "POST", "/api/v1/transactions/"+ids[0]+"/payments", p.opL.Token, payment(300, "P"))
		newTransaction(e, p, market.MarketGuizhong, market.ChannelOffline)
		newTransaction(e, p, market.MarketLiuzhou, market.ChannelOnline)

		type totals struct {
			Count, Contract, Tech, Paid float64
		}
		get := func(token, query string) (totals, int, string) {
			r := e.Must(200, "GET", "/api/v1/transactions?"+query, token, nil)
			tt := r.JSON()["totals"].(map[string]any)
			return totals{tt["count"].(float64), tt["contract_amount_fen"].(float64), tt["tech_amount_fen"].(float64),
				tt["paid_fen"].(float64)}, len(r.Items()), r.Str("next_cursor")
		}
		// The operator sees its market only; totals cover every page.
		tt, n, cursor := get(p.opL.Token, "channel=offline&limit=2")
		if tt != (totals{5, 15000, 7500, 300}) || n != 2 || cursor == "" {
			t.Fatalf("operator totals %+v, %d items, cursor %q", tt, n, cursor)
		}
		seen := n
		for cursor != "" {
			var k int
			_, k, cursor = get(p.opL.Token, "channel=offline&limit=2&cursor="+cursor)
			seen += k
		}
		if seen != 5 {
			t.Fatalf("paged through %d deals, want 5", seen)
		}
		if tt, _, _ = get(p.opL.Token, "contract_type=development"); tt.Count != 2 || tt.Contract != 6000 {
			t.Fatalf("by contract type: %+v", tt)
		}
		if tt, _, _ = get(p.opL.Token, "signed_to=2025-06-01"); tt.Count != 1 || tt.Contract != 5000 {
			t.Fatalf("signed_to: %+v", tt)
		}
		if tt, _, _ = get(p.opL.Token, "signed_from=2025-06-02"); tt.Count != 5 {
			t.Fatalf("signed_from: %+v", tt)
		}
		// The other market's operator filtering for liuzhou sees nothing.
		if tt, _, _ = get(p.opG.Token, "market=liuzhou"); tt.Count != 0 {
			t.Fatalf("guizhong operator sees liuzhou deals: %+v", tt)
		}
		// The bureau sees all seven; the buyer its own seven; an outsider none.
		if tt, _, _ = get(p.gov.Token, ""); tt.Count != 7 {
			t.Fatalf("bureau: %+v", tt)
		}
		if tt, _, _ = get(p.buyer.Token, "buyer_org_id="+p.buyer.ID); tt.Count != 7 {
			t.Fatalf("buyer: %+v", tt)
		}
		if tt, _, _ = get(p.outsider.Token, ""); tt.Count != 0 {
			t.Fatalf("outsider: %+v", tt)
		}
		e.Must(403, "GET", "/api/v1/transactions", e.AdminToken, nil)
		e.Must(401, "GET", "/api/v1/transactions", "", nil)
	})
}
