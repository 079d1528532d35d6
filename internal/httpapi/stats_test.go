package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

// statsFixture logs seven deals and three subsidy policies whose 2025
// totals were worked out by hand (see the comments), and returns the
// parties.
func statsFixture(t *testing.T, e *apptest.Env) parties {
	p := newParties(e)
	achA := e.Publish("achievements", p.seller, p.opL, apptest.Achievement()) // automotive
	light := apptest.Achievement()
	light["industry"] = "light_industry"
	achB := e.Publish("achievements", p.seller, p.opL, light)
	dem := e.Publish("demands", p.buyer, p.opL, apptest.Demand()) // automotive

	deal := func(mkt, channel, typ string, contract, tech int64, signed, achievement, demand string) string {
		return newTransaction(e, p, mkt, channel, func(b map[string]any) {
			b["contract_type"], b["contract_amount_fen"], b["tech_amount_fen"], b["signed_at"] = typ, contract, tech, signed
			if achievement != "" {
				b["achievement_id"] = achievement
			}
			if demand != "" {
				b["demand_id"] = demand
			}
		})
	}
	complete := func(id string, op apptest.Org, tech int64) {
		e.Must(200, "POST", "/api/v1/transactions/"+id+"/register", op.Token, registration(uniqueNo("DJ"), nil))
		e.Must(201, "POST", "/api/v1/transactions/"+id+"/payments", op.Token, payment(tech, uniqueNo("PZ")))
		e.Must(200, "POST", "/api/v1/transactions/"+id+"/complete", op.Token, nil)
	}
	// 1. liuzhou offline transfer 1,000,000 / 800,000, achievement A, completed.
	deal1 := deal("liuzhou", "offline", "transfer", 1_000_000, 800_000, "2025-03-01T02:00:00Z", achA, "")
	complete(deal1, p.opL, 800_000)
	// 2. liuzhou online development 2,000,000 / 1,500,000, the demand, signed only.
	deal("liuzhou", "online", "development", 2_000_000, 1_500_000, "2025-06-01T02:00:00Z", "", dem)
	// 3. guizhong offline license 500,000 / 500,000, achievement B, completed.
	deal3 := deal("guizhong", "offline", "license", 500_000, 500_000, "2025-07-01T02:00:00Z", achB, "")
	complete(deal3, p.opG, 500_000)
	// 4. guizhong offline service 300,000, cancelled: never counted.
	c := deal("guizhong", "offline", "service", 300_000, 300_000, "2025-08-01T02:00:00Z", "", "")
	e.Must(200, "POST", "/api/v1/transactions/"+c+"/cancel", p.opG.Token, map[string]string{"reason": "双方解除合同"})
	// 5. liuzhou offline transfer 700,000 / 600,000, achievement A again, completed.
	deal5 := deal("liuzhou", "offline", "transfer", 700_000, 600_000, "2025-09-01T02:00:00Z", achA, "")
	complete(deal5, p.opL, 600_000)
	// 6. 2024-12-31 17:00 UTC is 2025-01-01 01:00 in Beijing: a 2025 deal.
	deal("liuzhou", "offline", "consulting", 100_000, 100_000, "2024-12-31T17:00:00Z", "", "")
	// 7. 2025-12-31 16:30 UTC is 2026-01-01 00:30 in Beijing: not 2025.
	deal("liuzhou", "offline", "transfer", 9_000_000, 9_000_000, "2025-12-31T16:30:00Z", "", "")

	// Subsidies, summed over the policies of the year (they are city-wide,
	// so a market filter does not change them). P1 (2025, budget 1,000,000)
	// pays 10% of the tech amount:
	//   deal 1: 800,000 → 80,000, approved then disbursed;
	//   deal 5: 600,000 → 60,000, approved;
	//   deal 3: 500,000 → 50,000, rejected: counts nowhere.
	// P2 (2025, budget 250,000) has no applications; P3 is a 2026 policy
	// with budget 9,000,000.
	// 2025: approved 60,000, disbursed 80,000, budget 1,250,000.
	flat := func(budget int64, year int) func(map[string]any) {
		return func(m map[string]any) {
			delete(m, "tiers")
			m["rate_bp"], m["base"], m["budget_fen"], m["year"] = 1000, "tech_amount", budget, year
			m["effective_from"], m["effective_to"] = fmt.Sprintf("%d-01-01", year), fmt.Sprintf("%d-12-31", year)
		}
	}
	p1 := newPolicy(e, p.gov, flat(1_000_000, 2025))
	newPolicy(e, p.gov, flat(250_000, 2025))
	newPolicy(e, p.gov, flat(9_000_000, 2026))
	apply := func(transactionID string, amount int64) string {
		a := asApplication(t, e.Must(201, "POST", "/api/v1/subsidy-applications", p.buyer.Token, quoteReq(transactionID, p1)))
		if a.AmountFen != amount {
			t.Fatalf("application for deal %s: %d fen, want %d", transactionID, a.AmountFen, amount)
		}
		return a.ID
	}
	review := func(id, decision string) {
		e.Must(200, "POST", "/api/v1/subsidy-applications/"+id+"/review", p.gov.Token, map[string]string{"decision": decision, "reason": "测试"})
	}
	a1, a5, a3 := apply(deal1, 80_000), apply(deal5, 60_000), apply(deal3, 50_000)
	review(a1, "approve")
	e.Must(200, "POST", "/api/v1/subsidy-applications/"+a1+"/disburse", p.gov.Token, map[string]string{"voucher_no": uniqueNo("BZ")})
	review(a5, "approve")
	review(a3, "reject")
	return p
}

