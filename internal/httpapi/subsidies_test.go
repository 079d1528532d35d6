package httpapi_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

func problemFields(r *apptest.Response) []string {
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	_ = json.Unmarshal(r.Body, &p)
	out := make([]string, len(p.Errors))
	for i, f := range p.Errors {
		out[i] = f.Field
	}
	slices.Sort(out)
	return out
}

func TestSubsidyPolicyValidation(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		base := "/api/v1/subsidy-policies"

		// Every problem at once, named as the JSON fields.
		bad := subsidyPolicyBody(func(m map[string]any) {
			m["name"] = " "
			m["rate_bp"] = 100 // and tiers
			m["tiers"] = []map[string]any{{"up_to_fen": 100, "rate_bp": 100}, {"up_to_fen": 50, "rate_bp": 20000}, {"up_to_fen": nil, "rate_bp": 0}}
			m["budget_fen"] = 0
			m["per_transaction_cap_fen"] = -1
			m["base"] = "gross"
			m["eligible_contract_types"] = []string{"transfer", "lease"}
			m["effective_from"] = "2025-13-01"
			m["year"] = 1999
		})
		r := e.Must(422, "POST", base, p.gov.Token, bad)
		want := []string{"base", "budget_fen", "effective_from", "eligible_contract_types[1]", "name", "per_transaction_cap_fen",
			"rate_bp", "tiers[1].rate_bp", "tiers[1].up_to_fen", "year"}
		if got := problemFields(r); !reflect.DeepEqual(got, want) {
			t.Fatalf("fields %v, want %v\n%s", got, want, r.Body)
		}
		r = e.Must(422, "POST", base, p.gov.Token, subsidyPolicyBody(func(m map[string]any) { m["effective_to"] = "2024-12-31" }))
		if got := problemFields(r); !reflect.DeepEqual(got, []string{"effective_to"}) {
			t.Fatalf("fields %v: %s", got, r.Body)
		}
		r = e.Must(422, "POST", base, p.gov.Token, map[string]any{"name": "空政策"})
		if got := problemFields(r); !slices.Contains(got, "rate_bp") || !slices.Contains(got, "effective_from") || !slices.Contains(got, "budget_fen") {
			t.Fatalf("empty policy: %v", got)
		}
		e.Must(422, "POST", base, p.gov.Token, subsidyPolicyBody(func(m map[string]any) { m["colour"] = "red" }))
		e.Must(400, "POST", base, p.gov.Token, "{")

		// Only the verified bureau sets policy.
		e.Must(403, "POST", base, p.opL.Token, subsidyPolicyBody())
		e.Must(403, "POST", base, p.buyer.Token, subsidyPolicyBody())
		e.Must(401, "POST", base, "", subsidyPolicyBody())

		// Created, then public.
		r = e.Must(201, "POST", base, p.gov.Token, subsidyPolicyBody(flatRate(150)))
		pol := r.JSON()
		if pol["status"] != "active" || pol["rate_bp"] != float64(150) || len(pol["tiers"].([]any)) != 0 ||
			pol["remaining_budget_fen"] != float64(5_000_000_000) || pol["approved_fen"] != float64(0) || pol["effective_from"] != policyFrom {
			t.Fatalf("created: %s", r.Body)
		}
		id := pol["id"].(string)
		e.Must(200, "GET", base+"/"+id, "", nil)
		e.Must(404, "GET", base+"/no-such-policy", "", nil)
		newPolicy(e, p.gov, func(m map[string]any) {
			m["year"] = 2026
			m["effective_from"], m["effective_to"] = "2026-01-01", "2026-12-31"
		})
		if n := len(e.Must(200, "GET", base+"?year=2025", "", nil).Items()); n != 1 {
			t.Fatalf("2025 policies: %d", n)
		}
		if n := len(e.Must(200, "GET", base+"?effective_on=2026-03-01", "", nil).Items()); n != 1 {
			t.Fatalf("policies in force on 2026-03-01: %d", n)
		}
		first := e.Must(200, "GET", base+"?limit=1", "", nil)
		if first.Str("next_cursor") == "" || len(first.Items()) != 1 {
			t.Fatalf("first page: %s", first.Body)
		}
		if last := e.Must(200, "GET", base+"?limit=1&cursor="+first.Str("next_cursor"), "", nil); last.Str("next_cursor") != "" || len(last.Items()) != 1 {
			t.Fatalf("last page: %s", last.Body)
		}
		e.Must(422, "GET", base+"?status=closed", "", nil)
		e.Must(422, "GET", base+"?year=twenty", "", nil)
	})
}

