package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

// TestOpenAPIVocabularyConform checks the synonym and match feedback
// answers, and the requests that succeed, against api/openapi.yaml.
func TestOpenAPIVocabularyConform(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	c := newConformer(t, e)
	p := newParties(e)
	aid := e.Publish("achievements", p.seller, p.opL, apptest.Achievement())
	did := e.Publish("demands", p.buyer, p.opL, apptest.Demand())

	c.do(200, "GET", "/api/v1/synonyms", p.opL.Token, nil)
	c.do(201, "PUT", "/api/v1/synonyms/lightweight", p.opL.Token, map[string]any{"terms": []string{"轻量化", "减重"}})
	c.do(200, "PUT", "/api/v1/synonyms/lightweight", p.opG.Token, map[string]any{"terms": []string{"轻量化", "减重", "ＣＦＲＰ"}})
	c.do(200, "GET", "/api/v1/synonyms", e.AdminToken, nil)
	c.do(422, "PUT", "/api/v1/synonyms/lightweight", p.opL.Token, map[string]any{"terms": []string{"cfrp", "ＣＦＲＰ"}})
	c.do(422, "PUT", "/api/v1/synonyms/Bad", p.opL.Token, map[string]any{"terms": []string{"甲", "乙"}})
	c.do(400, "PUT", "/api/v1/synonyms/lightweight", p.opL.Token, "{")
	c.do(403, "PUT", "/api/v1/synonyms/lightweight", p.buyer.Token, map[string]any{"terms": []string{"甲", "乙"}})
	c.do(403, "GET", "/api/v1/synonyms", p.gov.Token, nil)
	c.do(401, "GET", "/api/v1/synonyms", "", nil)
	c.do(204, "DELETE", "/api/v1/synonyms/lightweight", p.opL.Token, nil)
	c.do(404, "DELETE", "/api/v1/synonyms/lightweight", p.opL.Token, nil)
	c.do(403, "DELETE", "/api/v1/synonyms/lightweight", p.seller.Token, nil)

	c.do(201, "POST", "/api/v1/demands/"+did+"/matches/"+aid+"/feedback", p.buyer.Token, map[string]any{"useful": true})
	c.do(201, "POST", "/api/v1/demands/"+did+"/matches/"+aid+"/feedback", p.opL.Token, map[string]any{"useful": false})
	c.do(201, "POST", "/api/v1/achievements/"+aid+"/matches/"+did+"/feedback", p.seller.Token, map[string]any{"useful": true})
	c.do(403, "POST", "/api/v1/demands/"+did+"/matches/"+aid+"/feedback", p.outsider.Token, map[string]any{"useful": true})
	c.do(404, "POST", "/api/v1/achievements/"+aid+"/matches/no-such-demand/feedback", p.seller.Token, map[string]any{"useful": true})
	c.do(422, "POST", "/api/v1/demands/"+did+"/matches/"+aid+"/feedback", p.buyer.Token, map[string]any{})
	draft := e.Must(201, "POST", "/api/v1/demands", p.buyer.Token, apptest.Demand()).Str("id")
	c.do(409, "POST", "/api/v1/demands/"+draft+"/matches/"+aid+"/feedback", p.buyer.Token, map[string]any{"useful": true})
}
