package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// The four kinds of deal of the matrix, in the order of its columns. The
// buyer and the seller are the parties of all four.
var matrixTransactions = []struct{ name, market, channel string }{
	{"online-liuzhou", market.MarketLiuzhou, market.ChannelOnline},
	{"online-guizhong", market.MarketGuizhong, market.ChannelOnline},
	{"offline-liuzhou", market.MarketLiuzhou, market.ChannelOffline},
	{"offline-guizhong", market.MarketGuizhong, market.ChannelOffline},
}

// transactionMatrix is who may do what to which deal: role → action → the status
// expected on each kind of deal of matrixTransactions. 404 means the deal does not
// exist for the caller; 403 that it does but the action is not theirs;
// 409 that the action is theirs but the deal (signed) is in the wrong
// state for it. For list, 200 means listed and 404 absent.
var transactionMatrix = map[string]map[string][4]int{
	"buyer": {
		"get": {200, 200, 200, 200}, "list": {200, 200, 200, 200}, "evidence-list": {200, 200, 200, 200},
		"register": {403, 403, 403, 403}, "pay": {201, 201, 403, 403}, "complete": {403, 403, 403, 403},
		"cancel": {403, 403, 403, 403}, "evidence-upload": {403, 403, 403, 403},
	},
	"seller": {
		"get": {200, 200, 200, 200}, "list": {200, 200, 200, 200}, "evidence-list": {200, 200, 200, 200},
		"register": {403, 403, 403, 403}, "pay": {201, 201, 403, 403}, "complete": {403, 403, 403, 403},
		"cancel": {403, 403, 403, 403}, "evidence-upload": {403, 403, 403, 403},
	},
	"outsider": {
		"get": {404, 404, 404, 404}, "list": {404, 404, 404, 404}, "evidence-list": {404, 404, 404, 404},
		"register": {404, 404, 404, 404}, "pay": {404, 404, 404, 404}, "complete": {404, 404, 404, 404},
		"cancel": {404, 404, 404, 404}, "evidence-upload": {404, 404, 404, 404},
	},
	"operator-liuzhou": {
		"get": {200, 404, 200, 404}, "list": {200, 404, 200, 404}, "evidence-list": {200, 404, 200, 404},
		"register": {200, 404, 200, 404}, "pay": {201, 404, 201, 404}, "complete": {409, 404, 409, 404},
		"cancel": {200, 404, 200, 404}, "evidence-upload": {201, 404, 201, 404},
	},
	"operator-guizhong": {
		"get": {404, 200, 404, 200}, "list": {404, 200, 404, 200}, "evidence-list": {404, 200, 404, 200},
		"register": {404, 200, 404, 200}, "pay": {404, 201, 404, 201}, "complete": {404, 409, 404, 409},
		"cancel": {404, 200, 404, 200}, "evidence-upload": {404, 201, 404, 201},
	},
	"government": {
		"get": {200, 200, 200, 200}, "list": {200, 200, 200, 200}, "evidence-list": {200, 200, 200, 200},
		"register": {403, 403, 403, 403}, "pay": {403, 403, 403, 403}, "complete": {403, 403, 403, 403},
		"cancel": {403, 403, 403, 403}, "evidence-upload": {403, 403, 403, 403},
	},
	"platform-admin": {
		"get": {404, 404, 404, 404}, "list": {403, 403, 403, 403}, "evidence-list": {404, 404, 404, 404},
		"register": {404, 404, 404, 404}, "pay": {404, 404, 404, 404}, "complete": {404, 404, 404, 404},
		"cancel": {404, 404, 404, 404}, "evidence-upload": {404, 404, 404, 404},
	},
	"anonymous": {
		"get": {401, 401, 401, 401}, "list": {401, 401, 401, 401}, "evidence-list": {401, 401, 401, 401},
		"register": {401, 401, 401, 401}, "pay": {401, 401, 401, 401}, "complete": {401, 401, 401, 401},
		"cancel": {401, 401, 401, 401}, "evidence-upload": {401, 401, 401, 401},
	},
}

