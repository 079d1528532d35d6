package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// The forged-deal tests (SPEC "Trust between parties"): an org cannot make
// a deal, or a payment, that the other party never agreed to.

// transactionSnapshot is what a refused request must leave as it was.
type transactionSnapshot struct {
	status          string
	paid, booked    int64
	payments, audit int
}

func snapshot(t *testing.T, e *apptest.Env, id string) transactionSnapshot {
	t.Helper()
	var s transactionSnapshot
	if err := e.Sys.DB.SQL().QueryRow("SELECT status, paid_fen, booked_fen FROM transactions WHERE id = ?", id).
		Scan(&s.status, &s.paid, &s.booked); err != nil {
		t.Fatal(err)
	}
	s.payments = count(t, e, "payments", "transaction_id = ?", id)
	s.audit = count(t, e, "audit_events", "")
	return s
}

// TestPendingTransactionConfirmation: an online deal one party logs without an
// accepted intent waits for the other party, who alone confirms or
// declines it; nothing else moves it, and it does not count anywhere.
func TestPendingTransactionConfirmation(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		base := "/api/v1/transactions/"
		// The statistics as the database has them now (GET /stats/overview
		// serves a cached figure for half a minute).
		bureau := market.WithActor(context.Background(), &market.Actor{OrgID: p.gov.ID, OrgKind: market.OrgGovernment, OrgVerified: true})
		st := func() market.TransactionCounts {
			s, err := e.Sys.Stats.Overview(bureau, market.StatsQuery{Year: 2025})
			if err != nil {
				t.Fatal(err)
			}
			return s.Deals
		}
		statsBefore := st()

		// The buyer logs a deal naming the seller, who never agreed.
		body := transactionBody(p, market.MarketLiuzhou, market.ChannelOnline)
		body["signed_at"] = subsidySignedAt
		r := e.Must(201, "POST", "/api/v1/transactions", p.buyer.Token, body)
		d := asTransaction(t, r)
		if d.Status != market.TransactionPending || r.Str("created_by_org_id") != p.buyer.ID {
			t.Fatalf("created: %s", r.Body)
		}
		id := d.ID

		// The seller sees it, in its list too; the outsider does not.
		e.Must(200, "GET", base+id, p.seller.Token, nil)
		listed := false
		for _, it := range e.Must(200, "GET", "/api/v1/transactions?status=pending_confirmation&limit=100", p.seller.Token, nil).Items() {
			listed = listed || it["id"] == id
		}
		if !listed {
			t.Fatal("the pending deal is not in the seller's list")
		}
		e.Must(404, "GET", base+id, p.outsider.Token, nil)

		// Nobody but the seller answers it, and nothing moves it meanwhile.
		before := snapshot(t, e, id)
		for _, c := range []struct {
			want         int
			who          apptest.Org
			action, path string
			body         any
		}{
			{403, p.buyer, "confirm", base + id + "/confirm", nil},
			{403, p.buyer, "decline", base + id + "/decline", map[string]string{"reason": "自己拒绝"}},
			{403, p.opL, "confirm", base + id + "/confirm", nil},
			{403, p.gov, "confirm", base + id + "/confirm", nil},
			{404, p.outsider, "confirm", base + id + "/confirm", nil},
			{404, p.opG, "decline", base + id + "/decline", map[string]string{"reason": "别的市场"}},
			{409, p.opL, "register", base + id + "/register", registration(uniqueNo("DJ"), nil)},
			{409, p.opL, "payments", base + id + "/payments", payment(1000, uniqueNo("PZ"))},
			{409, p.buyer, "payments", base + id + "/payments", payment(1000, uniqueNo("PZ"))},
			{409, p.seller, "payments", base + id + "/payments", payment(1000, uniqueNo("PZ"))},
			{409, p.opL, "complete", base + id + "/complete", nil},
			{422, p.seller, "decline", base + id + "/decline", "{}"},
		} {
			r := e.Must(c.want, "POST", c.path, c.who.Token, c.body)
			if c.want == 409 && !strings.Contains(r.Str("detail"), market.TransactionPending) {
				t.Errorf("%s: the conflict does not name the state: %s", c.action, r.Body)
			}
			if c.want == 422 && !hasField(r, "reason") {
				t.Errorf("%s: %s", c.action, r.Body)
			}
		}
		if after := snapshot(t, e, id); after != before {
			t.Fatalf("refused requests changed the pending deal: %+v → %+v", before, after)
		}

		// A pending deal counts in no statistics and earns no subsidy, even
		// under a policy that asks for neither registration nor payment.
		if got := st(); got != statsBefore {
			t.Fatalf("a pending deal counts in the statistics: %v → %v", statsBefore, got)
		}
		lax := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) { m["require_registered"], m["base"] = false, "tech_amount" })
		q := e.Must(200, "POST", "/api/v1/subsidies/quote", p.buyer.Token, quoteReq(id, lax)).JSON()
		if q["eligible"] != false || !strings.Contains(string(e.Must(200, "POST", "/api/v1/subsidies/quote", p.gov.Token, quoteReq(id, lax)).Body), `"not_confirmed"`) {
			t.Fatalf("quote of a pending deal: %v", q)
		}
		r = e.Must(422, "POST", subsidyApps, p.buyer.Token, quoteReq(id, lax))
		if codes := reasonCodes(r); len(codes) == 0 || codes[0] != "not_confirmed" {
			t.Fatalf("application on a pending deal: %s", r.Body)
		}

		// The seller confirms: signed, counted, audited.
		d = asTransaction(t, e.Must(200, "POST", base+id+"/confirm", p.seller.Token, "{}"))
		if d.Status != market.TransactionSigned {
			t.Fatalf("confirmed: %+v", d)
		}
		if got := st(); got.Count != statsBefore.Count+1 || got.TechAmountFen != statsBefore.TechAmountFen+800_000 {
			t.Fatalf("the confirmed deal is not counted: %v", got)
		}
		e.Must(409, "POST", base+id+"/confirm", p.seller.Token, nil)
		e.Must(409, "POST", base+id+"/decline", p.seller.Token, map[string]string{"reason": "反悔"})
		if got := auditActions(t, e, "transaction", id); got != "create,confirm" {
			t.Fatalf("audit: %s", got)
		}

		// The other way round: the seller logs, the buyer declines.
		id2 := e.Must(201, "POST", "/api/v1/transactions", p.seller.Token, transactionBody(p, market.MarketGuizhong, market.ChannelOnline)).Str("id")
		e.Must(403, "POST", base+id2+"/decline", p.seller.Token, map[string]string{"reason": "自己拒绝"})
		d = asTransaction(t, e.Must(200, "POST", base+id2+"/decline", p.buyer.Token, map[string]string{"reason": "从未签订此合同"}))
		if d.Status != market.TransactionCancelled || d.CancelReason != "从未签订此合同" {
			t.Fatalf("declined: %+v", d)
		}
		e.Must(409, "POST", base+id2+"/confirm", p.buyer.Token, nil)
		if got := auditActions(t, e, "transaction", id2); got != "create,decline" {
			t.Fatalf("audit: %s", got)
		}

		// The operator may still cancel a pending deal of its market.
		id3 := pendingTransaction(e, p, market.MarketLiuzhou)
		if d := asTransaction(t, e.Must(200, "POST", base+id3+"/cancel", p.opL.Token, map[string]string{"reason": "重复登记"})); d.Status != market.TransactionCancelled {
			t.Fatalf("cancelled: %+v", d)
		}

		// A deal from an accepted intent between the two is signed at once.
		_, fromIntent := acceptedIntent(e, p)
		if s := e.Must(201, "POST", "/api/v1/transactions", p.buyer.Token, fromIntent).Str("status"); s != market.TransactionSigned {
			t.Fatalf("deal from an accepted intent: %s", s)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}
	})
}

