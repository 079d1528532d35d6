package httpapi_test

import (
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestSearchFollowsLifecycle(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		uni := e.NewOrg(market.OrgUniversity, true)
		op := e.NewOrg(market.OrgOperator, true)
		aid := e.Publish("achievements", uni, op, apptest.Achievement())
		other := apptest.Achievement()
		other["title"], other["summary"], other["industry"], other["keywords"] = "螺蛳粉汤料杀菌保鲜工艺", "采用新型杀菌技术延长螺蛳粉汤料的保质期。", "light_industry", []string{"杀菌", "保鲜"}
		other["maturity"] = "industrialized"
		e.Publish("achievements", uni, op, other)
		draft := e.Must(201, "POST", "/api/v1/achievements", uni.Token, apptest.Achievement()).Str("id")
		e.DrainOutbox()

		r := e.Must(200, "GET", "/api/v1/search/achievements?q=碳纤维", "", nil).JSON()
		hits := r["hits"].([]any)
		if r["total"] != float64(1) || len(hits) != 1 || hits[0].(map[string]any)["id"] != aid {
			t.Fatalf("search 碳纤维: %s", e.Do("GET", "/api/v1/search/achievements?q=碳纤维", "", nil).Body)
		}
		if f, _ := hits[0].(map[string]any)["_formatted"].(map[string]any); !strings.Contains(f["title"].(string), "<em>") {
			t.Fatalf("no highlight: %v", hits[0])
		}
		for _, k := range []string{"facets", "processing_time_ms", "page", "limit"} {
			if _, ok := r[k]; !ok {
				t.Errorf("search answer lacks %s", k)
			}
		}
		// Filters and facets.
		all := e.Must(200, "GET", "/api/v1/search/achievements", "", nil).JSON()
		if all["total"] != float64(2) {
			t.Fatalf("all published: %v (the draft %s must not be there)", all["total"], draft)
		}
		ind := all["facets"].(map[string]any)["industry"].(map[string]any)
		if ind["automotive"] != float64(1) || ind["light_industry"] != float64(1) {
			t.Fatalf("industry facets: %v", ind)
		}
		if n := e.Must(200, "GET", "/api/v1/search/achievements?maturity=industrialized", "", nil).JSON()["total"]; n != float64(1) {
			t.Fatalf("maturity filter: %v", n)
		}
		if n := e.Must(200, "GET", "/api/v1/search/achievements?max_fen=1000", "", nil).JSON()["total"]; n != float64(0) {
			t.Fatalf("price filter: %v", n)
		}

		// Matching: the enterprise's demand finds the achievement with reasons.
		did := e.Publish("demands", ent, op, apptest.Demand())
		e.DrainOutbox()
		m := e.Must(200, "GET", "/api/v1/demands/"+did+"/matches?limit=5", ent.Token, nil).Items()
		if len(m) == 0 || m[0]["id"] != aid || len(m[0]["reasons"].([]any)) == 0 {
			t.Fatalf("matches: %v", m)
		}
		e.Must(403, "GET", "/api/v1/demands/"+did+"/matches", uni.Token, nil)
		e.Must(200, "GET", "/api/v1/achievements/"+aid+"/matches", op.Token, nil)
		e.Must(422, "GET", "/api/v1/demands/"+did+"/matches?limit=1000", ent.Token, nil)

		// Closing takes it out of the index.
		e.Must(200, "POST", "/api/v1/achievements/"+aid+"/close", uni.Token, nil)
		e.DrainOutbox()
		if n := e.Must(200, "GET", "/api/v1/search/achievements?q=碳纤维", "", nil).JSON()["total"]; n != float64(0) {
			t.Fatalf("closed item still found: %v", n)
		}
	})
}

func TestSearchBadInput(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	for _, q := range []string{
		"q=" + strings.Repeat("长", 501), "industry=mining", "maturity=ancient", "mode=gift",
		"min_fen=-5", "min_fen=9&max_fen=1", "limit=101", "page=0", "sort=random", "region_code=45",
	} {
		r := e.Do("GET", "/api/v1/search/achievements?"+q, "", nil)
		if r.Status != 422 || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}
	e.Must(422, "GET", "/api/v1/search/demands?maturity=pilot", "", nil)
}

// Every alias of an amount is checked: a negative price_min_fen is not
// hidden behind a good min_fen, and two aliases that disagree are refused.
// The problem names the field at fault.
func TestSearchFenAliases(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	for _, tc := range []struct {
		path, field string
	}{
		{"/api/v1/search/achievements?min_fen=1&price_min_fen=-5", "price_min_fen"},
		{"/api/v1/search/achievements?price_max_fen=x&max_fen=5", "price_max_fen"},
		{"/api/v1/search/achievements?min_fen=-1&price_min_fen=3", "min_fen"},
		{"/api/v1/search/achievements?min_fen=5&price_min_fen=6", "price_min_fen"},
		{"/api/v1/search/demands?min_fen=1&budget_min_fen=-1", "budget_min_fen"},
		{"/api/v1/search/demands?max_fen=9&budget_max_fen=8", "budget_max_fen"},
	} {
		r := e.Do("GET", tc.path, "", nil)
		if r.Status != 422 || !strings.Contains(string(r.Body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.path, r.Status, r.Body, tc.field)
		}
	}
	for _, path := range []string{
		"/api/v1/search/achievements?min_fen=5&price_min_fen=5",
		"/api/v1/search/achievements?price_max_fen=7",
		"/api/v1/search/demands?budget_min_fen=1&max_fen=9",
	} {
		e.Must(200, "GET", path, "", nil)
	}
}