// TestSubsidyQuote checks a quote for a real deal against the numbers of
// docs/subsidy.md example 2, worked by hand: tech amount 123 456 789 fen,
// paid 130 000 000, base lesser = 123 456 789; 三明 tiers give
// 100 000 + 450 000 + 23 456.789 = 573 456.789 → 573 457 fen, which the
// per-transaction cap of 500 000 fen trims.
func TestSubsidyQuote(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := newPolicy(e, p.gov, func(m map[string]any) {
			m["per_transaction_cap_fen"], m["annual_cap_per_org_fen"] = 500_000, 100_000_000
		})
		deal := paidTransaction(e, p, 150_000_000, 123_456_789, 130_000_000)
		if d := asTransaction(t, e.Must(200, "GET", "/api/v1/transactions/"+deal, p.buyer.Token, nil)); d.Status != "paid" {
			t.Fatalf("deal: %+v", d)
		}
		want := `{
		  "eligible": true, "reasons": [],
		  "base_kind": "lesser", "base_fen": 123456789,
		  "tiers": [
		    {"from_fen": 0, "to_fen": 10000000, "rate_bp": 100, "part_fen": 10000000, "amount": "100000"},
		    {"from_fen": 10000000, "to_fen": 100000000, "rate_bp": 50, "part_fen": 90000000, "amount": "450000"},
		    {"from_fen": 100000000, "to_fen": null, "rate_bp": 10, "part_fen": 23456789, "amount": "23456.789"}
		  ],
		  "raw_fen": 573457,
		  "caps": [
		    {"kind": "per_transaction", "limit_fen": 500000, "applied": true},
		    {"kind": "annual_org", "limit_fen": 100000000, "applied": false},
		    {"kind": "budget", "limit_fen": 5000000000, "applied": false}
		  ],
		  "remaining_org_quota_fen": 100000000, "remaining_budget_fen": 5000000000,
		  "amount_fen": 500000
		}`
		for _, who := range []apptest.Org{p.buyer, p.seller, p.gov} {
			r := e.Must(200, "POST", "/api/v1/subsidies/quote", who.Token, quoteReq(deal, pid))
			var got, exp any
			_ = json.Unmarshal(r.Body, &got)
			_ = json.Unmarshal([]byte(want), &exp)
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("quote for %s:\n got %s\nwant %s", who.ID, r.Body, want)
			}
		}
		// Nothing is stored.
		if n := count(t, e, "subsidy_applications", ""); n != 0 {
			t.Fatalf("%d applications after quoting", n)
		}

		// Who may not: an outsider and the admin do not see the deal, the
		// operator sees it but is no party.
		e.Must(404, "POST", "/api/v1/subsidies/quote", p.outsider.Token, quoteReq(deal, pid))
		e.Must(404, "POST", "/api/v1/subsidies/quote", e.AdminToken, quoteReq(deal, pid))
		e.Must(403, "POST", "/api/v1/subsidies/quote", p.opL.Token, quoteReq(deal, pid))
		e.Must(401, "POST", "/api/v1/subsidies/quote", "", quoteReq(deal, pid))
		e.Must(404, "POST", "/api/v1/subsidies/quote", p.buyer.Token, quoteReq(deal, "no-such-policy"))
		e.Must(404, "POST", "/api/v1/subsidies/quote", p.buyer.Token, quoteReq("no-such-deal", pid))
		r := e.Must(422, "POST", "/api/v1/subsidies/quote", p.buyer.Token, map[string]string{"transaction_id": deal})
		if got := problemFields(r); !reflect.DeepEqual(got, []string{"policy_id"}) {
			t.Fatalf("fields: %v", got)
		}

		// An unregistered, unpaid deal: ineligible, with every reason and
		// the breakdown of what it would earn.
		fresh := signedTransaction(e, p, 1_000_000, 1_000_000)
		q := e.Must(200, "POST", "/api/v1/subsidies/quote", p.buyer.Token, quoteReq(fresh, pid)).JSON()
		if q["eligible"] != false || q["amount_fen"] != float64(0) || q["base_fen"] != float64(0) {
			t.Fatalf("unpaid quote: %v", q)
		}
		if codes := reasonsOf(q); strings.Join(codes, ",") != "not_registered,not_paid" {
			t.Fatalf("reasons: %v", codes)
		}
	})
}

func reasonsOf(q map[string]any) []string {
	var out []string
	for _, r := range q["reasons"].([]any) {
		out = append(out, r.(map[string]any)["code"].(string))
	}
	return out
}

