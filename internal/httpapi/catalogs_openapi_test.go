package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// TestOpenAPICatalogsConform checks the catalog routes' answers against
// api/openapi.yaml.
func TestOpenAPICatalogsConform(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	c := newConformer(t, e)
	ent := e.NewOrg(market.OrgEnterprise, true)
	uni := e.NewOrg(market.OrgUniversity, true)
	op := e.NewOrg(market.OrgOperator, true)
	e.Publish("demands", ent, op, apptest.Demand())
	e.Publish("achievements", uni, op, apptest.Achievement())

	id := c.do(201, "POST", "/api/v1/catalogs", op.Token, catalogBody()).Str("id")
	aBody := catalogBody()
	aBody["kind"], aBody["period"] = "achievement", "2026-h1"
	aid := c.do(201, "POST", "/api/v1/catalogs", op.Token, aBody).Str("id")
	c.do(200, "PATCH", "/api/v1/catalogs/"+id, op.Token, map[string]any{"title": "改过名的目录"})
	c.do(200, "GET", "/api/v1/catalogs/"+id+"/items", op.Token, nil)
	c.do(200, "GET", "/api/v1/catalogs?status=draft", op.Token, nil)
	c.do(404, "GET", "/api/v1/catalogs/"+id, "", nil)
	c.do(200, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, nil)
	c.do(200, "POST", "/api/v1/catalogs/"+aid+"/publish", op.Token, "{}")
	c.do(409, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, nil)
	c.do(200, "GET", "/api/v1/catalogs?kind=demand&period=2026-Q4", "", nil)
	c.do(200, "GET", "/api/v1/catalogs/"+id, "", nil)
	c.do(200, "GET", "/api/v1/catalogs/"+id+"/items?limit=1", "", nil)
	c.do(200, "GET", "/api/v1/catalogs/"+aid+"/items", "", nil)
	c.do(200, "GET", "/api/v1/catalogs/"+id+"/export?format=json", "", nil)
	c.do(200, "GET", "/api/v1/catalogs/"+aid+"/export?format=json", "", nil)
	c.do(200, "GET", "/api/v1/catalogs/"+id+"/export?format=csv", "", nil)
	c.do(422, "GET", "/api/v1/catalogs/"+id+"/export?format=pdf", "", nil)
	c.do(200, "GET", "/api/v1/catalogs/"+id+"/export?format=xlsx", "", nil)
	c.do(403, "POST", "/api/v1/catalogs", ent.Token, catalogBody())
	c.do(422, "POST", "/api/v1/catalogs", op.Token, map[string]any{"kind": "demand", "title": "目录", "period": "2026-Q5"})
	c.do(409, "PATCH", "/api/v1/catalogs/"+id, op.Token, map[string]any{"title": "发布后改名"})
}
