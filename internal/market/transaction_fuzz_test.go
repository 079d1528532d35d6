package market_test

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fuzzTransactionFields are the fields an EINVALID error of NewTransaction may
// name.
var fuzzTransactionFields = []string{"market", "channel", "contract_type", "contract_no", "title", "buyer_org_id",
	"seller_org_id", "achievement_id", "demand_id", "intent_id", "contract_amount_fen", "tech_amount_fen", "signed_at"}

// FuzzNewTransaction decodes arbitrary bytes as the body of POST
// /transactions, fills the defaults for an operator or a party, and builds
// the deal: an accepted deal is signed, names known codes, a normalised
// printable contract number of 1..64 characters, two different parties (or
// an intent, online only), positive amounts within MaxAmountFen with the
// tech amount within the contract amount, and a signing instant between
// 2000 and now (plus the allowed skew); a refusal is EINVALID naming
// fields of the body.
func FuzzNewTransaction(f *testing.F) {
	valid := `{"contract_type":"transfer","contract_no":"ht-2026-001","title":"碳纤维技术转让","buyer_org_id":"B1",` +
		`"seller_org_id":"S1","contract_amount_fen":1000000,"tech_amount_fen":800000,"signed_at":"2026-03-01T10:00:00+08:00"}`
	for _, s := range []struct {
		body     string
		operator bool
	}{
		{valid, true},
		{valid, false},
		{`{"market":"guizhong","channel":"online","contract_type":"development","contract_no":"  ht   1 ","title":"开发",` +
			`"intent_id":"01JABCDEFGHJKMNPQRSTVWXYZ0","contract_amount_fen":1,"tech_amount_fen":1,"signed_at":"2000-01-01T00:00:00Z"}`, false},
		{`{"channel":"offline","intent_id":"I1","contract_type":"license","contract_no":"x","title":"ab",` +
			`"buyer_org_id":"B","seller_org_id":"B","contract_amount_fen":100000000000000,"tech_amount_fen":100000000000001,` +
			`"signed_at":"1999-12-31T23:59:59Z"}`, true},
		{`{"contract_no":"\u0000\u0007","title":"\u200b","contract_amount_fen":-1,"tech_amount_fen":0,"signed_at":"2026-06-15T12:05:00.000000001Z"}`, true},
		{`{"contract_no":"ß ǆ ı ſ ﬀ","signed_at":"2026-06-15T12:04:59Z","contract_amount_fen":5,"tech_amount_fen":6}`, false},
		{`{"contract_amount_fen":9223372036854775807,"tech_amount_fen":9223372036854775807}`, true},
		{`{"contract_amount_fen":1.5}`, true},
		{`{"signed_at":"2026-03-01"}`, true},
		{`{"buyer_org_id":"` + strings.Repeat("x", 27) + `"}`, true},
		{`{"market":"shanghai","channel":"phone","contract_type":"sale"}`, false},
		{`{"payments":[]}`, true},
		{`[]`, true},
	} {
		f.Add([]byte(s.body), s.operator)
	}
	f.Fuzz(func(t *testing.T, body []byte, operator bool) {
		var n market.NewTransaction
		if !fuzzDecodeStrict(body, &n) {
			return
		}
		actor := &market.Actor{UserID: "U", OrgID: "E", OrgKind: market.OrgEnterprise, OrgVerified: true}
		if operator {
			actor = &market.Actor{UserID: "U", OrgID: "OP", OrgKind: market.OrgOperator, OrgVerified: true, Market: market.MarketLiuzhou}
		}
		channel, mkt := n.Channel, n.Market
		n.Defaults(actor)
		switch {
		case channel == "" && operator && n.Channel != market.ChannelOffline,
			channel == "" && !operator && n.Channel != market.ChannelOnline,
			channel != "" && n.Channel != channel:
			t.Fatalf("Defaults: channel %q → %q (operator %v)", channel, n.Channel, operator)
		case mkt == "" && operator && n.Market != market.MarketLiuzhou,
			mkt == "" && !operator && n.Market != "",
			mkt != "" && n.Market != mkt:
			t.Fatalf("Defaults: market %q → %q (operator %v)", mkt, n.Market, operator)
		}

		d, err := n.Transaction(fuzzNow)
		if err != nil {
			if d != nil {
				t.Fatalf("a deal and an error: %+v, %v", d, err)
			}
			fuzzCheckInvalid(t, err, fuzzTransactionFields...)
			return
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("Transaction accepted %s as %+v: "+format, append([]any{body, *d}, args...)...)
		}
		wantStatus := market.TransactionSigned
		if d.Channel == market.ChannelOnline && d.IntentID == "" {
			wantStatus = market.TransactionPending // the other party confirms it
		}
		if d.Status != wantStatus || d.Payments == nil || len(d.Payments) != 0 || d.PaidFen != 0 {
			fail("not a fresh signed deal")
		}
		if !market.HasCode(market.Markets, d.Market) || !market.HasCode(market.Channels, d.Channel) ||
			!market.HasCode(market.ContractTypes, d.ContractType) {
			fail("codes")
		}
		if !fuzzRunes(d.ContractNo, 1, 64) || strings.IndexFunc(d.ContractNo, func(r rune) bool { return !unicode.IsPrint(r) && r != '\u3000' }) >= 0 ||
			d.ContractNo != strings.TrimSpace(d.ContractNo) {
			fail("contract_no %q", d.ContractNo)
		}
		// The number is kept as entered and compared folded, so "ht-1 ",
		// "HT-1" and "ＨＴ－１" are one contract: folding again changes
		// nothing, and the folded form fits the key column.
		if k := market.FoldNo(d.ContractNo); market.FoldNo(k) != k || !fuzzRunes(k, 1, 64) {
			fail("contract_no %q folds to %q", d.ContractNo, k)
		}
		if !fuzzRunes(d.Title, 2, 200) || d.Title != strings.TrimSpace(d.Title) {
			fail("title %q", d.Title)
		}
		for _, id := range []string{d.BuyerOrgID, d.SellerOrgID, d.AchievementID, d.DemandID, d.IntentID} {
			if len(id) > 26 || id != strings.TrimSpace(id) {
				fail("id %q", id)
			}
		}
		if d.IntentID == "" && (d.BuyerOrgID == "" || d.SellerOrgID == "") {
			fail("no parties and no intent")
		}
		if d.IntentID != "" && d.Channel != market.ChannelOnline {
			fail("an %s deal from an intent", d.Channel)
		}
		if d.BuyerOrgID != "" && d.BuyerOrgID == d.SellerOrgID {
			fail("buyer is seller")
		}
		if d.ContractAmountFen < 1 || d.ContractAmountFen > market.MaxAmountFen ||
			d.TechAmountFen < 1 || d.TechAmountFen > d.ContractAmountFen || d.DeclaredTechAmountFen != d.TechAmountFen {
			fail("amounts")
		}
		earliest := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		if d.SignedAt.Before(earliest) || d.SignedAt.After(fuzzNow.Add(5*time.Minute)) || d.SignedAt.Location() != time.UTC ||
			d.SignedAt.Nanosecond()%1000 != 0 {
			fail("signed_at %v", d.SignedAt)
		}
		if !d.CreatedAt.Equal(fuzzNow) {
			fail("created_at %v", d.CreatedAt)
		}
	})
}
