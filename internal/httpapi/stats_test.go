package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

// statsFixture logs seven deals whose 2025 totals were worked out by hand
// (see the comments), and returns the parties.
func statsFixture(t *testing.T, e *apptest.Env) parties {
	p := newParties(e)
	achA := e.Publish("achievements", p.seller, p.opL, apptest.Achievement()) // automotive
	light := apptest.Achievement()
	light["industry"] = "light_industry"
	achB := e.Publish("achievements", p.seller, p.opL, light)
	dem := e.Publish("demands", p.buyer, p.opL, apptest.Demand()) // automotive

	deal := func(mkt, channel, typ string, contract, tech int64, signed, achievement, demand string) string {
		return newDeal(e, p, mkt, channel, func(b map[string]any) {
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
	complete(deal("liuzhou", "offline", "transfer", 1_000_000, 800_000, "2025-03-01T02:00:00Z", achA, ""), p.opL, 800_000)
	// 2. liuzhou online development 2,000,000 / 1,500,000, the demand, signed only.
	deal("liuzhou", "online", "development", 2_000_000, 1_500_000, "2025-06-01T02:00:00Z", "", dem)
	// 3. guizhong offline license 500,000 / 500,000, achievement B, completed.
	complete(deal("guizhong", "offline", "license", 500_000, 500_000, "2025-07-01T02:00:00Z", achB, ""), p.opG, 500_000)
	// 4. guizhong offline service 300,000, cancelled: never counted.
	c := deal("guizhong", "offline", "service", 300_000, 300_000, "2025-08-01T02:00:00Z", "", "")
	e.Must(200, "POST", "/api/v1/transactions/"+c+"/cancel", p.opG.Token, map[string]string{"reason": "双方解除合同"})
	// 5. liuzhou offline transfer 700,000 / 600,000, achievement A again, completed.
	complete(deal("liuzhou", "offline", "transfer", 700_000, 600_000, "2025-09-01T02:00:00Z", achA, ""), p.opL, 600_000)
	// 6. 2024-12-31 17:00 UTC is 2025-01-01 01:00 in Beijing: a 2025 deal.
	deal("liuzhou", "offline", "consulting", 100_000, 100_000, "2024-12-31T17:00:00Z", "", "")
	// 7. 2025-12-31 16:30 UTC is 2026-01-01 00:30 in Beijing: not 2025.
	deal("liuzhou", "offline", "transfer", 9_000_000, 9_000_000, "2025-12-31T16:30:00Z", "", "")
	return p
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

		// One market.
		g := e.Must(200, "GET", "/api/v1/stats/overview?year=2025&market=guizhong", p.gov.Token, nil).JSON()
		if d := g["deals"].(map[string]any); d["count"] != float64(1) || d["tech_amount_fen"] != float64(500_000) {
			t.Errorf("guizhong: %v", d)
		}
		// The next year holds deal 7 alone.
		if d := e.Must(200, "GET", "/api/v1/stats/overview?year=2026", p.gov.Token, nil).JSON()["deals"].(map[string]any); d["count"] != float64(1) {
			t.Errorf("2026: %v", d)
		}
		// An operator reads its own market, by default and by name only.
		own := e.Must(200, "GET", "/api/v1/stats/overview?year=2025", p.opL.Token, nil).JSON()
		if own["market"] != "liuzhou" || own["deals"].(map[string]any)["count"] != float64(4) {
			t.Errorf("operator's own market: %v %v", own["market"], own["deals"])
		}
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
