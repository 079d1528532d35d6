package market

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Transaction (技术交易) lifecycle states.
const (
	// TransactionPending is an online deal one party logged and the other has
	// not confirmed yet: nothing but confirm, decline or cancel moves it.
	TransactionPending    = "pending_confirmation"
	TransactionSigned     = "signed"
	TransactionRegistered = "registered"
	TransactionPaid       = "paid"
	TransactionCompleted  = "completed"
	TransactionCancelled  = "cancelled"
)

// TransactionStatuses lists every state, for validating filters.
var TransactionStatuses = []string{TransactionPending, TransactionSigned, TransactionRegistered, TransactionPaid, TransactionCompleted, TransactionCancelled}

// Channels of a deal.
const (
	ChannelOnline  = "online"
	ChannelOffline = "offline"
)

// Transaction actions. Settle is never asked for: it is taken by itself
// once a registered deal is fully paid.
// Confirm and decline (ActionDecline, shared with intents) answer a deal
// that is pending_confirmation.
const (
	ActionConfirm  = "confirm"
	ActionRegister = "register"
	ActionPay      = "pay"
	ActionSettle   = "settle"
	ActionComplete = "complete"
	ActionCancel   = "cancel"
	// ActionConfirmPayment is the other party's (or the operator's) word
	// that a payment a party booked was made.
	ActionConfirmPayment = "confirm_payment"
)

// transactionTransitions is the one lifecycle table of transactions: action →
// from states → to state. A payment keeps the state; settling moves a
// registered deal whose tech amount is paid to paid, whichever of
// registration and payment came last.
var transactionTransitions = map[string]map[string]string{
	ActionConfirm:  {TransactionPending: TransactionSigned},
	ActionDecline:  {TransactionPending: TransactionCancelled},
	ActionRegister: {TransactionSigned: TransactionRegistered},
	ActionPay:      {TransactionSigned: TransactionSigned, TransactionRegistered: TransactionRegistered},
	ActionSettle:   {TransactionRegistered: TransactionPaid},
	ActionComplete: {TransactionPaid: TransactionCompleted},
	ActionCancel:   {TransactionPending: TransactionCancelled, TransactionSigned: TransactionCancelled, TransactionRegistered: TransactionCancelled},
	// A payment booked before the deal became paid may be confirmed after:
	// it is a fact about money that moved, whatever the deal's state.
	ActionConfirmPayment: {TransactionSigned: TransactionSigned, TransactionRegistered: TransactionRegistered, TransactionPaid: TransactionPaid, TransactionCompleted: TransactionCompleted},
}

// TransactionTransition returns the state an action moves a transaction to, or a
// conflict naming the current state.
func TransactionTransition(from, action string) (string, error) {
	to, ok := transactionTransitions[action][from]
	if !ok {
		return "", Conflict("cannot %s a transaction that is %s", action, from)
	}
	return to, nil
}

// MaxAmountFen bounds every amount (one trillion yuan), so sums of many
// deals stay far from overflowing int64.
const MaxAmountFen = 100_000_000_000_000

// clockSkew is how far ahead of the server's clock a client's instant may
// lie before it counts as "in the future".
const clockSkew = 5 * time.Minute