// TestPaymentConfirmation: a party's payment counts for nothing — paid_fen,
// the move to paid, quotes, applications — until the other party or the
// operator confirms it; the overflow rule counts it at once. Confirming it
// settles the deal and files its 免申即享 application.
func TestPaymentConfirmation(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		base := "/api/v1/transactions/"
		paidBase := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) { m["base"] = "paid" })
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOnline, func(m map[string]any) {
			m["contract_amount_fen"], m["tech_amount_fen"], m["signed_at"] = 1_000_000, 800_000, subsidySignedAt
		})

		d := asTransaction(t, e.Must(201, "POST", base+id+"/payments", p.buyer.Token, payment(800_000, "BUY-1")))
		if d.PaidFen != 0 || d.BookedFen != 800_000 || len(d.Payments) != 1 || d.Payments[0].Confirmed ||
			d.Payments[0].AddedByOrgID != p.buyer.ID {
			t.Fatalf("after the buyer's payment: %+v", d)
		}
		pid := d.Payments[0].ID
		d = asTransaction(t, e.Must(200, "POST", base+id+"/register", p.opL.Token, registration(uniqueNo("DJ"), nil)))
		if d.Status != market.TransactionRegistered || d.PaidFen != 0 {
			t.Fatalf("registered with an unconfirmed payment: %+v", d)
		}
		// Nothing paid yet for the subsidy either.
		if codes := reasonCodes(e.Must(422, "POST", subsidyApps, p.buyer.Token, quoteReq(id, paidBase))); len(codes) != 1 || codes[0] != "not_paid" {
			t.Fatalf("application on unconfirmed payments: %v", codes)
		}
		// The overflow rule counts the unconfirmed payment: 800 000 booked
		// of 1 000 000, 200 001 more is too much.
		r := e.Must(422, "POST", base+id+"/payments", p.seller.Token, payment(200_001, "SEL-1"))
		if !hasField(r, "amount_fen") {
			t.Fatalf("overflow: %s", r.Body)
		}

		// Only the other party or the operator confirms; a refusal changes nothing.
		before := snapshot(t, e, id)
		e.Must(403, "POST", base+id+"/payments/"+pid+"/confirm", p.buyer.Token, nil)
		e.Must(403, "POST", base+id+"/payments/"+pid+"/confirm", p.gov.Token, nil)
		e.Must(404, "POST", base+id+"/payments/"+pid+"/confirm", p.outsider.Token, nil)
		e.Must(404, "POST", base+id+"/payments/"+pid+"/confirm", p.opG.Token, nil)
		e.Must(404, "POST", base+id+"/payments/01M00000000000000000000000/confirm", p.seller.Token, nil)
		e.Must(422, "POST", base+id+"/payments/"+pid+"/confirm", p.seller.Token, map[string]any{"confirmed": true})
		if after := snapshot(t, e, id); after != before {
			t.Fatalf("refused confirmations changed the deal: %+v → %+v", before, after)
		}

		auto := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) { m["auto_apply"] = true })
		d = asTransaction(t, e.Must(200, "POST", base+id+"/payments/"+pid+"/confirm", p.seller.Token, nil))
		if d.Status != market.TransactionPaid || d.PaidFen != 800_000 || !d.Payments[0].Confirmed {
			t.Fatalf("after confirmation: %+v", d)
		}
		got := e.Must(200, "GET", base+id, p.buyer.Token, nil).JSON()["payments"].([]any)[0].(map[string]any)
		if got["confirmed_by_org_id"] != p.seller.ID || got["confirmed_at"] == nil {
			t.Fatalf("confirmed payment: %v", got)
		}
		list := e.Must(200, "GET", subsidyApps+"?transaction_id="+id, p.buyer.Token, nil).Items()
		if len(list) != 1 || list[0]["auto_applied"] != true || list[0]["policy_id"] != auto || list[0]["amount_fen"] != float64(8_000) {
			t.Fatalf("auto application on the confirmation that made the deal paid: %v", list)
		}
		if got := auditActions(t, e, "payment", pid); got != "create,confirm" {
			t.Fatalf("payment audit: %s", got)
		}
		if got := auditActions(t, e, "transaction", id); got != "create,confirm,pay,register,confirm_payment" {
			t.Fatalf("deal audit: %s", got)
		}
		e.Must(409, "POST", base+id+"/payments/"+pid+"/confirm", p.opL.Token, nil)

		// The operator's payments are confirmed at once; a seller's payment
		// is confirmed by the buyer or the operator.
		id2 := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOnline)
		d = asTransaction(t, e.Must(201, "POST", base+id2+"/payments", p.opL.Token, payment(100_000, "OP-1")))
		if !d.Payments[0].Confirmed || d.PaidFen != 100_000 || d.Payments[0].AddedByOrgID != p.opL.ID {
			t.Fatalf("operator's payment: %+v", d)
		}
		d = asTransaction(t, e.Must(201, "POST", base+id2+"/payments", p.seller.Token, payment(200_000, "SEL-2")))
		e.Must(403, "POST", base+id2+"/payments/"+d.Payments[1].ID+"/confirm", p.seller.Token, nil)
		d = asTransaction(t, e.Must(200, "POST", base+id2+"/payments/"+d.Payments[1].ID+"/confirm", p.buyer.Token, nil))
		if d.PaidFen != 300_000 || d.BookedFen != 300_000 {
			t.Fatalf("after the buyer confirmed the seller's payment: %+v", d)
		}
		d = asTransaction(t, e.Must(201, "POST", base+id2+"/payments", p.buyer.Token, payment(50_000, "BUY-2")))
		d = asTransaction(t, e.Must(200, "POST", base+id2+"/payments/"+d.Payments[2].ID+"/confirm", p.opL.Token, nil))
		if d.PaidFen != 350_000 {
			t.Fatalf("after the operator confirmed the buyer's payment: %+v", d)
		}
		// The list's totals count confirmed payments only.
		e.Must(201, "POST", base+id2+"/payments", p.buyer.Token, payment(1, "BUY-3"))
		tot := e.Must(200, "GET", "/api/v1/transactions?buyer_org_id="+p.buyer.ID+"&limit=100", p.buyer.Token, nil).JSON()["totals"].(map[string]any)
		if tot["paid_fen"] != float64(800_000+350_000) {
			t.Fatalf("totals: %v", tot)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}
	})
}