// TestSubsidyPolicyEditsAndVersions: money rules change freely until an
// application is approved; afterwards only a new version may change them.
func TestSubsidyPolicyEditsAndVersions(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		base := "/api/v1/subsidy-policies/"
		pid := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) { m["budget_fen"] = 1_000_000 })
		deal := paidTransaction(e, p, 1_000_000, 1_000_000, 1_000_000)

		// Before any approval: a switch to tiers, then back to a flat rate.
		r := e.Must(200, "PATCH", base+pid, p.gov.Token, map[string]any{"tiers": sanming()})
		if r.JSON()["rate_bp"] != float64(0) || len(r.JSON()["tiers"].([]any)) != 3 {
			t.Fatalf("patched to tiers: %s", r.Body)
		}
		e.Must(200, "PATCH", base+pid, p.gov.Token, map[string]any{"rate_bp": 200})
		e.Must(422, "PATCH", base+pid, p.gov.Token, map[string]any{"budget_fen": -5})
		e.Must(403, "PATCH", base+pid, p.buyer.Token, map[string]any{"name": "买方改的"})

		app := e.Must(201, "POST", "/api/v1/subsidy-applications", p.buyer.Token, quoteReq(deal, pid)).Str("id")
		// A submitted application does not freeze the rules; approval
		// re-checks under the rules in force and never pays more than frozen.
		e.Must(200, "PATCH", base+pid, p.gov.Token, map[string]any{"rate_bp": 100})
		a := asApplication(t, e.Must(200, "POST", "/api/v1/subsidy-applications/"+app+"/review", p.gov.Token, map[string]string{"decision": "approve"}))
		if a.AmountFen != 20_000 || a.ApprovedAmountFen != 10_000 {
			t.Fatalf("approved after a cut: %+v", a)
		}

		// Now the money rules are fixed; the name and auto_apply are not.
		r = e.Must(409, "PATCH", base+pid, p.gov.Token, map[string]any{"rate_bp": 300})
		if !strings.Contains(r.Str("detail"), "/versions") {
			t.Fatalf("409 does not point to versions: %s", r.Body)
		}
		e.Must(200, "PATCH", base+pid, p.gov.Token, map[string]any{"name": "更名后的政策", "auto_apply": false, "rate_bp": 100})

		// A new version: the old one keeps what it committed, the rest of
		// the budget moves over.
		pending := paidTransaction(e, p, 500_000, 500_000, 500_000)
		e.Must(201, "POST", "/api/v1/subsidy-applications", p.buyer.Token, quoteReq(pending, pid))
		v := e.Must(201, "POST", base+pid+"/versions", p.gov.Token, map[string]any{"rate_bp": 300}).JSON()
		vid := v["id"].(string)
		if v["supersedes"] != pid || v["status"] != "active" || v["rate_bp"] != float64(300) ||
			v["budget_fen"] != float64(1_000_000-10_000-5_000) || v["approved_fen"] != float64(0) {
			t.Fatalf("version: %v", v)
		}
		old := e.Must(200, "GET", base+pid, "", nil).JSON()
		if old["status"] != "superseded" || old["superseded_by"] != vid || old["budget_fen"] != float64(15_000) {
			t.Fatalf("old version: %v", old)
		}
		e.Must(409, "POST", base+pid+"/versions", p.gov.Token, "{}")
		e.Must(409, "PATCH", base+pid, p.gov.Token, map[string]any{"name": "旧版"})
		third := paidTransaction(e, p, 500_000, 500_000, 500_000)
		r = e.Must(409, "POST", "/api/v1/subsidy-applications", p.buyer.Token, quoteReq(third, pid))
		if !strings.Contains(r.Str("detail"), vid) {
			t.Fatalf("superseded refusal does not name the version: %s", r.Body)
		}
		e.Must(201, "POST", "/api/v1/subsidy-applications", p.buyer.Token, quoteReq(third, vid))
		e.Must(403, "POST", base+vid+"/versions", p.opL.Token, "{}")

		var actions []string
		for _, ev := range e.Must(200, "GET", "/api/v1/audit?entity=subsidy_policy&entity_id="+pid, e.AdminToken, nil).Items() {
			actions = append(actions, ev["action"].(string))
		}
		if got := strings.Join(actions, ","); got != "create,update,update,update,reserve,update,supersede" {
			t.Fatalf("policy audit: %s", got)
		}
	})
}

// TestSubsidyStatsTotals: the overview sums the year's policies.
func TestSubsidyStatsTotals(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := newPolicy(e, p.gov, flatRate(100), func(m map[string]any) { m["budget_fen"] = 9_000_000 })
		app := e.Must(201, "POST", "/api/v1/subsidy-applications", p.buyer.Token,
			quoteReq(paidTransaction(e, p, 1_000_000, 1_000_000, 1_000_000), pid)).Str("id")
		e.Must(200, "POST", "/api/v1/subsidy-applications/"+app+"/review", p.gov.Token, map[string]string{"decision": "approve"})
		s := e.Must(200, "GET", "/api/v1/stats/overview?year=2025", p.gov.Token, nil).JSON()["subsidies"].(map[string]any)
		if s["budget_fen"] != float64(9_000_000) || s["approved_fen"] != float64(10_000) || s["disbursed_fen"] != float64(0) {
			t.Fatalf("stats subsidies: %v", s)
		}
	})
}
