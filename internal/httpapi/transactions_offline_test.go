package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
)

// TestPartiesSeeOfflineTransactions: the buyer and the seller of an offline deal
// see it (the buyer quotes and applies for its subsidy); nobody else does.
func TestPartiesSeeOfflineTransactions(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		pid := loosePolicy(e, p, 0)
		deal := signedTransaction(e, p, 1_000_000, 1_000_000)
		listed := func(token string) bool {
			for _, it := range e.Must(200, "GET", "/api/v1/transactions?channel=offline&limit=100", token, nil).Items() {
				if it["id"] == deal {
					return true
				}
			}
			return false
		}
		for _, who := range []apptest.Org{p.buyer, p.seller} {
			e.Must(200, "GET", "/api/v1/transactions/"+deal, who.Token, nil)
			e.Must(200, "POST", "/api/v1/subsidies/quote", who.Token, quoteReq(deal, pid))
			if !listed(who.Token) {
				t.Errorf("party %s does not list its offline deal", who.ID)
			}
		}
		e.Must(201, "POST", subsidyApps, p.buyer.Token, quoteReq(deal, pid))
		e.Must(404, "GET", "/api/v1/transactions/"+deal, p.outsider.Token, nil)
		e.Must(404, "POST", "/api/v1/subsidies/quote", p.outsider.Token, quoteReq(deal, pid))
		e.Must(404, "POST", subsidyApps, p.outsider.Token, quoteReq(deal, pid))
		if listed(p.outsider.Token) {
			t.Error("an outsider lists the offline deal")
		}
	})
}