// TestConcurrentPaymentConfirmations: 40 confirmations of one payment at
// once, by the seller and the operator, count it once: one 200, every
// other a 409, one audit event, paid_fen raised once.
func TestConcurrentPaymentConfirmations(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOnline)
		d := asTransaction(t, e.Must(201, "POST", "/api/v1/transactions/"+id+"/payments", p.buyer.Token, payment(300_000, "RACE-1")))
		pid := d.Payments[0].ID
		const n = 40
		res := make([]*apptest.Response, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			who := p.seller
			if i%2 == 1 {
				who = p.opL
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res[i] = e.Do("POST", "/api/v1/transactions/"+id+"/payments/"+pid+"/confirm", who.Token, nil)
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, r := range res {
			switch r.Status {
			case 200:
				ok++
			case 409:
				if !strings.Contains(r.Str("detail"), "already confirmed") {
					t.Errorf("attempt %d: %s", i, r.Body)
				}
			default:
				t.Errorf("attempt %d: %d %s", i, r.Status, r.Body)
			}
		}
		if ok != 1 {
			t.Fatalf("%d confirmations succeeded, want 1", ok)
		}
		if s := snapshot(t, e, id); s.paid != 300_000 || s.booked != 300_000 || s.payments != 1 {
			t.Fatalf("after the race: %+v", s)
		}
		if got := auditActions(t, e, "payment", pid); got != "create,confirm" {
			t.Fatalf("payment audit: %s", got)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}
	})
}