// checkSubsidies compares the subsidies block of a stats answer.
func checkSubsidies(t *testing.T, what string, st map[string]any, approved, disbursed, budget int64) {
	t.Helper()
	s := st["subsidies"].(map[string]any)
	if s["approved_fen"] != float64(approved) || s["disbursed_fen"] != float64(disbursed) || s["budget_fen"] != float64(budget) || len(s) != 3 {
		t.Errorf("%s subsidies: %v, want approved %d, disbursed %d, budget %d", what, s, approved, disbursed, budget)
	}
}

func breakdown(t *testing.T, st map[string]any, key string) map[string][2]int64 {
	t.Helper()
	out := map[string][2]int64{}
	for _, x := range st[key].([]any) {
		b := x.(map[string]any)
		out[b["code"].(string)] = [2]int64{int64(b["count"].(float64)), int64(b["tech_amount_fen"].(float64))}
	}
	return out
}

func TestStatsOverview(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := statsFixture(t, e)
		st := e.Must(200, "GET", "/api/v1/stats/overview?year=2025", p.gov.Token, nil).JSON()
		deals := st["deals"].(map[string]any)
		// Deals 1, 2, 3, 5, 6.
		if deals["count"] != float64(5) || deals["contract_amount_fen"] != float64(4_300_000) || deals["tech_amount_fen"] != float64(3_500_000) {
			t.Fatalf("deals: %v", deals)
		}
		want := map[string]map[string][2]int64{
			"by_market":        {"liuzhou": {4, 3_000_000}, "guizhong": {1, 500_000}},
			"by_channel":       {"online": {1, 1_500_000}, "offline": {4, 2_000_000}},
			"by_contract_type": {"transfer": {2, 1_400_000}, "development": {1, 1_500_000}, "license": {1, 500_000}, "consulting": {1, 100_000}, "service": {0, 0}},
			"by_industry":      {"automotive": {3, 2_900_000}, "light_industry": {1, 500_000}, "unspecified": {1, 100_000}, "steel": {0, 0}},
		}
		for key, rows := range want {
			got := breakdown(t, st, key)
			for code, w := range rows {
				if got[code] != w {
					t.Errorf("%s[%s] = %v, want %v", key, code, got[code], w)
				}
			}
		}
		if n := len(st["by_industry"].([]any)); n != 12 {
			t.Errorf("by_industry lists %d codes, want the 11 industries and unspecified", n)
		}
		// Achievements A and B are in completed deals; A twice counts once.
		if tr := st["achievements_transferred"].(map[string]any); tr["count"] != float64(2) || tr["target"] != float64(400) {
			t.Errorf("transferred: %v", tr)
		}

		checkSubsidies(t, "2025", st, 60_000, 80_000, 1_250_000)

		// One market.
		g := e.Must(200, "GET", "/api/v1/stats/overview?year=2025&market=guizhong", p.gov.Token, nil).JSON()
		if d := g["deals"].(map[string]any); d["count"] != float64(1) || d["tech_amount_fen"] != float64(500_000) {
			t.Errorf("guizhong: %v", d)
		}
		checkSubsidies(t, "2025 guizhong", g, 60_000, 80_000, 1_250_000)
		// The next year holds deal 7 alone, and P3's budget.
		next := e.Must(200, "GET", "/api/v1/stats/overview?year=2026", p.gov.Token, nil).JSON()
		if d := next["deals"].(map[string]any); d["count"] != float64(1) {
			t.Errorf("2026: %v", d)
		}
		checkSubsidies(t, "2026", next, 0, 0, 9_000_000)
		checkSubsidies(t, "2024", e.Must(200, "GET", "/api/v1/stats/overview?year=2024", p.gov.Token, nil).JSON(), 0, 0, 0)
		// An operator reads its own market, by default and by name only.
		own := e.Must(200, "GET", "/api/v1/stats/overview?year=2025", p.opL.Token, nil).JSON()
		if own["market"] != "liuzhou" || own["deals"].(map[string]any)["count"] != float64(4) {
			t.Errorf("operator's own market: %v %v", own["market"], own["deals"])
		}
		checkSubsidies(t, "2025 liuzhou operator", own, 60_000, 80_000, 1_250_000)
		e.Must(403, "GET", "/api/v1/stats/overview?year=2025&market=guizhong", p.opL.Token, nil)
		e.Must(403, "GET", "/api/v1/stats/overview?year=2025", p.buyer.Token, nil)
		e.Must(401, "GET", "/api/v1/stats/overview?year=2025", "", nil)
		for _, bad := range []string{"year=20x5", "year=1999", "market=nanning"} {
			if r := e.Do("GET", "/api/v1/stats/overview?"+bad, p.gov.Token, nil); r.Status != 422 {
				t.Errorf("%s: %d", bad, r.Status)
			}
		}
	})
}
