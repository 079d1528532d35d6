package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// parties are the orgs of the deal tests: a buyer and a seller, an
// outsider, an operator of each market and the bureau.
type parties struct {
	buyer, seller, outsider apptest.Org
	opL, opG, gov           apptest.Org
}

func newParties(e *apptest.Env) parties {
	e.T.Helper()
	return parties{
		buyer:    e.NewOrg(market.OrgEnterprise, true),
		seller:   e.NewOrg(market.OrgUniversity, true),
		outsider: e.NewOrg(market.OrgEnterprise, true),
		opL:      e.NewOrg(market.OrgOperator, true),
		opG:      e.NewOrg(market.OrgOperator, true, func(m map[string]any) { m["market"] = market.MarketGuizhong }),
		gov:      e.NewOrg(market.OrgGovernment, true),
	}
}

func uniqueNo(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// instant formats a time the way clients send it.
func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// transactionBody returns a valid body for a deal between buyer and seller.
func transactionBody(p parties, mkt, channel string) map[string]any {
	return map[string]any{
		"market": mkt, "channel": channel, "contract_type": "transfer", "contract_no": uniqueNo("HT"),
		"title": "碳纤维车身轻量化技术转让合同", "buyer_org_id": p.buyer.ID, "seller_org_id": p.seller.ID,
		"contract_amount_fen": 1_000_000, "tech_amount_fen": 800_000,
		"signed_at": instant(time.Now().Add(-48 * time.Hour)),
	}
}

// newTransaction creates a signed deal of the channel in the market with its
// proper creator (the buyer online, the market's operator offline) and
// returns its id. An online deal without an intent starts
// pending_confirmation: the seller confirms it here.
func newTransaction(e *apptest.Env, p parties, mkt, channel string, edit ...func(map[string]any)) string {
	e.T.Helper()
	body := transactionBody(p, mkt, channel)
	for _, f := range edit {
		f(body)
	}
	r := e.Must(201, "POST", "/api/v1/transactions", creator(p, mkt, channel).Token, body)
	id := r.Str("id")
	if r.Str("status") == market.TransactionPending {
		e.Must(200, "POST", "/api/v1/transactions/"+id+"/confirm", p.seller.Token, nil)
	}
	return id
}

// pendingTransaction creates an online deal of the market by the buyer alone,
// left pending_confirmation, and returns its id.
func pendingTransaction(e *apptest.Env, p parties, mkt string) string {
	e.T.Helper()
	r := e.Must(201, "POST", "/api/v1/transactions", p.buyer.Token, transactionBody(p, mkt, market.ChannelOnline))
	if r.Str("status") != market.TransactionPending {
		e.T.Fatalf("an online deal without an intent: %s", r.Body)
	}
	return r.Str("id")
}

func creator(p parties, mkt, channel string) apptest.Org {
	switch {
	case channel == market.ChannelOnline:
		return p.buyer
	case mkt == market.MarketLiuzhou:
		return p.opL
	}
	return p.opG
}

func payment(amount int64, voucher string) map[string]any {
	return map[string]any{"amount_fen": amount, "paid_at": instant(time.Now().Add(-time.Hour)), "voucher_no": voucher}
}

func registration(no string, certified any) map[string]any {
	m := map[string]any{"registration_no": no, "registered_at": instant(time.Now().Add(-time.Hour))}
	if certified != nil {
		m["certified_tech_amount_fen"] = certified
	}
	return m
}

// deal is the part of a transaction the tests read.
type deal struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	Market         string `json:"market"`
	Channel        string `json:"channel"`
	BuyerOrgID     string `json:"buyer_org_id"`
	SellerOrgID    string `json:"seller_org_id"`
	AchievementID  string `json:"achievement_id"`
	IntentID       string `json:"intent_id"`
	ContractNo     string `json:"contract_no"`
	ContractAmount int64  `json:"contract_amount_fen"`
	TechAmount     int64  `json:"tech_amount_fen"`
	PaidFen        int64  `json:"paid_fen"`
	RegistrationNo string `json:"registration_no"`
	CancelReason   string `json:"cancel_reason"`
	BookedFen      int64  `json:"booked_fen"`
	Payments       []struct {
		ID           string `json:"id"`
		AmountFen    int64  `json:"amount_fen"`
		PaidAt       string `json:"paid_at"`
		VoucherNo    string `json:"voucher_no"`
		Confirmed    bool   `json:"confirmed"`
		AddedByOrgID string `json:"added_by_org_id"`
	} `json:"payments"`
}

func asTransaction(t *testing.T, r *apptest.Response) deal {
	t.Helper()
	var d deal
	if err := json.Unmarshal(r.Body, &d); err != nil {
		t.Fatalf("decode deal: %v: %s", err, r.Body)
	}
	return d
}

// upload sends a file as evidence.
func upload(e *apptest.Env, token, transactionID, kind, filename string, content []byte) *apptest.Response {
	e.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if kind != "" {
		_ = mw.WriteField("kind", kind)
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			e.T.Fatal(err)
		}
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	return e.Do("POST", "/api/v1/transactions/"+transactionID+"/evidence", token, buf.Bytes(), "Content-Type", mw.FormDataContentType())
}

// pdf returns a small file that reads as a PDF.
func pdf(text string) []byte { return []byte("%PDF-1.4\n% " + text + "\n%%EOF\n") }

// transactionState reads what the database holds about a deal.
func transactionState(t *testing.T, e *apptest.Env, id string) (status string, paid int64, payments int) {
	t.Helper()
	if err := e.Sys.DB.SQL().QueryRow("SELECT status, paid_fen FROM transactions WHERE id = ?", id).Scan(&status, &paid); err != nil {
		t.Fatal(err)
	}
	return status, paid, count(t, e, "payments", "transaction_id = ?", id)
}

// oneTransactionWon checks a race of deal creations: exactly one answered 201,
// and every other attempt is a 409 naming that deal. It returns its id.
func oneTransactionWon(t *testing.T, res []*apptest.Response) string {
	t.Helper()
	var winner string
	for _, r := range res {
		if r.Status == 201 {
			if winner != "" {
				t.Fatalf("two deals created: %s and %s", winner, r.Str("id"))
			}
			winner = r.Str("id")
		}
	}
	if winner == "" {
		t.Fatal("no deal created")
	}
	for i, r := range res {
		if r.Status != 201 && (r.Status != 409 || !strings.Contains(r.Str("detail"), winner)) {
			t.Errorf("attempt %d: %d %s, want 409 naming %s", i, r.Status, r.Body, winner)
		}
	}
	return winner
}