// TestSubsidyNewYearInBeijing: money rules hold a deal by the Beijing date
// of its signed_at. A contract signed at 02:00 on New Year's Day in
// Liuzhou (18:00 UTC the day before) falls under the new year's policy and
// counts against that year's annual cap; one signed a minute before
// midnight stays with the old year's.
func TestSubsidyNewYearInBeijing(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		yearPolicy := func(y int) string {
			return newPolicy(e, p.gov, flatRate(100), func(m map[string]any) {
				m["year"], m["base"], m["annual_cap_per_org_fen"] = y, "tech_amount", 15_000
				m["effective_from"], m["effective_to"] = fmt.Sprintf("%d-01-01", y), fmt.Sprintf("%d-12-31", y)
			})
		}
		p2025, p2026 := yearPolicy(2025), yearPolicy(2026)
		deal := func(signedAt string) string {
			id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline, func(m map[string]any) {
				m["contract_amount_fen"], m["tech_amount_fen"], m["signed_at"] = 1_000_000, 1_000_000, signedAt
			})
			e.Must(201, "POST", "/api/v1/transactions/"+id+"/payments", p.opL.Token, payment(1_000_000, uniqueNo("PZ")))
			e.Must(200, "POST", "/api/v1/transactions/"+id+"/register", p.opL.Token, registration(uniqueNo("DJ"), nil))
			return id
		}
		// 10 000 fen of the buyer's 2026 quota of 15 000 is taken.
		used := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal("2026-03-01T10:00:00+08:00"), p2026)).Str("id")
		e.Must(200, "POST", subsidyApps+"/"+used+"/review", p.gov.Token, map[string]string{"decision": "approve", "reason": "材料齐全"})

		newYear := deal("2026-01-01T02:00:00+08:00") // 2025-12-31T18:00:00Z
		lastMinute := deal("2025-12-31T23:59:00+08:00")
		quote := func(transactionID, policyID string) map[string]any {
			return e.Must(200, "POST", "/api/v1/subsidies/quote", p.buyer.Token, quoteReq(transactionID, policyID)).JSON()
		}
		codes := func(q map[string]any) string {
			var out []string
			for _, r := range q["reasons"].([]any) {
				out = append(out, r.(map[string]any)["code"].(string))
			}
			return strings.Join(out, ",")
		}
		if q := quote(newYear, p2026); q["eligible"] != true || q["amount_fen"] != float64(5_000) || q["remaining_org_quota_fen"] != float64(5_000) {
			t.Fatalf("New Year's deal under the 2026 policy: %v", q)
		}
		if q := quote(newYear, p2025); q["eligible"] != false || codes(q) != "outside_period" {
			t.Fatalf("New Year's deal under the 2025 policy: %v", q)
		}
		if q := quote(lastMinute, p2025); q["eligible"] != true || q["amount_fen"] != float64(10_000) {
			t.Fatalf("New Year's Eve deal under the 2025 policy: %v", q)
		}
		if q := quote(lastMinute, p2026); q["eligible"] != false || codes(q) != "outside_period" ||
			!strings.Contains(q["reasons"].([]any)[0].(map[string]any)["message"].(string), "2025-12-31") {
			t.Fatalf("New Year's Eve deal under the 2026 policy: %v", q)
		}
	})
}

