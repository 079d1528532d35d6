package market

import (
	"context"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Who sees and does what with transactions:
//
//   - an operator acts on every deal of its own market, online or
//     offline, and on no other: deals of the other market do not exist
//     for it (404);
//   - the science bureau reads every deal (statistics, subsidies) and
//     changes none;
//   - the buyer and the seller read their own deals, online and offline:
//     beyond SPEC's "online deals, their own", because the buyer of an
//     offline deal must quote and apply for its subsidy, which needs the
//     deal, and the contract is the parties' own record (see
//     docs/api-extensions.md). On online deals they may also add
//     payments, while every write on an offline deal is the operator's,
//     who holds its evidence;
//   - an online deal one party logged without an accepted intent waits
//     for the other party, who alone confirms or declines it; a payment a
//     party books waits for the other party or the market's operator to
//     confirm it (SPEC "Trust between parties");
//   - anyone else, platform admins included, gets 404.

// CanSeeTransaction reports whether the deal exists for the actor.
func CanSeeTransaction(a *Actor, t *Transaction) bool {
	switch {
	case a == nil:
		return false
	case a.IsGovernment():
		return a.OrgVerified
	case a.IsOperator():
		return a.OrgVerified && a.Market == t.Market
	}
	return t.IsParty(a.OrgID)
}

func isMarketOperator(a *Actor, market string) bool {
	return a.IsOperator() && a.OrgVerified && a.Market == market
}

// CanCreateTransaction says whether the actor may create a deal of the
// channel in the market: operators log offline deals of their market;
// verified trading orgs make online deals (that they are a party is
// checked once the parties are known, by CanBeParty).
func CanCreateTransaction(a *Actor, channel, market string) error {
	if a == nil || a.OrgID == "" {
		return Errorf(EFORBIDDEN, "only orgs create transactions")
	}
	if channel == ChannelOffline {
		if isMarketOperator(a, market) {
			return nil
		}
		return Errorf(EFORBIDDEN, "offline deals are logged by the operator of the %s market", market)
	}
	if !isTradingKind(a.OrgKind) {
		return Errorf(EFORBIDDEN, "online deals are made by their buyer or seller; operators log offline deals")
	}
	if !a.OrgVerified {
		return Errorf(EFORBIDDEN, "your org must be verified before it trades")
	}
	return nil
}

// CanBeParty says whether the actor's org is the buyer or seller of an
// online deal it creates.
func CanBeParty(a *Actor, t *Transaction) error {
	if t.Channel == ChannelOffline || t.IsParty(a.OrgID) {
		return nil
	}
	return Errorf(EFORBIDDEN, "an online deal is created by its buyer or seller; your org is neither")
}

// CanOperateTransaction says whether the actor may register, complete or
// cancel the deal and upload its evidence: the operator of its market.
func CanOperateTransaction(a *Actor, t *Transaction) error {
	if isMarketOperator(a, t.Market) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the operator of the %s market may do this", t.Market)
}

// CanAddPayment says whether the actor may book a payment: the operator of
// the deal's market, or a party of an online deal.
func CanAddPayment(a *Actor, t *Transaction) error {
	if isMarketOperator(a, t.Market) || (t.Channel == ChannelOnline && t.IsParty(a.OrgID)) {
		return nil
	}
	if t.Channel == ChannelOffline {
		return Errorf(EFORBIDDEN, "payments on an offline deal are booked by the operator of the %s market", t.Market)
	}
	return Errorf(EFORBIDDEN, "payments are booked by the parties or the operator of the %s market", t.Market)
}

// CanConfirmTransaction says whether the actor may confirm or decline a
// pending deal: the party that did not create it. The creator, the
// operator and the bureau see the deal but may not agree in the other
// party's place.
func CanConfirmTransaction(a *Actor, t *Transaction) error {
	if a != nil && t.IsParty(a.OrgID) && a.OrgID != t.CreatedByOrgID {
		return nil
	}
	if a != nil && a.OrgID != "" && a.OrgID == t.CreatedByOrgID {
		return Errorf(EFORBIDDEN, "your org logged this deal; only the other party confirms or declines it")
	}
	return Errorf(EFORBIDDEN, "only the other party of the deal confirms or declines it")
}

// CanConfirmPayment says whether the actor may confirm a payment: the
// operator of the deal's market, or the party that did not book it.
func CanConfirmPayment(a *Actor, t *Transaction, p *Payment) error {
	switch {
	case a == nil:
		return Errorf(EFORBIDDEN, "sign in first")
	case isMarketOperator(a, t.Market):
		return nil
	case t.IsParty(a.OrgID) && a.OrgID != p.AddedByOrgID:
		return nil
	case t.IsParty(a.OrgID):
		return Errorf(EFORBIDDEN, "your org booked payment %s; the other party or the operator of the %s market confirms it", p.ID, t.Market)
	}
	return Errorf(EFORBIDDEN, "payments are confirmed by the other party or the operator of the %s market", t.Market)
}

// TransactionScope is the part of all deals an actor may list.
type TransactionScope struct {
	All    bool   // the bureau
	Market string // an operator: its market
	OrgID  string // a party: deals where it buys or sells
}

// TransactionScopeOf returns what the actor may list.
func TransactionScopeOf(a *Actor) (TransactionScope, error) {
	switch {
	case a == nil:
		return TransactionScope{}, Errorf(EUNAUTHORIZED, "sign in first")
	case a.IsGovernment() && a.OrgVerified:
		return TransactionScope{All: true}, nil
	case a.IsOperator() && a.OrgVerified:
		return TransactionScope{Market: a.Market}, nil
	case a.OrgID != "" && isTradingKind(a.OrgKind):
		return TransactionScope{OrgID: a.OrgID}, nil
	}
	return TransactionScope{}, Errorf(EFORBIDDEN, "only operators, the bureau and trading orgs list transactions")
}

// TransactionFilter narrows GET /transactions.
type TransactionFilter struct {
	Market       string
	Channel      string
	ContractType string
	Status       string
	BuyerOrgID   string
	SellerOrgID  string
	// SignedFrom and SignedTo are YYYY-MM-DD dates or RFC 3339 instants,
	// both inclusive (a date runs to its end, UTC).
	SignedFrom string
	SignedTo   string
	Page       PageRequest

	// From (inclusive) and Until (exclusive) are set by Validate.
	From, Until *time.Time
}

// Validate checks the filter values and sets From and Until.
func (f *TransactionFilter) Validate() error {
	var p Problems
	if f.Market != "" && !HasCode(Markets, f.Market) {
		p.Add("market", "must be liuzhou or guizhong")
	}
	if f.Channel != "" && !HasCode(Channels, f.Channel) {
		p.Add("channel", "must be online or offline")
	}
	if f.ContractType != "" && !HasCode(ContractTypes, f.ContractType) {
		p.Add("contract_type", "must be one of development, transfer, license, consulting, service")
	}
	if f.Status != "" && !hasString(TransactionStatuses, f.Status) {
		p.Add("status", "must be one of pending_confirmation, signed, registered, paid, completed, cancelled")
	}
	for field, id := range map[string]string{"buyer_org_id": f.BuyerOrgID, "seller_org_id": f.SellerOrgID} {
		if len(id) > 26 {
			p.Add(field, "is not an id")
		}
	}
	f.From = parseBound(&p, "signed_from", f.SignedFrom, false)
	f.Until = parseBound(&p, "signed_to", f.SignedTo, true)
	if f.From != nil && f.Until != nil && !f.From.Before(*f.Until) {
		p.Add("signed_to", "must not lie before signed_from")
	}
	return p.Err()
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseBound reads a date or an instant; as an upper bound it returns the
// first instant past it.
func parseBound(p *Problems, field, s string, upper bool) *time.Time {
	if s == "" {
		return nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if upper {
			d = d.AddDate(0, 0, 1)
		}
		return &d
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.Add(field, "must be a date YYYY-MM-DD or an RFC 3339 instant")
		return nil
	}
	t = t.UTC()
	if upper {
		t = t.Add(time.Microsecond).Truncate(time.Microsecond)
	}
	return &t
}

// TransactionTotals sum the whole filtered set, not one page.
type TransactionTotals struct {
	Count             int64 `json:"count"`
	ContractAmountFen int64 `json:"contract_amount_fen"`
	TechAmountFen     int64 `json:"tech_amount_fen"`
	PaidFen           int64 `json:"paid_fen"`
}

// TransactionPage is the answer of GET /transactions.
type TransactionPage struct {
	Page[Transaction]
	Totals TransactionTotals `json:"totals"`
}

// TransactionService manages deals and their payments. Every method reads
// the actor from the context.
type TransactionService interface {
	CreateTransaction(ctx context.Context, in NewTransaction) (*Transaction, error)
	FindTransaction(ctx context.Context, id string) (*Transaction, error)
	ListTransactions(ctx context.Context, f TransactionFilter) (*TransactionPage, error)
	RegisterTransaction(ctx context.Context, id string, r TransactionRegistration) (*Transaction, error)
	AddPayment(ctx context.Context, id string, p NewPayment) (*Transaction, error)
	CompleteTransaction(ctx context.Context, id string) (*Transaction, error)
	CancelTransaction(ctx context.Context, id string, c Cancellation) (*Transaction, error)
	// ConfirmTransaction and DeclineTransaction are the other party's
	// answer to a pending online deal.
	ConfirmTransaction(ctx context.Context, id string) (*Transaction, error)
	DeclineTransaction(ctx context.Context, id string, c Cancellation) (*Transaction, error)
	// ConfirmPayment confirms a payment a party booked.
	ConfirmPayment(ctx context.Context, id, paymentID string) (*Transaction, error)
}

// Evidence kinds.
var EvidenceKinds = []Code{{"contract", "合同"}, {"invoice", "发票"}, {"other", "其他"}}

// EvidenceContentTypes are the file types accepted as evidence, as
// detected from the content (never from the name or the client's header).
var EvidenceContentTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// Evidence is one file backing an offline deal: the scanned contract, an
// invoice, a bank slip.
type Evidence struct {
	ID               string    `json:"id"`
	TransactionID    string    `json:"transaction_id"`
	Kind             string    `json:"kind"`
	Filename         string    `json:"filename"`
	Size             int64     `json:"size"`
	ContentType      string    `json:"content_type"`
	SHA256           string    `json:"sha256"`
	UploadedByUserID string    `json:"uploaded_by_user_id"`
	CreatedAt        time.Time `json:"created_at"`
}

// EvidenceUpload is the form of POST /transactions/{id}/evidence besides
// the file itself.
type EvidenceUpload struct {
	Kind     string
	Filename string
}

// Validate checks the kind and cleans the file name: path parts and
// control characters go, and it is cut to 200 characters.
func (u *EvidenceUpload) Validate() error {
	var p Problems
	if !HasCode(EvidenceKinds, u.Kind) {
		p.Add("kind", "must be contract, invoice or other")
	}
	u.Filename = CleanFilename(u.Filename, "evidence")
	return p.Err()
}

// CleanFilename makes an uploaded file's name safe to store and to send
// back in Content-Disposition: path parts and control characters go, and
// it is cut to 200 characters; fallback stands in for a name left empty.
func CleanFilename(name, fallback string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) || r == '"' {
			return -1
		}
		return r
	}, name))
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	if name == "" || name == "." || name == ".." {
		name = fallback
	}
	return name
}

// CanSeeEvidence is CanSeeTransaction: whoever sees the deal sees its files.
func CanSeeEvidence(a *Actor, t *Transaction) bool { return CanSeeTransaction(a, t) }

// EvidenceService keeps the files of deals.
type EvidenceService interface {
	// AddEvidence stores content as evidence of the deal; its type is
	// detected from the bytes.
	AddEvidence(ctx context.Context, transactionID string, up EvidenceUpload, content io.Reader) (*Evidence, error)
	ListEvidence(ctx context.Context, transactionID string) ([]Evidence, error)
	// OpenEvidence returns a file's record and its content; the caller
	// closes it.
	OpenEvidence(ctx context.Context, transactionID, id string) (*Evidence, io.ReadCloser, error)
}
