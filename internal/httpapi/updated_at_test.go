package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// updatedAt reads the updated_at of a JSON object.
func updatedAt(t *testing.T, body []byte) string {
	t.Helper()
	var v struct {
		UpdatedAt string `json:"updated_at"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.UpdatedAt == "" {
		t.Fatalf("no updated_at: %v %s", err, body)
	}
	return v.UpdatedAt
}

// lastAuditUpdatedAt is the updated_at of the "after" of the newest audit
// event of an entity.
func lastAuditUpdatedAt(t *testing.T, e *apptest.Env, entity, id string) string {
	t.Helper()
	items := e.Must(200, "GET", "/api/v1/audit?entity="+entity+"&entity_id="+id, e.AdminToken, nil).Items()
	if len(items) == 0 {
		t.Fatalf("no audit events of %s %s", entity, id)
	}
	after, _ := json.Marshal(items[len(items)-1]["after"])
	return updatedAt(t, after)
}

// TestChangesStoreWhatTheyAnswer: after a change, the answer, the audit
// event and a later GET show the same updated_at (GORM's Save must not
// stamp its own).
func TestChangesStoreWhatTheyAnswer(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		same := func(what, answer, audit string, get []byte) {
			t.Helper()
			if g := updatedAt(t, get); answer != g || audit != g {
				t.Errorf("%s: answer %s, audit %s, GET %s", what, answer, audit, g)
			}
		}
		aid := e.Publish("achievements", p.seller, p.opL, apptest.Achievement())
		iid := e.Must(201, "POST", "/api/v1/intents", p.buyer.Token, map[string]any{"achievement_id": aid, "message": "询价"}).Str("id")
		r := e.Must(200, "POST", "/api/v1/intents/"+iid+"/accept", p.seller.Token, nil)
		same("intent accept", updatedAt(t, r.Body), lastAuditUpdatedAt(t, e, "intent", iid),
			e.Must(200, "GET", "/api/v1/intents/"+iid, p.buyer.Token, nil).Body)

		deal := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		r = e.Must(201, "POST", "/api/v1/transactions/"+deal+"/payments", p.opL.Token, payment(1_000, uniqueNo("PZ")))
		same("payment", updatedAt(t, r.Body), lastAuditUpdatedAt(t, e, "transaction", deal),
			e.Must(200, "GET", "/api/v1/transactions/"+deal, p.opL.Token, nil).Body)
		r = e.Must(200, "POST", "/api/v1/transactions/"+deal+"/cancel", p.opL.Token, map[string]string{"reason": "解除"})
		same("cancel", updatedAt(t, r.Body), lastAuditUpdatedAt(t, e, "transaction", deal),
			e.Must(200, "GET", "/api/v1/transactions/"+deal, p.opL.Token, nil).Body)

		pid := loosePolicy(e, p, 0)
		r = e.Must(200, "PATCH", "/api/v1/subsidy-policies/"+pid, p.gov.Token, map[string]any{"name": "改名后的补助政策"})
		same("policy update", updatedAt(t, r.Body), lastAuditUpdatedAt(t, e, "subsidy_policy", pid),
			e.Must(200, "GET", "/api/v1/subsidy-policies/"+pid, "", nil).Body)

		app := e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(signedTransaction(e, p, 1_000_000, 1_000_000), pid)).Str("id")
		r = e.Must(200, "POST", subsidyApps+"/"+app+"/review", p.gov.Token, reviewBody("approve", ""))
		same("application approve", updatedAt(t, r.Body), lastAuditUpdatedAt(t, e, "subsidy_application", app),
			e.Must(200, "GET", subsidyApps+"/"+app, p.gov.Token, nil).Body)
	})
}
