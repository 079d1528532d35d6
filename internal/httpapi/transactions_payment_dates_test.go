package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// TestPaymentBeforeSigning: a payment dated before the contract was signed,
// or in the future, is a 422 naming paid_at, and changes nothing.
func TestPaymentBeforeSigning(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		signed := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline, func(m map[string]any) { m["signed_at"] = instant(signed) })
		audits := count(t, e, "audit_events", "")
		for name, at := range map[string]time.Time{
			"a second before signing": signed.Add(-time.Second),
			"a year before signing":   signed.AddDate(-1, 0, 0),
			"tomorrow":                time.Now().Add(24 * time.Hour),
		} {
			body := payment(1_000, uniqueNo("PZ"))
			body["paid_at"] = instant(at)
			r := e.Do("POST", "/api/v1/transactions/"+id+"/payments", p.opL.Token, body)
			if r.Status != 422 || !strings.Contains(string(r.Body), `"field":"paid_at"`) {
				t.Errorf("%s: %d %s, want 422 naming paid_at", name, r.Status, r.Body)
			}
		}
		if status, paid, n := transactionState(t, e, id); status != "signed" || paid != 0 || n != 0 {
			t.Fatalf("refused payments changed the deal: %s, paid %d, %d payments", status, paid, n)
		}
		if n := count(t, e, "audit_events", ""); n != audits {
			t.Fatalf("refused payments wrote %d audit events", n-audits)
		}
		// At the very instant of signing is fine.
		body := payment(1_000, uniqueNo("PZ"))
		body["paid_at"] = instant(signed)
		e.Must(201, "POST", "/api/v1/transactions/"+id+"/payments", p.opL.Token, body)
	})
}
