package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

// TestOpenAPISearchAndStatsConform checks the search, match and statistics
// answers against api/openapi.yaml.
func TestOpenAPISearchAndStatsConform(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	c := newConformer(t, e)
	p := newParties(e)
	aid := e.Publish("achievements", p.seller, p.opL, apptest.Achievement())
	did := e.Publish("demands", p.buyer, p.opL, apptest.Demand())
	e.DrainOutbox()

	c.do(200, "GET", "/api/v1/search/achievements?q=碳纤维&industry=automotive&sort=newest", "", nil)
	c.do(200, "GET", "/api/v1/search/achievements?q=不存在的词", "", nil)
	c.do(200, "GET", "/api/v1/search/demands?q=减重&min_fen=0&max_fen=90000000", "", nil)
	c.do(422, "GET", "/api/v1/search/demands?maturity=pilot", "", nil)
	c.do(200, "GET", "/api/v1/demands/"+did+"/matches?limit=3", p.buyer.Token, nil)
	c.do(200, "GET", "/api/v1/achievements/"+aid+"/matches", p.opL.Token, nil)
	c.do(403, "GET", "/api/v1/achievements/"+aid+"/matches", p.buyer.Token, nil)
	c.do(422, "GET", "/api/v1/achievements/"+aid+"/matches?limit=0", p.seller.Token, nil)

	newTransaction(e, p, "liuzhou", "offline")
	c.do(200, "GET", "/api/v1/stats/overview", p.gov.Token, nil)
	c.do(200, "GET", "/api/v1/stats/overview?market=liuzhou", p.opL.Token, nil)
	c.do(403, "GET", "/api/v1/stats/overview?market=guizhong", p.opL.Token, nil)
	c.do(422, "GET", "/api/v1/stats/overview?year=abc", p.gov.Token, nil)
}
