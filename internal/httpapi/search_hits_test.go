package httpapi_test

import (
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// A hit carries the resource's own field names (SPEC), never the engine's,
// and never contact details.
func TestSearchHitsShapedLikeResources(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		uni := e.NewOrg(market.OrgUniversity, true)
		op := e.NewOrg(market.OrgOperator, true)
		aid := e.Publish("achievements", uni, op, apptest.Achievement())
		did := e.Publish("demands", ent, op, apptest.Demand())
		e.DrainOutbox()

		r := e.Must(200, "GET", "/api/v1/search/achievements?q=碳纤维", "", nil)
		hits := r.JSON()["hits"].([]any)
		if len(hits) != 1 {
			t.Fatalf("hits: %s", r.Body)
		}
		a := hits[0].(map[string]any)
		if a["id"] != aid || a["kind"] != "achievement" || a["summary"] != apptest.Achievement()["summary"] ||
			a["asking_price_fen"] != float64(30000000) || a["maturity"] != "pilot" || a["org_name"] == "" {
			t.Errorf("achievement hit: %v", a)
		}
		if m, _ := a["transfer_modes"].([]any); len(m) != 2 {
			t.Errorf("transfer_modes: %v", a["transfer_modes"])
		}
		if f, _ := a["_formatted"].(map[string]any); !strings.Contains(f["summary"].(string), "<em>") {
			t.Errorf("_formatted: %v", a["_formatted"])
		}

		r = e.Must(200, "GET", "/api/v1/search/demands?q=减重", "", nil)
		hits = r.JSON()["hits"].([]any)
		if len(hits) != 1 {
			t.Fatalf("hits: %s", r.Body)
		}
		d := hits[0].(map[string]any)
		if d["id"] != did || d["kind"] != "demand" || d["description"] != apptest.Demand()["description"] ||
			d["budget_min_fen"] != float64(10000000) || d["budget_max_fen"] != float64(50000000) || d["deadline"] != "2030-12-31" {
			t.Errorf("demand hit: %v", d)
		}
		if m, _ := d["cooperation_modes"].([]any); len(m) != 2 {
			t.Errorf("cooperation_modes: %v", d["cooperation_modes"])
		}
		for _, h := range []map[string]any{a, d} {
			for _, k := range []string{"body", "modes", "price_fen", "contact"} {
				if _, ok := h[k]; ok {
					t.Errorf("%s hit carries %q: %v", h["kind"], k, h)
				}
			}
		}
		for _, body := range []string{string(e.Do("GET", "/api/v1/search/achievements?q=碳纤维", "", nil).Body), string(r.Body)} {
			for _, secret := range []string{"13877200000", "0772-2685000", "王工", "李老师"} {
				if strings.Contains(body, secret) {
					t.Errorf("a search answer shows the contact %q", secret)
				}
			}
		}
	})
}

// Two words that both occur in the listings, in different listings, never
// answer zero hits (issue: two-word searches came back empty).
func TestSearchTwoWordsNeverEmpty(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	uni := e.NewOrg(market.OrgUniversity, true)
	op := e.NewOrg(market.OrgOperator, true)
	other := apptest.Achievement()
	other["title"], other["summary"], other["keywords"] = "座椅骨架高强钢轻量化设计", "座椅骨架的拓扑优化。", []string{"座椅骨架"}
	e.Publish("achievements", uni, op, other)
	e.DrainOutbox()
	r := e.Must(200, "GET", "/api/v1/search/achievements?q=车身%20轻量化", "", nil).JSON()
	if r["total"].(float64) < 1 {
		t.Fatalf("车身 轻量化: %v", r)
	}
}