// createMatrix is who may create which kind of deal.
var createMatrix = map[string][4]int{
	"buyer":             {201, 201, 403, 403},
	"seller":            {201, 201, 403, 403},
	"outsider":          {403, 403, 403, 403}, // not a party of the deal it names
	"operator-liuzhou":  {403, 403, 201, 403},
	"operator-guizhong": {403, 403, 403, 201},
	"government":        {403, 403, 403, 403},
	"platform-admin":    {403, 403, 403, 403},
	"anonymous":         {401, 401, 401, 401},
}

func TestTransactionPermissionMatrix(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		tokens := map[string]string{
			"buyer": p.buyer.Token, "seller": p.seller.Token, "outsider": p.outsider.Token,
			"operator-liuzhou": p.opL.Token, "operator-guizhong": p.opG.Token, "government": p.gov.Token,
			"platform-admin": e.AdminToken, "anonymous": "",
		}
		// Deals that refused actions must leave untouched.
		shared := make([]string, len(matrixTransactions))
		for i, d := range matrixTransactions {
			shared[i] = newTransaction(e, p, d.market, d.channel)
		}
		n := 0
		for role, actions := range transactionMatrix {
			for action, wants := range actions {
				for i, d := range matrixTransactions {
					want := wants[i]
					id := shared[i]
					if action != "list" && action != "get" && action != "evidence-list" && want/100 == 2 {
						id = newTransaction(e, p, d.market, d.channel) // this one will change
					}
					got := transactionAction(e, tokens[role], action, id)
					if got != want {
						t.Errorf("%s %s %s: %d, want %d", role, action, d.name, got, want)
					}
					n++
				}
			}
		}
		for role, wants := range createMatrix {
			for i, d := range matrixTransactions {
				r := e.Do("POST", "/api/v1/transactions", tokens[role], transactionBody(p, d.market, d.channel))
				if r.Status != wants[i] {
					t.Errorf("%s create %s: %d, want %d: %s", role, d.name, r.Status, wants[i], r.Body)
				}
				n++
			}
		}
		t.Logf("%d cases", n)

		// Nothing that was refused changed the shared deals.
		for i, id := range shared {
			status, paid, payments := transactionState(t, e, id)
			if status != "signed" || paid != 0 || payments != 0 || count(t, e, "transaction_evidence", "transaction_id = ?", id) != 0 {
				t.Errorf("%s deal changed: %s, paid %d, %d payments", matrixTransactions[i].name, status, paid, payments)
			}
			// create, and for an online deal the seller's confirmation.
			want := 1
			if matrixTransactions[i].channel == market.ChannelOnline {
				want = 2
			}
			if k := count(t, e, "audit_events", "entity_id = ?", id); k != want {
				t.Errorf("%s deal has %d audit events, want %d", matrixTransactions[i].name, k, want)
			}
		}
	})
}

// transactionAction performs one action of the matrix and returns the status.
func transactionAction(e *apptest.Env, token, action, id string) int {
	e.T.Helper()
	base := "/api/v1/transactions/" + id
	switch action {
	case "get":
		return e.Do("GET", base, token, nil).Status
	case "list":
		r := e.Do("GET", "/api/v1/transactions?limit=100", token, nil)
		if r.Status != 200 {
			return r.Status
		}
		for _, it := range r.Items() {
			if it["id"] == id {
				return 200
			}
		}
		return 404
	case "evidence-list":
		return e.Do("GET", base+"/evidence", token, nil).Status
	case "register":
		return e.Do("POST", base+"/register", token, registration(uniqueNo("DJ"), nil)).Status
	case "pay":
		return e.Do("POST", base+"/payments", token, payment(1000, uniqueNo("PZ"))).Status
	case "complete":
		return e.Do("POST", base+"/complete", token, nil).Status
	case "cancel":
		return e.Do("POST", base+"/cancel", token, map[string]string{"reason": "双方协商解除"}).Status
	case "evidence-upload":
		return upload(e, token, id, "contract", "contract.pdf", pdf(id)).Status
	}
	e.T.Fatalf("unknown action %s", action)
	return 0
}