// earliest is the first instant accepted for signing, registration and
// payment: older dates are typing mistakes, not deals.
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Payment is one payment made on a deal. A payment a party books counts
// towards paid_fen only once the other party or the market's operator has
// confirmed it; the operator's own are confirmed at once.
type Payment struct {
	ID            string    `json:"id"`
	TransactionID string    `json:"transaction_id"`
	AmountFen     int64     `json:"amount_fen"`
	PaidAt        time.Time `json:"paid_at"`
	VoucherNo     string    `json:"voucher_no"`
	Confirmed     bool      `json:"confirmed"`
	AddedByOrgID  string    `json:"added_by_org_id"`
	// ConfirmedByOrgID and ConfirmedAt say who confirmed it and when;
	// empty on payments confirmed as they were booked before 00009.
	ConfirmedByOrgID string     `json:"confirmed_by_org_id,omitempty"`
	ConfirmedAt      *time.Time `json:"confirmed_at,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
}

// Transaction is one technology contract, online or offline.
type Transaction struct {
	ID            string `json:"id"`
	Market        string `json:"market"`
	Channel       string `json:"channel"`
	ContractType  string `json:"contract_type"`
	ContractNo    string `json:"contract_no"`
	Title         string `json:"title"`
	BuyerOrgID    string `json:"buyer_org_id"`
	SellerOrgID   string `json:"seller_org_id"`
	AchievementID string `json:"achievement_id,omitempty"`
	DemandID      string `json:"demand_id,omitempty"`
	IntentID      string `json:"intent_id,omitempty"`
	// NoticeID or AuctionID names the completed notice or sold auction
	// the deal follows.
	NoticeID          string `json:"notice_id,omitempty"`
	AuctionID         string `json:"auction_id,omitempty"`
	ContractAmountFen int64  `json:"contract_amount_fen"`
	// TechAmountFen is the certified amount once there is one, the declared
	// amount before.
	TechAmountFen          int64  `json:"tech_amount_fen"`
	DeclaredTechAmountFen  int64  `json:"declared_tech_amount_fen"`
	CertifiedTechAmountFen *int64 `json:"certified_tech_amount_fen,omitempty"`
	// PaidFen sums the confirmed payments: it alone moves the deal to
	// paid and is the subsidy base. BookedFen sums every payment,
	// confirmed or not, and is what the contract amount bounds.
	PaidFen        int64      `json:"paid_fen"`
	BookedFen      int64      `json:"booked_fen"`
	Status         string     `json:"status"`
	SignedAt       time.Time  `json:"signed_at"`
	RegistrationNo string     `json:"registration_no,omitempty"`
	RegisteredAt   *time.Time `json:"registered_at,omitempty"`
	CompletedAt    *time.Time `json:"completed_at,omitempty"`
	CancelledAt    *time.Time `json:"cancelled_at,omitempty"`
	CancelReason   string     `json:"cancel_reason,omitempty"`
	CreatedByOrgID string     `json:"created_by_org_id"`
	Payments       []Payment  `json:"payments"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// IsParty reports whether org is the buyer or the seller.
func (t *Transaction) IsParty(orgID string) bool {
	return orgID != "" && (orgID == t.BuyerOrgID || orgID == t.SellerOrgID)
}

// settle takes the settle transition when it applies: the deal is
// registered and its tech amount fully paid.
func (t *Transaction) settle() {
	if t.PaidFen < t.TechAmountFen {
		return
	}
	if to, err := TransactionTransition(t.Status, ActionSettle); err == nil {
		t.Status = to
	}
}

// Register records the contract's registration (认定登记). A certified
// tech amount replaces the declared one; a deal already fully paid moves
// straight on to paid.
func (t *Transaction) Register(r TransactionRegistration, now time.Time) error {
	to, err := TransactionTransition(t.Status, ActionRegister)
	if err != nil {
		return err
	}
	if r.registeredAt.Before(t.SignedAt) {
		return Invalid("registered_at", "must not lie before signed_at (%s)", t.SignedAt.Format(time.RFC3339))
	}
	if r.CertifiedTechAmountFen != nil {
		if *r.CertifiedTechAmountFen > t.ContractAmountFen {
			return Invalid("certified_tech_amount_fen", "must not exceed contract_amount_fen (%d)", t.ContractAmountFen)
		}
		c := *r.CertifiedTechAmountFen
		t.CertifiedTechAmountFen, t.TechAmountFen = &c, c
	}
	at := r.registeredAt
	t.Status, t.RegistrationNo, t.RegisteredAt, t.UpdatedAt = to, r.RegistrationNo, &at, now
	t.settle()
	return nil
}

// AddPayment appends a payment, made no earlier than the contract was
// signed. The sum of payments (PaidFen) never exceeds the contract amount,
// and a voucher is booked once per deal: the
// payments in t.Payments are checked here, and storage must refuse a
// voucher booked before too (it need not load them all).
func (t *Transaction) AddPayment(p Payment, now time.Time) error {
	to, err := TransactionTransition(t.Status, ActionPay)
	if err != nil {
		return err
	}
	for _, q := range t.Payments {
		if FoldNo(q.VoucherNo) == FoldNo(p.VoucherNo) {
			return Conflict("voucher_no %s is already booked on this transaction as payment %s", p.VoucherNo, q.ID).
				On("voucher_no", "already booked on this transaction")
		}
	}
	if p.PaidAt.Before(t.SignedAt) {
		return Invalid("paid_at", "must not lie before signed_at (%s)", t.SignedAt.Format(time.RFC3339))
	}
	// The bound counts every payment booked, confirmed or not, so two
	// unconfirmed payments cannot together pass the contract amount.
	if left := t.ContractAmountFen - t.BookedFen; p.AmountFen > left {
		return Invalid("amount_fen", "would take the booked sum past contract_amount_fen (%d): at most %d fen is left to pay", t.ContractAmountFen, left)
	}
	t.Payments = append(t.Payments, p)
	t.BookedFen += p.AmountFen
	if p.Confirmed {
		t.PaidFen += p.AmountFen
	}
	t.Status, t.UpdatedAt = to, now
	t.settle()
	return nil
}

// ConfirmPayment records that orgID confirmed payment p of the deal: its
// amount now counts in PaidFen, which may settle the deal. A payment is
// confirmed once; a second confirmation is a conflict.
func (t *Transaction) ConfirmPayment(p *Payment, orgID string, now time.Time) error {
	to, err := TransactionTransition(t.Status, ActionConfirmPayment)
	if err != nil {
		return err
	}
	if p.Confirmed {
		return Conflict("payment %s is already confirmed", p.ID).On("payment_id", "already confirmed")
	}
	at := now
	p.Confirmed, p.ConfirmedByOrgID, p.ConfirmedAt = true, orgID, &at
	t.PaidFen += p.AmountFen
	t.Status, t.UpdatedAt = to, now
	t.settle()
	return nil
}

// Confirm is the other party's agreement to a deal logged by one party:
// it becomes signed.
func (t *Transaction) Confirm(now time.Time) error {
	to, err := TransactionTransition(t.Status, ActionConfirm)
	if err != nil {
		return err
	}
	t.Status, t.UpdatedAt = to, now
	return nil
}

// Decline is the other party's refusal of a deal logged by one party: it
// is cancelled with the reason given.
func (t *Transaction) Decline(c Cancellation, now time.Time) error {
	return t.cancel(ActionDecline, c, now)
}

// Complete closes a paid deal.
func (t *Transaction) Complete(now time.Time) error {
	to, err := TransactionTransition(t.Status, ActionComplete)
	if err != nil {
		return err
	}
	t.Status, t.CompletedAt, t.UpdatedAt = to, &now, now
	return nil
}

// Cancel cancels a deal that is not yet paid.
func (t *Transaction) Cancel(c Cancellation, now time.Time) error {
	return t.cancel(ActionCancel, c, now)
}

// cancel ends the deal by action (a decline or a cancel) with its reason.
func (t *Transaction) cancel(action string, c Cancellation, now time.Time) error {
	to, err := TransactionTransition(t.Status, action)
	if err != nil {
		return err
	}
	t.Status, t.CancelledAt, t.CancelReason, t.UpdatedAt = to, &now, c.Reason, now
	return nil
}

// NewTransaction is the body of POST /transactions. Online deals may name
// an accepted intent instead of the parties and item.
type NewTransaction struct {
	Market            string `json:"market"`
	Channel           string `json:"channel"`
	ContractType      string `json:"contract_type"`
	ContractNo        string `json:"contract_no"`
	Title             string `json:"title"`
	BuyerOrgID        string `json:"buyer_org_id"`
	SellerOrgID       string `json:"seller_org_id"`
	AchievementID     string `json:"achievement_id"`
	DemandID          string `json:"demand_id"`
	IntentID          string `json:"intent_id"`
	NoticeID          string `json:"notice_id"`
	AuctionID         string `json:"auction_id"`
	ContractAmountFen int64  `json:"contract_amount_fen"`
	TechAmountFen     int64  `json:"tech_amount_fen"`
	SignedAt          string `json:"signed_at"`
}

// Defaults fills what the caller left out and can only mean one thing:
// operators log offline deals of their own market; parties make online
// deals.
func (n *NewTransaction) Defaults(a *Actor) {
	if a == nil {
		return
	}
	if n.Channel == "" {
		n.Channel = ChannelOnline
		if a.IsOperator() {
			n.Channel = ChannelOffline
		}
	}
	if n.Market == "" && a.IsOperator() {
		n.Market = a.Market
	}
}

// Transaction validates the body and returns the deal it describes, in
// state signed, or pending_confirmation for an online deal that names no
// intent: one party alone cannot make a deal the other never agreed to.
// An online deal that names an intent is signed once FromIntent has
// checked that the intent is accepted between the same two orgs. Parties
// and item may still be empty when an intent is named; the caller fills
// them from the intent.
func (n *NewTransaction) Transaction(now time.Time) (*Transaction, error) {
	var p Problems
	n.Title = strings.TrimSpace(n.Title)
	n.BuyerOrgID = strings.TrimSpace(n.BuyerOrgID)
	n.SellerOrgID = strings.TrimSpace(n.SellerOrgID)
	n.AchievementID = strings.TrimSpace(n.AchievementID)
	n.DemandID = strings.TrimSpace(n.DemandID)
	n.IntentID = strings.TrimSpace(n.IntentID)
	n.NoticeID = strings.TrimSpace(n.NoticeID)
	n.AuctionID = strings.TrimSpace(n.AuctionID)
	if n.NoticeID != "" && n.AuctionID != "" {
		p.Add("auction_id", "name either notice_id or auction_id, not both")
	}
	if !HasCode(Markets, n.Market) {
		p.Add("market", "must be liuzhou or guizhong")
	}
	if !HasCode(Channels, n.Channel) {
		p.Add("channel", "must be online or offline")
	}
	if !HasCode(ContractTypes, n.ContractType) {
		p.Add("contract_type", "must be one of development, transfer, license, consulting, service")
	}
	n.ContractNo = strings.TrimSpace(n.ContractNo)
	checkNo(&p, "contract_no", n.ContractNo)
	if c := utf8.RuneCountInString(n.Title); c < 2 || c > 200 {
		p.Add("title", "is required, 2 to 200 characters")
	}
	for field, id := range map[string]string{"buyer_org_id": n.BuyerOrgID, "seller_org_id": n.SellerOrgID,
		"achievement_id": n.AchievementID, "demand_id": n.DemandID, "intent_id": n.IntentID,
		"notice_id": n.NoticeID, "auction_id": n.AuctionID} {
		if len(id) > 26 {
			p.Add(field, "is not an id")
		}
	}
	if n.IntentID == "" {
		if n.BuyerOrgID == "" {
			p.Add("buyer_org_id", "is required (or name an accepted intent_id)")
		}
		// A deal after a notice or an auction takes its seller from it.
		if n.SellerOrgID == "" && n.NoticeID == "" && n.AuctionID == "" {
			p.Add("seller_org_id", "is required (or name an accepted intent_id)")
		}
	} else if n.Channel == ChannelOffline {
		p.Add("intent_id", "only online deals grow from an intent")
	}
	if n.BuyerOrgID != "" && n.BuyerOrgID == n.SellerOrgID {
		p.Add("seller_org_id", "must differ from buyer_org_id")
	}
	checkAmount(&p, "contract_amount_fen", n.ContractAmountFen)
	checkAmount(&p, "tech_amount_fen", n.TechAmountFen)
	if n.TechAmountFen > n.ContractAmountFen && n.ContractAmountFen > 0 {
		p.Add("tech_amount_fen", "must not exceed contract_amount_fen")
	}
	signed := checkInstant(&p, "signed_at", n.SignedAt, now)
	if err := p.Err(); err != nil {
		return nil, err
	}
	status := TransactionSigned
	if n.Channel == ChannelOnline && n.IntentID == "" {
		status = TransactionPending
	}
	return &Transaction{
		Market: n.Market, Channel: n.Channel, ContractType: n.ContractType, ContractNo: n.ContractNo,
		Title: n.Title, BuyerOrgID: n.BuyerOrgID, SellerOrgID: n.SellerOrgID, AchievementID: n.AchievementID,
		DemandID: n.DemandID, IntentID: n.IntentID, NoticeID: n.NoticeID, AuctionID: n.AuctionID,
		ContractAmountFen: n.ContractAmountFen, TechAmountFen: n.TechAmountFen, DeclaredTechAmountFen: n.TechAmountFen, Status: status,
		SignedAt: signed, Payments: []Payment{}, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// FromIntent makes the deal inherit the parties and the item of an
// accepted intent. Parties or an item named in the body must agree with it.
func (t *Transaction) FromIntent(in *Intent) error {
	if in.Status != IntentAccepted {
		return Invalid("intent_id", "intent %s is %s; only an accepted intent becomes a transaction", in.ID, in.Status)
	}
	var p Problems
	buyer, seller := in.BuyerSeller()
	if t.BuyerOrgID != "" && t.BuyerOrgID != buyer {
		p.Add("buyer_org_id", "differs from the buyer of intent %s (%s)", in.ID, buyer)
	}
	if t.SellerOrgID != "" && t.SellerOrgID != seller {
		p.Add("seller_org_id", "differs from the seller of intent %s (%s)", in.ID, seller)
	}
	if t.AchievementID != "" && t.AchievementID != in.AchievementID {
		p.Add("achievement_id", "differs from the item of intent %s", in.ID)
	}
	if t.DemandID != "" && t.DemandID != in.DemandID {
		p.Add("demand_id", "differs from the item of intent %s", in.ID)
	}
	if err := p.Err(); err != nil {
		return err
	}
	t.BuyerOrgID, t.SellerOrgID = buyer, seller
	t.AchievementID, t.DemandID = in.AchievementID, in.DemandID
	return nil
}

// TransactionRegistration is the body of POST /transactions/{id}/register.
type TransactionRegistration struct {
	RegistrationNo         string `json:"registration_no"`
	RegisteredAt           string `json:"registered_at"`
	CertifiedTechAmountFen *int64 `json:"certified_tech_amount_fen"`
	registeredAt           time.Time
}

// Validate checks the body on its own; Transaction.Register checks it
// against the deal.
func (r *TransactionRegistration) Validate(now time.Time) error {
	var p Problems
	r.RegistrationNo = strings.TrimSpace(r.RegistrationNo)
	checkNo(&p, "registration_no", r.RegistrationNo)
	r.registeredAt = checkInstant(&p, "registered_at", r.RegisteredAt, now)
	if r.CertifiedTechAmountFen != nil {
		checkAmount(&p, "certified_tech_amount_fen", *r.CertifiedTechAmountFen)
	}
	return p.Err()
}

// NewPayment is the body of POST /transactions/{id}/payments.
type NewPayment struct {
	AmountFen int64  `json:"amount_fen"`
	PaidAt    string `json:"paid_at"`
	VoucherNo string `json:"voucher_no"`
}

// Payment validates the body and returns the payment it describes.
func (n *NewPayment) Payment(now time.Time) (Payment, error) {
	var p Problems
	checkAmount(&p, "amount_fen", n.AmountFen)
	at := checkInstant(&p, "paid_at", n.PaidAt, now)
	n.VoucherNo = strings.TrimSpace(n.VoucherNo)
	checkNo(&p, "voucher_no", n.VoucherNo)
	return Payment{AmountFen: n.AmountFen, PaidAt: at, VoucherNo: n.VoucherNo, CreatedAt: now}, p.Err()
}

// BookedBy marks who booked the payment: one of the market's operators
// books it confirmed; a party books it for the other party to confirm.
func (p *Payment) BookedBy(a *Actor, t *Transaction, now time.Time) {
	p.AddedByOrgID = a.OrgID
	if isMarketOperator(a, t.Market) {
		at := now
		p.Confirmed, p.ConfirmedByOrgID, p.ConfirmedAt = true, a.OrgID, &at
	}
}

// Cancellation is the body of POST /transactions/{id}/cancel.
type Cancellation struct {
	Reason string `json:"reason"`
}

// Validate requires a reason.
func (c *Cancellation) Validate() error {
	c.Reason = strings.TrimSpace(c.Reason)
	if n := utf8.RuneCountInString(c.Reason); n < 1 || n > 500 {
		return Invalid("reason", "is required, at most 500 characters")
	}
	return nil
}

// FoldNo is the form in which contract, registration and voucher numbers
// are compared (SPEC "Trust"): Unicode NFKC, so a full-width ＨＴ－００１
// is HT-001; upper case; runs of spaces folded to one and none at the
// ends. Storage keeps it beside the number as first entered, which is what
// answers show, and its unique keys hold on the folded form on every
// database.
func FoldNo(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(norm.NFKC.String(s)), " "))
}

// checkNo checks a number as entered (already trimmed) and its folded
// form: both 1 to 64 characters (NFKC may lengthen a number), printable.
func checkNo(p *Problems, field, s string) {
	n, k := utf8.RuneCountInString(s), utf8.RuneCountInString(FoldNo(s))
	if n < 1 || n > 64 || k < 1 || k > 64 {
		p.Add(field, "is required, at most 64 characters")
		return
	}
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != '\u3000' }) >= 0 {
		p.Add(field, "must be printable text")
	}
}

func checkAmount(p *Problems, field string, v int64) {
	switch {
	case v <= 0:
		p.Add(field, "must be a positive amount in fen")
	case v > MaxAmountFen:
		p.Add(field, "must be at most %d fen", int64(MaxAmountFen))
	}
}

// checkInstant parses an RFC 3339 instant that may not lie in the future.
func checkInstant(p *Problems, field, s string, now time.Time) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	switch {
	case err != nil:
		p.Add(field, "must be an RFC 3339 instant such as 2026-03-01T10:00:00+08:00")
	case t.After(now.Add(clockSkew)):
		p.Add(field, "must not lie in the future")
	case t.Before(earliest):
		p.Add(field, "must not lie before 2000")
	}
	return t.UTC().Truncate(time.Microsecond)
}