// TestNumbersFoldedWithNFKC: contract, registration and voucher numbers
// are compared after NFKC, upper-casing and collapsing spaces — a
// full-width ＨＴ－００１ is HT-001 — and answers show each number as it
// was first entered.
func TestNumbersFoldedWithNFKC(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		base := "/api/v1/transactions/"
		tag := strings.ToUpper(uniqueNo("X")[2:])
		fw := func(s string) string { // ASCII to full-width
			return strings.Map(func(r rune) rune {
				if r > ' ' && r < 0x7f {
					return r - 0x21 + 0xff01
				}
				return r
			}, s)
		}
		first := fw("HT-" + tag)
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline, func(m map[string]any) { m["contract_no"] = " " + first + " " })
		d := asTransaction(t, e.Must(200, "GET", base+id, p.opL.Token, nil))
		if d.ContractNo != first {
			t.Fatalf("contract_no shown as %q, want %q as entered", d.ContractNo, first)
		}
		for _, again := range []string{"HT-" + tag, "ht-" + strings.ToLower(tag), fw("ht-" + strings.ToLower(tag))} {
			r := e.Must(409, "POST", "/api/v1/transactions", p.opL.Token, func() map[string]any {
				b := transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)
				b["contract_no"] = again
				return b
			}())
			if !hasField(r, "contract_no") {
				t.Fatalf("%q: %s", again, r.Body)
			}
		}

		reg := "DJ " + tag
		d = asTransaction(t, e.Must(200, "POST", base+id+"/register", p.opL.Token, registration(fw(reg), nil)))
		if d.RegistrationNo != fw(reg) {
			t.Fatalf("registration_no shown as %q", d.RegistrationNo)
		}
		other := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		r := e.Must(409, "POST", base+other+"/register", p.opL.Token, registration("dj   "+strings.ToLower(tag), nil))
		if !hasField(r, "registration_no") {
			t.Fatalf("folded registration_no: %s", r.Body)
		}

		d = asTransaction(t, e.Must(201, "POST", base+id+"/payments", p.opL.Token, payment(1000, fw("pz-1"))))
		if d.Payments[0].VoucherNo != fw("pz-1") {
			t.Fatalf("voucher_no shown as %q", d.Payments[0].VoucherNo)
		}
		before := snapshot(t, e, id)
		r = e.Must(409, "POST", base+id+"/payments", p.opL.Token, payment(1000, "PZ-1"))
		if !hasField(r, "voucher_no") {
			t.Fatalf("folded voucher_no: %s", r.Body)
		}
		// The same voucher on another deal is another payment.
		e.Must(201, "POST", base+other+"/payments", p.opL.Token, payment(1000, "PZ-1"))
		if after := snapshot(t, e, id); after.paid != before.paid || after.payments != before.payments {
			t.Fatalf("a refused voucher changed the deal: %+v → %+v", before, after)
		}
	})
}
