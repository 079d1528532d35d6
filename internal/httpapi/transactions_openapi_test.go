package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// TestOpenAPITransactionsConform checks the intent and transaction routes'
// answers against api/openapi.yaml.
func TestOpenAPITransactionsConform(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	c := newConformer(t, e)
	p := newParties(e)
	aid := e.Publish("achievements", p.seller, p.opL, apptest.Achievement())
	did := e.Publish("demands", p.buyer, p.opL, apptest.Demand())

	// Intents.
	iid := c.do(201, "POST", "/api/v1/intents", p.buyer.Token, map[string]any{"achievement_id": aid, "message": "希望洽谈"},
		"Idempotency-Key", "oa-intent").Str("id")
	c.do(201, "POST", "/api/v1/intents", p.buyer.Token, map[string]any{"achievement_id": aid, "message": "希望洽谈"},
		"Idempotency-Key", "oa-intent")
	c.do(409, "POST", "/api/v1/intents", p.buyer.Token, map[string]any{"achievement_id": aid, "message": "再来"})
	c.do(422, "POST", "/api/v1/intents", p.seller.Token, map[string]any{"achievement_id": aid, "message": "自己的"})
	c.do(403, "POST", "/api/v1/intents", p.opL.Token, map[string]any{"achievement_id": aid, "message": "运营方"})
	rid := c.do(201, "POST", "/api/v1/intents", p.seller.Token, map[string]any{"demand_id": did, "message": "可以做"}).Str("id")
	c.do(200, "GET", "/api/v1/intents?role=sent&status=pending&limit=5", p.buyer.Token, nil)
	c.do(200, "GET", "/api/v1/intents/"+iid, p.seller.Token, nil)
	c.do(404, "GET", "/api/v1/intents/"+iid, p.outsider.Token, nil)
	c.do(403, "POST", "/api/v1/intents/"+iid+"/accept", p.buyer.Token, nil)
	c.do(200, "POST", "/api/v1/intents/"+iid+"/accept", p.seller.Token, nil)
	c.do(409, "POST", "/api/v1/intents/"+iid+"/accept", p.seller.Token, "{}")
	c.do(200, "POST", "/api/v1/intents/"+rid+"/decline", p.buyer.Token, map[string]string{"reason_code": "price", "reason": "超预算"})
	c.do(422, "POST", "/api/v1/intents/"+rid+"/decline", p.buyer.Token, map[string]string{"reason_code": "nope"})
	c.do(200, "GET", "/api/v1/intents/"+rid, p.buyer.Token, nil)

	// An online deal from the intent, an offline one by the operator.
	online := transactionBody(p, market.MarketLiuzhou, market.ChannelOnline)
	delete(online, "buyer_org_id")
	delete(online, "seller_org_id")
	online["intent_id"] = iid
	on := c.do(201, "POST", "/api/v1/transactions", p.buyer.Token, online, "Idempotency-Key", "oa-deal").Str("id")
	c.do(201, "POST", "/api/v1/transactions", p.buyer.Token, online, "Idempotency-Key", "oa-deal")
	c.do(422, "POST", "/api/v1/transactions", p.buyer.Token, transactionBody(p, market.MarketLiuzhou, market.ChannelOnline), "Idempotency-Key", "oa-deal")
	c.do(409, "POST", "/api/v1/transactions", p.buyer.Token, online)
	off := c.do(201, "POST", "/api/v1/transactions", p.opL.Token, transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)).Str("id")
	c.do(403, "POST", "/api/v1/transactions", p.opG.Token, transactionBody(p, market.MarketLiuzhou, market.ChannelOffline))
	bad := transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)
	bad["tech_amount_fen"] = 2_000_000
	c.do(422, "POST", "/api/v1/transactions", p.opL.Token, bad)
	c.do(400, "POST", "/api/v1/transactions", p.opL.Token, "{")

	// A deal the buyer logs alone waits for the seller.
	pend := c.do(201, "POST", "/api/v1/transactions", p.buyer.Token, transactionBody(p, market.MarketLiuzhou, market.ChannelOnline)).Str("id")
	c.do(403, "POST", "/api/v1/transactions/"+pend+"/confirm", p.buyer.Token, nil)
	c.do(409, "POST", "/api/v1/transactions/"+pend+"/payments", p.buyer.Token, payment(1, "OA-P"))
	c.do(422, "POST", "/api/v1/transactions/"+pend+"/decline", p.seller.Token, "{}")
	c.do(200, "POST", "/api/v1/transactions/"+pend+"/confirm", p.seller.Token, "{}")
	c.do(409, "POST", "/api/v1/transactions/"+pend+"/decline", p.seller.Token, map[string]string{"reason": "晚了"})
	pend = c.do(201, "POST", "/api/v1/transactions", p.buyer.Token, transactionBody(p, market.MarketLiuzhou, market.ChannelOnline)).Str("id")
	c.do(200, "POST", "/api/v1/transactions/"+pend+"/decline", p.seller.Token, map[string]string{"reason": "未曾签约"})

	pr := c.do(201, "POST", "/api/v1/transactions/"+on+"/payments", p.buyer.Token, payment(500_000, "OA-1"))
	pid := pr.JSON()["payments"].([]any)[0].(map[string]any)["id"].(string)
	c.do(403, "POST", "/api/v1/transactions/"+on+"/payments/"+pid+"/confirm", p.buyer.Token, nil)
	c.do(404, "POST", "/api/v1/transactions/"+on+"/payments/NOPE/confirm", p.seller.Token, nil)
	c.do(200, "POST", "/api/v1/transactions/"+on+"/payments/"+pid+"/confirm", p.seller.Token, nil)
	c.do(409, "POST", "/api/v1/transactions/"+on+"/payments/"+pid+"/confirm", p.opL.Token, "{}")
	c.do(422, "POST", "/api/v1/transactions/"+on+"/payments", p.buyer.Token, payment(600_000, "OA-2"))
	c.do(409, "POST", "/api/v1/transactions/"+on+"/payments", p.buyer.Token, payment(1, "OA-1"))
	c.do(403, "POST", "/api/v1/transactions/"+off+"/payments", p.buyer.Token, payment(1, "OA-3"))
	c.do(403, "POST", "/api/v1/transactions/"+on+"/register", p.buyer.Token, registration("OA-DJ", nil))
	c.do(200, "POST", "/api/v1/transactions/"+on+"/register", p.opL.Token, registration("OA-DJ", 500_000))
	c.do(409, "POST", "/api/v1/transactions/"+off+"/register", p.opL.Token, registration("OA-DJ", nil))
	c.do(200, "POST", "/api/v1/transactions/"+on+"/complete", p.opL.Token, nil)
	c.do(409, "POST", "/api/v1/transactions/"+on+"/cancel", p.opL.Token, map[string]string{"reason": "晚了"})
	c.do(200, "POST", "/api/v1/transactions/"+off+"/cancel", p.opL.Token, map[string]string{"reason": "合同解除"})
	c.do(404, "POST", "/api/v1/transactions/"+off+"/complete", p.opG.Token, nil)

	c.do(200, "GET", "/api/v1/transactions/"+on, p.seller.Token, nil)
	c.do(200, "GET", "/api/v1/transactions/"+off, p.gov.Token, nil)
	c.do(404, "GET", "/api/v1/transactions/"+off, p.outsider.Token, nil)
	c.do(200, "GET", "/api/v1/transactions?market=liuzhou&channel=online&status=completed&signed_from=2020-01-01&limit=1", p.opL.Token, nil)
	c.do(200, "GET", "/api/v1/transactions?contract_type=transfer&buyer_org_id="+p.buyer.ID, p.buyer.Token, nil)
	c.do(422, "GET", "/api/v1/transactions?status=lost", p.gov.Token, nil)
	c.do(403, "GET", "/api/v1/transactions", e.AdminToken, nil)

	// Evidence: the upload itself is multipart, which the conformer does
	// not build; its answer is checked through the list.
	r := upload(e, p.opL.Token, off, "contract", "合同.pdf", pdf("oa"))
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	c.do(400, "POST", "/api/v1/transactions/"+off+"/evidence", p.opL.Token, `{"kind":"contract"}`)
	c.do(200, "GET", "/api/v1/transactions/"+off+"/evidence", p.buyer.Token, nil)
	c.do(200, "GET", "/api/v1/transactions/"+off+"/evidence/"+r.Str("id"), p.gov.Token, nil)
	c.do(404, "GET", "/api/v1/transactions/"+off+"/evidence/"+r.Str("id"), p.outsider.Token, nil)
}
