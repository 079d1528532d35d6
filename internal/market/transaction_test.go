package market_test

import (
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestTransactionTransitions(t *testing.T) {
	states := market.TransactionStatuses
	// Every move the table allows; everything else is a conflict.
	allowed := map[string]map[string]string{
		market.ActionConfirm:  {"pending_confirmation": "signed"},
		market.ActionDecline:  {"pending_confirmation": "cancelled"},
		market.ActionRegister: {"signed": "registered"},
		market.ActionPay:      {"signed": "signed", "registered": "registered"},
		market.ActionSettle:   {"registered": "paid"},
		market.ActionComplete: {"paid": "completed"},
		market.ActionCancel:   {"pending_confirmation": "cancelled", "signed": "cancelled", "registered": "cancelled"},
		market.ActionConfirmPayment: {"signed": "signed", "registered": "registered", "paid": "paid",
			"completed": "completed"},
	}
	for action, moves := range allowed {
		for _, from := range states {
			to, err := market.TransactionTransition(from, action)
			want, ok := moves[from]
			switch {
			case ok && (err != nil || to != want):
				t.Errorf("%s from %s: %q, %v; want %s", action, from, to, err, want)
			case !ok && market.ErrorCode(err) != market.ECONFLICT:
				t.Errorf("%s from %s: %v, want a conflict", action, from, err)
			case !ok && !strings.Contains(err.Error(), from):
				t.Errorf("%s from %s: %v does not name the state", action, from, err)
			}
		}
	}
	if _, err := market.TransactionTransition("signed", "approve"); market.ErrorCode(err) != market.ECONFLICT {
		t.Errorf("unknown action: %v", err)
	}
}

func newTransaction(t *testing.T) *market.Transaction {
	t.Helper()
	now := time.Now()
	n := market.NewTransaction{Market: "liuzhou", Channel: "offline", ContractType: "transfer", ContractNo: "ht-1",
		Title: "技术转让", BuyerOrgID: "B", SellerOrgID: "S", ContractAmountFen: 1000, TechAmountFen: 800,
		SignedAt: now.Add(-time.Hour).Format(time.RFC3339)}
	d, err := n.Transaction(now)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func pay(t *testing.T, d *market.Transaction, amount int64, voucher string) error {
	t.Helper()
	np := market.NewPayment{AmountFen: amount, PaidAt: time.Now().Format(time.RFC3339), VoucherNo: voucher}
	p, err := np.Payment(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p.ID = voucher
	p.Confirmed = true // as the operator books it
	return d.AddPayment(p, time.Now())
}

func register(t *testing.T, d *market.Transaction, certified *int64) error {
	t.Helper()
	r := market.TransactionRegistration{RegistrationNo: "dj-1", RegisteredAt: time.Now().Format(time.RFC3339), CertifiedTechAmountFen: certified}
	if err := r.Validate(time.Now()); err != nil {
		t.Fatal(err)
	}
	return d.Register(r, time.Now())
}

func TestTransactionSettlesInEitherOrder(t *testing.T) {
	// Registered, then paid in two steps.
	d := newTransaction(t)
	if d.ContractNo != "ht-1" || d.Status != "signed" || d.DeclaredTechAmountFen != 800 {
		t.Fatalf("new deal: %+v", d)
	}
	if err := register(t, d, nil); err != nil || d.Status != "registered" {
		t.Fatalf("register: %v %s", err, d.Status)
	}
	if err := pay(t, d, 500, "A"); err != nil || d.Status != "registered" {
		t.Fatalf("part payment: %v %s", err, d.Status)
	}
	if err := pay(t, d, 300, "B"); err != nil || d.Status != "paid" || d.PaidFen != 800 {
		t.Fatalf("full payment: %v %s %d", err, d.Status, d.PaidFen)
	}
	if err := pay(t, d, 1, "C"); market.ErrorCode(err) != market.ECONFLICT {
		t.Fatalf("payment on a paid deal: %v", err)
	}

	// Paid first; a certified amount below what is paid settles at once.
	d = newTransaction(t)
	if err := pay(t, d, 700, "A"); err != nil || d.Status != "signed" {
		t.Fatalf("payment: %v %s", err, d.Status)
	}
	certified := int64(600)
	if err := register(t, d, &certified); err != nil || d.Status != "paid" || d.TechAmountFen != 600 {
		t.Fatalf("register after payment: %v %s %d", err, d.Status, d.TechAmountFen)
	}
}

func TestTransactionPaymentChecks(t *testing.T) {
	d := newTransaction(t)
	if err := pay(t, d, 900, "A"); err != nil {
		t.Fatal(err)
	}
	err := pay(t, d, 101, "B")
	if e, ok := err.(*market.Error); !ok || e.Code != market.EINVALID || e.Fields[0].Field != "amount_fen" {
		t.Fatalf("overflow: %v", err)
	}
	if d.PaidFen != 900 || len(d.Payments) != 1 {
		t.Fatalf("overflow changed the deal: %d, %d payments", d.PaidFen, len(d.Payments))
	}
	early, err := (&market.NewPayment{AmountFen: 1, PaidAt: d.SignedAt.Add(-time.Second).Format(time.RFC3339), VoucherNo: "E"}).Payment(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = d.AddPayment(early, time.Now())
	if e, ok := err.(*market.Error); !ok || e.Code != market.EINVALID || e.Fields[0].Field != "paid_at" || d.PaidFen != 900 {
		t.Fatalf("paid before signing: %v", err)
	}
	if err := pay(t, d, 1, " a "); market.ErrorCode(err) != market.ECONFLICT {
		t.Fatalf("duplicate voucher: %v", err)
	}
	if err := pay(t, d, 100, "B"); err != nil || d.PaidFen != 1000 {
		t.Fatalf("paying the rest: %v", err)
	}
	over := int64(1001)
	r := market.TransactionRegistration{RegistrationNo: "X", RegisteredAt: time.Now().Format(time.RFC3339), CertifiedTechAmountFen: &over}
	if err := r.Validate(time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := d.Register(r, time.Now()); market.ErrorCode(err) != market.EINVALID || d.Status != "signed" {
		t.Fatalf("certified above contract: %v %s", err, d.Status)
	}
	if err := d.Cancel(market.Cancellation{Reason: "x"}, time.Now()); err != nil || d.Status != "cancelled" {
		t.Fatalf("cancel: %v", err)
	}
	if err := d.Complete(time.Now()); market.ErrorCode(err) != market.ECONFLICT {
		t.Fatalf("complete a cancelled deal: %v", err)
	}
}

func TestNewTransactionValidate(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	valid := func() market.NewTransaction {
		return market.NewTransaction{Market: "liuzhou", Channel: "online", ContractType: "license", ContractNo: "HT-9",
			Title: "专利许可", BuyerOrgID: "B", SellerOrgID: "S", ContractAmountFen: 100, TechAmountFen: 100,
			SignedAt: "2026-04-30T10:00:00+08:00"}
	}
	if _, err := func() (*market.Transaction, error) { n := valid(); return n.Transaction(now) }(); err != nil {
		t.Fatalf("valid body: %v", err)
	}
	cases := []struct {
		name  string
		edit  func(*market.NewTransaction)
		field string
	}{
		{"market", func(n *market.NewTransaction) { n.Market = "LIUZHOU" }, "market"},
		{"channel", func(n *market.NewTransaction) { n.Channel = "" }, "channel"},
		{"contract type", func(n *market.NewTransaction) { n.ContractType = "sale" }, "contract_type"},
		{"blank contract no", func(n *market.NewTransaction) { n.ContractNo = "   " }, "contract_no"},
		{"long contract no", func(n *market.NewTransaction) { n.ContractNo = strings.Repeat("号", 65) }, "contract_no"},
		{"control character", func(n *market.NewTransaction) { n.ContractNo = "HT\x001" }, "contract_no"},
		{"short title", func(n *market.NewTransaction) { n.Title = "x" }, "title"},
		{"zero contract", func(n *market.NewTransaction) { n.ContractAmountFen = 0 }, "contract_amount_fen"},
		{"negative tech", func(n *market.NewTransaction) { n.TechAmountFen = -1 }, "tech_amount_fen"},
		{"tech above contract", func(n *market.NewTransaction) { n.TechAmountFen = 101 }, "tech_amount_fen"},
		{"over the maximum", func(n *market.NewTransaction) { n.ContractAmountFen = market.MaxAmountFen + 1 }, "contract_amount_fen"},
		{"future", func(n *market.NewTransaction) { n.SignedAt = "2026-05-01T12:06:00Z" }, "signed_at"},
		{"ancient", func(n *market.NewTransaction) { n.SignedAt = "1999-12-31T23:59:59Z" }, "signed_at"},
		{"date only", func(n *market.NewTransaction) { n.SignedAt = "2026-04-30" }, "signed_at"},
		{"no buyer", func(n *market.NewTransaction) { n.BuyerOrgID = "" }, "buyer_org_id"},
		{"same parties", func(n *market.NewTransaction) { n.SellerOrgID = "B" }, "seller_org_id"},
		{"offline intent", func(n *market.NewTransaction) { n.Channel = "offline"; n.IntentID = "I" }, "intent_id"},
	}
	for _, c := range cases {
		n := valid()
		c.edit(&n)
		_, err := n.Transaction(now)
		e, ok := err.(*market.Error)
		if !ok || e.Code != market.EINVALID || !hasField(e, c.field) {
			t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
		}
	}
	// A few minutes of clock skew are tolerated; an intent stands in for
	// the parties.
	n := valid()
	n.SignedAt, n.BuyerOrgID, n.SellerOrgID, n.IntentID = "2026-05-01T12:04:00Z", "", "", "I"
	if _, err := n.Transaction(now); err != nil {
		t.Fatalf("skew and intent: %v", err)
	}
}

func hasField(e *market.Error, field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestTransactionFromIntent(t *testing.T) {
	d := newTransaction(t)
	d.BuyerOrgID, d.SellerOrgID = "", ""
	in := &market.Intent{ID: "I", FromOrgID: "ENT", ToOrgID: "UNI", AchievementID: "A", Status: market.IntentPending}
	if err := d.FromIntent(in); market.ErrorCode(err) != market.EINVALID {
		t.Fatalf("pending intent: %v", err)
	}
	in.Status = market.IntentAccepted
	if err := d.FromIntent(in); err != nil || d.BuyerOrgID != "ENT" || d.SellerOrgID != "UNI" || d.AchievementID != "A" {
		t.Fatalf("achievement intent: %v %+v", err, d)
	}
	// On a demand the owner buys and the interested org sells.
	d = newTransaction(t)
	d.BuyerOrgID, d.SellerOrgID = "", ""
	in = &market.Intent{ID: "J", FromOrgID: "UNI", ToOrgID: "ENT", DemandID: "D", Status: market.IntentAccepted}
	if err := d.FromIntent(in); err != nil || d.BuyerOrgID != "ENT" || d.SellerOrgID != "UNI" || d.DemandID != "D" {
		t.Fatalf("demand intent: %v %+v", err, d)
	}
	d = newTransaction(t) // names B and S, which the intent contradicts
	if err := d.FromIntent(in); market.ErrorCode(err) != market.EINVALID {
		t.Fatalf("contradicting parties: %v", err)
	}
}

func TestTransactionVisibility(t *testing.T) {
	d := &market.Transaction{Market: "liuzhou", Channel: "offline", BuyerOrgID: "B", SellerOrgID: "S"}
	cases := []struct {
		name  string
		actor *market.Actor
		see   bool
		pay   bool
		op    bool
	}{
		{"operator of the market", &market.Actor{OrgID: "O", OrgKind: "operator", OrgVerified: true, Market: "liuzhou"}, true, true, true},
		{"operator elsewhere", &market.Actor{OrgID: "O", OrgKind: "operator", OrgVerified: true, Market: "guizhong"}, false, false, false},
		{"unverified operator", &market.Actor{OrgID: "O", OrgKind: "operator", Market: "liuzhou"}, false, false, false},
		{"bureau", &market.Actor{OrgID: "G", OrgKind: "government", OrgVerified: true}, true, false, false},
		{"buyer of an offline deal", &market.Actor{OrgID: "B", OrgKind: "enterprise", OrgVerified: true}, true, false, false},
		{"outsider", &market.Actor{OrgID: "X", OrgKind: "enterprise", OrgVerified: true}, false, false, false},
		{"platform admin", &market.Actor{PlatformAdmin: true}, false, false, false},
		{"anonymous", nil, false, false, false},
	}
	for _, c := range cases {
		if got := market.CanSeeTransaction(c.actor, d); got != c.see {
			t.Errorf("%s sees: %v", c.name, got)
		}
		if got := market.CanAddPayment(c.actor, d) == nil; got != c.pay {
			t.Errorf("%s pays: %v", c.name, got)
		}
		if got := market.CanOperateTransaction(c.actor, d) == nil; got != c.op {
			t.Errorf("%s operates: %v", c.name, got)
		}
	}
	d.Channel = "online"
	if market.CanAddPayment(&market.Actor{OrgID: "S", OrgKind: "university", OrgVerified: true}, d) != nil {
		t.Error("seller may not pay on an online deal")
	}
}

func TestTransactionFilterBounds(t *testing.T) {
	f := market.TransactionFilter{SignedFrom: "2026-01-01", SignedTo: "2026-01-31"}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	if !f.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !f.Until.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("date bounds: %v %v", f.From, f.Until)
	}
	f = market.TransactionFilter{SignedTo: "2026-01-31T10:00:00+08:00"}
	if err := f.Validate(); err != nil || !f.Until.Equal(time.Date(2026, 1, 31, 2, 0, 0, 1000, time.UTC)) {
		t.Fatalf("instant bound: %v %v", f.Until, err)
	}
	for _, bad := range []market.TransactionFilter{{Status: "open"}, {SignedFrom: "Jan"}, {Market: "x"},
		{SignedFrom: "2026-02-01", SignedTo: "2026-01-01"}} {
		if err := bad.Validate(); market.ErrorCode(err) != market.EINVALID {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestIntentRules(t *testing.T) {
	for _, c := range []struct {
		in    market.NewIntent
		field string
	}{
		{market.NewIntent{Message: "hi"}, "achievement_id"},
		{market.NewIntent{AchievementID: "A", DemandID: "D", Message: "hi"}, "demand_id"},
		{market.NewIntent{DemandID: "D", Message: "  "}, "message"},
		{market.NewIntent{DemandID: "D", Message: strings.Repeat("长", 2001)}, "message"},
	} {
		err := c.in.Validate()
		if e, ok := err.(*market.Error); !ok || !hasField(e, c.field) {
			t.Errorf("%+v: %v, want %s", c.in, err, c.field)
		}
	}
	for _, c := range []struct {
		d     market.Decline
		field string
	}{
		{market.Decline{ReasonCode: "busy"}, "reason_code"},
		{market.Decline{ReasonCode: "other", Reason: " "}, "reason"},
	} {
		err := c.d.Validate()
		if e, ok := err.(*market.Error); !ok || !hasField(e, c.field) {
			t.Errorf("%+v: %v, want %s", c.d, err, c.field)
		}
	}
	if _, err := market.IntentTransition(market.IntentDeclined, market.ActionAccept); market.ErrorCode(err) != market.ECONFLICT ||
		!strings.Contains(err.Error(), "declined") {
		t.Errorf("accept a declined intent: %v", err)
	}
	if to, err := market.IntentTransition(market.IntentPending, market.ActionDecline); err != nil || to != market.IntentDeclined {
		t.Errorf("decline: %s %v", to, err)
	}
}

// TestPendingTransaction: an online deal without an intent waits for the other
// party; one from an intent, and an offline one, are signed at once.
func TestPendingTransaction(t *testing.T) {
	now := time.Now()
	n := market.NewTransaction{Market: "liuzhou", Channel: "online", ContractType: "transfer", ContractNo: "ht-2",
		Title: "技术转让", BuyerOrgID: "B", SellerOrgID: "S", ContractAmountFen: 1000, TechAmountFen: 800,
		SignedAt: now.Add(-time.Hour).Format(time.RFC3339)}
	d, err := n.Transaction(now)
	if err != nil || d.Status != market.TransactionPending {
		t.Fatalf("online deal without an intent: %v %+v", err, d)
	}
	d.CreatedByOrgID = "B"
	buyer := &market.Actor{OrgID: "B", OrgKind: market.OrgEnterprise, OrgVerified: true}
	seller := &market.Actor{OrgID: "S", OrgKind: market.OrgUniversity, OrgVerified: true}
	op := &market.Actor{OrgID: "O", OrgKind: market.OrgOperator, OrgVerified: true, Market: "liuzhou"}
	for _, a := range []*market.Actor{buyer, op, nil} {
		if err := market.CanConfirmTransaction(a, d); market.ErrorCode(err) != market.EFORBIDDEN {
			t.Errorf("%+v confirms: %v", a, err)
		}
	}
	if err := market.CanConfirmTransaction(seller, d); err != nil {
		t.Fatal(err)
	}
	if err := pay(t, d, 1, "P"); market.ErrorCode(err) != market.ECONFLICT {
		t.Fatalf("payment on a pending deal: %v", err)
	}
	if err := register(t, d, nil); market.ErrorCode(err) != market.ECONFLICT {
		t.Fatalf("register a pending deal: %v", err)
	}
	if err := d.Confirm(now); err != nil || d.Status != market.TransactionSigned {
		t.Fatalf("confirm: %v %s", err, d.Status)
	}
	if err := d.Decline(market.Cancellation{Reason: "x"}, now); market.ErrorCode(err) != market.ECONFLICT {
		t.Fatalf("decline a signed deal: %v", err)
	}

	n.IntentID, n.BuyerOrgID, n.SellerOrgID = "I", "", ""
	if d, err := n.Transaction(now); err != nil || d.Status != market.TransactionSigned {
		t.Fatalf("online deal from an intent: %v %+v", err, d)
	}
	n.IntentID, n.Channel, n.BuyerOrgID, n.SellerOrgID = "", "offline", "B", "S"
	if d, err := n.Transaction(now); err != nil || d.Status != market.TransactionSigned {
		t.Fatalf("offline deal: %v %+v", err, d)
	}
}

// TestPaymentConfirmationRules: a party's payment counts in the bound at
// once and in paid_fen only once confirmed, by the other party or the
// operator, and only once.
func TestPaymentConfirmationRules(t *testing.T) {
	now := time.Now()
	d := newTransaction(t) // signed, contract 1000, tech 800
	d.Channel = "online"
	buyer := &market.Actor{OrgID: "B", OrgKind: market.OrgEnterprise, OrgVerified: true}
	seller := &market.Actor{OrgID: "S", OrgKind: market.OrgUniversity, OrgVerified: true}
	op := &market.Actor{OrgID: "O", OrgKind: market.OrgOperator, OrgVerified: true, Market: "liuzhou"}
	opG := &market.Actor{OrgID: "G", OrgKind: market.OrgOperator, OrgVerified: true, Market: "guizhong"}

	p, err := (&market.NewPayment{AmountFen: 800, PaidAt: now.Format(time.RFC3339), VoucherNo: "b1"}).Payment(now)
	if err != nil {
		t.Fatal(err)
	}
	p.ID = "P1"
	p.BookedBy(buyer, d, now)
	if p.Confirmed || p.AddedByOrgID != "B" {
		t.Fatalf("a party's payment: %+v", p)
	}
	if err := d.AddPayment(p, now); err != nil || d.PaidFen != 0 || d.BookedFen != 800 {
		t.Fatalf("unconfirmed payment: %v paid %d booked %d", err, d.PaidFen, d.BookedFen)
	}
	if err := register(t, d, nil); err != nil || d.Status != market.TransactionRegistered {
		t.Fatalf("register: %v %s", err, d.Status)
	}
	// The bound counts the unconfirmed payment.
	if err := pay(t, d, 201, "O1"); market.ErrorCode(err) != market.EINVALID {
		t.Fatalf("overflow over an unconfirmed payment: %v", err)
	}
	for _, a := range []*market.Actor{buyer, opG, {OrgID: "X", OrgKind: market.OrgEnterprise}} {
		if err := market.CanConfirmPayment(a, d, &d.Payments[0]); market.ErrorCode(err) != market.EFORBIDDEN {
			t.Errorf("%+v confirms: %v", a, err)
		}
	}
	for _, a := range []*market.Actor{seller, op} {
		if err := market.CanConfirmPayment(a, d, &d.Payments[0]); err != nil {
			t.Errorf("%+v may not confirm: %v", a, err)
		}
	}
	if err := d.ConfirmPayment(&d.Payments[0], "S", now); err != nil || d.PaidFen != 800 || d.Status != market.TransactionPaid {
		t.Fatalf("confirm: %v paid %d %s", err, d.PaidFen, d.Status)
	}
	if err := d.ConfirmPayment(&d.Payments[0], "O", now); market.ErrorCode(err) != market.ECONFLICT || d.PaidFen != 800 {
		t.Fatalf("second confirmation: %v paid %d", err, d.PaidFen)
	}

	// The operator's own payment is confirmed as it is booked.
	q := market.Payment{ID: "P2", AmountFen: 1}
	q.BookedBy(op, d, now)
	if !q.Confirmed || q.ConfirmedByOrgID != "O" || q.ConfirmedAt == nil {
		t.Fatalf("operator's payment: %+v", q)
	}
	// Nothing is confirmed on a cancelled deal.
	c := newTransaction(t)
	u := market.Payment{ID: "P3", AmountFen: 1}
	if err := c.Cancel(market.Cancellation{Reason: "x"}, now); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfirmPayment(&u, "S", now); market.ErrorCode(err) != market.ECONFLICT {
		t.Fatalf("confirm on a cancelled deal: %v", err)
	}
}

// TestFoldNo: numbers compare after NFKC, upper-casing and collapsing
// spaces (SPEC "Trust"); the number itself is kept as entered.
func TestFoldNo(t *testing.T) {
	for in, want := range map[string]string{
		"HT-001":           "HT-001",
		"ＨＴ－００１":           "HT-001",
		" ht-001 ":         "HT-001",
		"ht\u3000 2026  1": "HT 2026 1",
		"ｌｚ－２０２６－ⅰ":        "LZ-2026-I",
		"合同①号":             "合同1号",
	} {
		if got := market.FoldNo(in); got != want {
			t.Errorf("FoldNo(%q) = %q, want %q", in, got, want)
		}
	}
	n := market.NewTransaction{Market: "liuzhou", Channel: "offline", ContractType: "transfer", ContractNo: "  ＨＴ－００１ ",
		Title: "技术转让", BuyerOrgID: "B", SellerOrgID: "S", ContractAmountFen: 1000, TechAmountFen: 800,
		SignedAt: time.Now().Add(-time.Hour).Format(time.RFC3339)}
	d, err := n.Transaction(time.Now())
	if err != nil || d.ContractNo != "ＨＴ－００１" {
		t.Fatalf("kept as entered: %v %q", err, d.ContractNo)
	}
	// A voucher booked full-width is the same voucher in ASCII.
	if err := pay(t, d, 1, "ＰＺ－１"); err != nil {
		t.Fatal(err)
	}
	if err := pay(t, d, 1, "pz-1"); market.ErrorCode(err) != market.ECONFLICT {
		t.Fatalf("the same voucher folded: %v", err)
	}
	// A number that NFKC lengthens past 64 characters is refused.
	n.ContractNo = strings.Repeat("㍿", 20) // each folds to 株式会社
	if _, err := n.Transaction(time.Now()); market.ErrorCode(err) != market.EINVALID {
		t.Fatalf("folded past 64 characters: %v", err)
	}
}
