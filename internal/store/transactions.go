package store

import (
	"context"
	"errors"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type transactionRow struct {
	ID                     string `gorm:"primaryKey"`
	Market                 string
	Channel                string
	ContractType           string
	ContractNo             string // as first entered
	ContractKey            string // market.FoldNo(ContractNo): the unique key
	Title                  string
	BuyerOrgID             string
	SellerOrgID            string
	AchievementID          string
	DemandID               string
	IntentID               string
	IntentKey              *string // the intent_id, NULL when none: the unique index lets an intent become one deal
	NoticeID               string
	AuctionID              string
	ContractAmountFen      int64
	DeclaredTechAmountFen  int64
	TechAmountFen          int64
	CertifiedTechAmountFen *int64
	PaidFen                int64 // confirmed payments
	BookedFen              int64 // every payment
	Status                 string
	SignedAt               time.Time
	RegistrationNo         *string // NULL until registered, as first entered
	RegistrationKey        *string // its folded form: the unique index ignores NULLs
	RegisteredAt           *time.Time
	CompletedAt            *time.Time
	CancelledAt            *time.Time
	CancelReason           string
	CreatedByOrgID         string
	CreatedAt              time.Time
	// Save stores UpdatedAt as set; GORM must not stamp a later instant
	// than the answer and the audit event show.
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (transactionRow) TableName() string { return "transactions" }

func (r *transactionRow) deal() *market.Transaction {
	t := &market.Transaction{
		ID: r.ID, Market: r.Market, Channel: r.Channel, ContractType: r.ContractType, ContractNo: r.ContractNo,
		Title: r.Title, BuyerOrgID: r.BuyerOrgID, SellerOrgID: r.SellerOrgID, AchievementID: r.AchievementID,
		DemandID: r.DemandID, IntentID: r.IntentID, NoticeID: r.NoticeID, AuctionID: r.AuctionID,
		ContractAmountFen: r.ContractAmountFen, TechAmountFen: r.TechAmountFen, DeclaredTechAmountFen: r.DeclaredTechAmountFen,
		CertifiedTechAmountFen: r.CertifiedTechAmountFen, PaidFen: r.PaidFen, BookedFen: r.BookedFen, Status: r.Status,
		SignedAt: r.SignedAt.UTC(), RegisteredAt: utcPtr(r.RegisteredAt), CompletedAt: utcPtr(r.CompletedAt),
		CancelledAt: utcPtr(r.CancelledAt), CancelReason: r.CancelReason, CreatedByOrgID: r.CreatedByOrgID,
		Payments: []market.Payment{}, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.RegistrationNo != nil {
		t.RegistrationNo = *r.RegistrationNo
	}
	return t
}

func rowFromTransaction(t *market.Transaction) transactionRow {
	r := transactionRow{
		ID: t.ID, Market: t.Market, Channel: t.Channel, ContractType: t.ContractType, ContractNo: t.ContractNo,
		Title: t.Title, BuyerOrgID: t.BuyerOrgID, SellerOrgID: t.SellerOrgID, AchievementID: t.AchievementID,
		DemandID: t.DemandID, IntentID: t.IntentID, NoticeID: t.NoticeID, AuctionID: t.AuctionID,
		ContractAmountFen: t.ContractAmountFen, DeclaredTechAmountFen: t.DeclaredTechAmountFen, TechAmountFen: t.TechAmountFen,
		CertifiedTechAmountFen: t.CertifiedTechAmountFen, PaidFen: t.PaidFen, BookedFen: t.BookedFen, Status: t.Status,
		SignedAt:     t.SignedAt,
		RegisteredAt: t.RegisteredAt, CompletedAt: t.CompletedAt, CancelledAt: t.CancelledAt,
		CancelReason: t.CancelReason, CreatedByOrgID: t.CreatedByOrgID, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
	r.ContractKey = market.FoldNo(t.ContractNo)
	if t.RegistrationNo != "" {
		no, key := t.RegistrationNo, market.FoldNo(t.RegistrationNo)
		r.RegistrationNo, r.RegistrationKey = &no, &key
	}
	if t.IntentID != "" {
		k := t.IntentID
		r.IntentKey = &k
	}
	return r
}

type paymentRow struct {
	ID               string `gorm:"primaryKey"`
	TransactionID    string
	AmountFen        int64
	PaidAt           time.Time
	VoucherNo        string // as first entered
	VoucherKey       string // market.FoldNo(VoucherNo): unique per deal
	Confirmed        bool
	AddedByOrgID     string
	ConfirmedByOrgID string
	ConfirmedAt      *time.Time
	CreatedByUserID  string
	CreatedAt        time.Time
}

func (paymentRow) TableName() string { return "payments" }

func (r *paymentRow) payment() market.Payment {
	return market.Payment{ID: r.ID, TransactionID: r.TransactionID, AmountFen: r.AmountFen,
		PaidAt: r.PaidAt.UTC(), VoucherNo: r.VoucherNo, Confirmed: r.Confirmed, AddedByOrgID: r.AddedByOrgID,
		ConfirmedByOrgID: r.ConfirmedByOrgID, ConfirmedAt: utcPtr(r.ConfirmedAt), CreatedAt: r.CreatedAt.UTC()}
}

func rowFromPayment(p *market.Payment, userID string) paymentRow {
	return paymentRow{ID: p.ID, TransactionID: p.TransactionID, AmountFen: p.AmountFen, PaidAt: p.PaidAt,
		VoucherNo: p.VoucherNo, VoucherKey: market.FoldNo(p.VoucherNo), Confirmed: p.Confirmed, AddedByOrgID: p.AddedByOrgID,
		ConfirmedByOrgID: p.ConfirmedByOrgID, ConfirmedAt: p.ConfirmedAt, CreatedByUserID: userID, CreatedAt: p.CreatedAt}
}

// auditView is the deal as the audit trail records it: payments are
// events of their own, so the list is left out.
func auditView(t *market.Transaction) *market.Transaction {
	c := *t
	c.Payments = nil
	return &c
}

func transactionNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "transaction %s not found", id)
}

// TransactionService holds the transaction (deal) aggregate's methods
// over db: deals, their payments and their cancellation. The subsidy
// steps a deal's change settles (the 免申即享 application, a released
// reservation) stay on db, since SubsidyService shares them.
type TransactionService struct{ db *DB }

var _ market.TransactionService = (*TransactionService)(nil)

// NewTransactionService returns the transaction service over db.
func NewTransactionService(db *DB) *TransactionService { return &TransactionService{db: db} }

// CreateTransaction creates a deal: an online deal by one of its parties,
// signed when it grows from an accepted intent between the two and
// pending_confirmation otherwise (the other party confirms or declines
// it); an offline deal, signed, by the operator of its market.
//
// An accepted intent becomes at most one transaction: the intent's row is
// locked while its deal is made, so concurrent attempts take turns and the
// later ones see the first deal (409 naming it); the unique index on
// intent_key holds the rule whatever happens.
func (s *TransactionService) CreateTransaction(ctx context.Context, n market.NewTransaction) (_ *market.Transaction, err error) {
	defer wrap(&err, "store.CreateTransaction")
	a := market.ActorFrom(ctx)
	n.Defaults(a)
	now := s.db.now()
	t, err := n.Transaction(now)
	if err != nil {
		return nil, err
	}
	if err := market.CanCreateTransaction(a, t.Channel, t.Market); err != nil {
		return nil, err
	}
	t.ID, t.CreatedByOrgID = ulid.Make().String(), a.OrgID
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if t.IntentID != "" {
			var ir intentRow
			err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&ir, "id = ?", t.IntentID).Error
			if errors.Is(err, errNotFound) || (err == nil && !market.CanSeeIntent(a, ir.intent())) {
				return market.Invalid("intent_id", "no intent %s between your org and another", t.IntentID)
			}
			if err != nil {
				return err
			}
			if err := t.FromIntent(ir.intent()); err != nil {
				return err
			}
			if err := intentTaken(tx.Session(&gorm.Session{NewDB: true}), t.IntentID); err != nil {
				return err
			}
		}
		// A deal after a notice or an auction takes its buyer and floor.
		if err := checkPricedTransaction(tx, t); err != nil {
			return err
		}
		if err := market.CanBeParty(a, t); err != nil {
			return err
		}
		if err := checkTransactionRefs(tx, t); err != nil {
			return err
		}
		row := rowFromTransaction(t)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "transaction", t.ID, nil, auditView(t))
	})
	err = translate(err, nil,
		uniqueKey{"transactions_contract_key", "transactions.contract_key", func() error { return s.contractConflict(ctx, t.ContractNo) }},
		uniqueKey{"transactions_intent", "transactions.intent_key", func() error {
			if taken := intentTaken(s.db.gorm.WithContext(ctx), t.IntentID); taken != nil {
				return taken
			}
			return err
		}})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// intentTaken is a conflict naming the deal an intent already became, nil
// when it became none.
func intentTaken(q *gorm.DB, intentID string) error {
	var row transactionRow
	err := q.Select("id, status").First(&row, "intent_key = ?", intentID).Error
	if errors.Is(err, errNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return market.Conflict("intent %s has already become transaction %s (%s); an intent becomes one transaction", intentID, row.ID, row.Status).
		On("intent_id", "already became transaction "+row.ID)
}

// checkTransactionRefs checks that the parties are verified trading orgs and that
// a named achievement is the seller's and a named demand the buyer's.
func checkTransactionRefs(tx *gorm.DB, t *market.Transaction) error {
	var p market.Problems
	var orgs []orgRow
	if err := tx.Where("id IN ?", []string{t.BuyerOrgID, t.SellerOrgID}).Find(&orgs).Error; err != nil {
		return err
	}
	for _, side := range []struct{ field, id string }{{"buyer_org_id", t.BuyerOrgID}, {"seller_org_id", t.SellerOrgID}} {
		i := indexOf(orgs, func(o orgRow) bool { return o.ID == side.id })
		if i < 0 {
			p.Add(side.field, "no org %s", side.id)
		} else if why := market.CanTrade(orgs[i].org()); why != "" {
			p.Add(side.field, "%s", why)
		}
	}
	for _, ref := range []struct {
		field, id, owner, ownerRole string
		kind                        market.ItemKind
	}{
		{"achievement_id", t.AchievementID, t.SellerOrgID, "seller", market.KindAchievement},
		{"demand_id", t.DemandID, t.BuyerOrgID, "buyer", market.KindDemand},
	} {
		if ref.id == "" {
			continue
		}
		var it itemRow
		err := tx.Select("id, org_id").First(&it, "id = ? AND kind = ?", ref.id, string(ref.kind)).Error
		switch {
		case errors.Is(err, errNotFound):
			p.Add(ref.field, "no %s %s", ref.kind, ref.id)
		case err != nil:
			return err
		case it.OrgID != ref.owner:
			p.Add(ref.field, "the %s must be the %s's own", ref.kind, ref.ownerRole)
		}
	}
	return p.Err()
}

func indexOf[T any](s []T, f func(T) bool) int {
	for i := range s {
		if f(s[i]) {
			return i
		}
	}
	return -1
}

// contractConflict answers a contract number already logged. It names
// the deal that holds it only to whoever may see that deal (its parties,
// its market's operator, the bureau): anyone else learns that the number
// is taken, not which deal of which market took it.
func (s *TransactionService) contractConflict(ctx context.Context, contractNo string) error {
	e := market.Conflict("contract_no %s is already logged", contractNo).On("contract_no", "already logged")
	var row transactionRow
	err := s.db.gorm.WithContext(ctx).Select("id, market, channel, buyer_org_id, seller_org_id").
		First(&row, "contract_key = ?", market.FoldNo(contractNo)).Error
	if err == nil && market.CanSeeTransaction(market.ActorFrom(ctx), row.deal()) {
		e.Message += " as transaction " + row.ID + " in the " + row.Market + " market"
	}
	return e
}

// findTransaction reads a deal and checks that the caller may see it; withPayments
// reads its payments too. lock takes the row lock that serialises every
// change of the deal.
func findTransaction(ctx context.Context, q *gorm.DB, id string, lock, withPayments bool) (*market.Transaction, error) {
	t, err := readTransaction(q, id, lock)
	if err != nil {
		return nil, err
	}
	if !market.CanSeeTransaction(market.ActorFrom(ctx), t) {
		return nil, transactionNotFound(id)
	}
	if !withPayments {
		return t, nil
	}
	ps, err := loadPayments(q.Session(&gorm.Session{NewDB: true}), id)
	if err != nil {
		return nil, err
	}
	if p := ps[id]; p != nil {
		t.Payments = p
	}
	return t, nil
}

// readTransaction reads a deal whoever asks; lock takes its row lock.
func readTransaction(q *gorm.DB, id string, lock bool) (*market.Transaction, error) {
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row transactionRow
	if err := translate(q.First(&row, "id = ?", id).Error, func() error { return transactionNotFound(id) }); err != nil {
		return nil, err
	}
	return row.deal(), nil
}

// changeTransaction runs one action on a deal through run: the deal's row lock
// (SELECT ... FOR UPDATE, so concurrent changes on any number of server
// instances queue here), visibility, allowed, then mutate applies the
// action. A deal that has just become paid gets its 免申即享 subsidy
// application from an auto_apply policy, in the same transaction. The
// answer is read after the commit, outside the row lock.
func (s *TransactionService) changeTransaction(ctx context.Context, id, action string, allowed func(*market.Actor, *market.Transaction) error,
	mutate func(tx *gorm.DB, t *market.Transaction, now time.Time) ([]auditEntry, error)) (*market.Transaction, error) {
	return s.changeTransactionAfter(ctx, id, action, allowed, nil, mutate)
}

// changeTransactionAfter is changeTransaction with prelock run first in the transaction,
// to take the locks that the store's lock order puts before the deal's.
func (s *TransactionService) changeTransactionAfter(ctx context.Context, id, action string, allowed func(*market.Actor, *market.Transaction) error,
	prelock func(tx *gorm.DB) error,
	mutate func(tx *gorm.DB, t *market.Transaction, now time.Time) ([]auditEntry, error)) (*market.Transaction, error) {
	_, err := run(ctx, s.db, change[market.Transaction]{
		entity: "transaction", id: id, action: action,
		prelock: prelock,
		lock: func(tx *gorm.DB) (*market.Transaction, error) {
			return readTransaction(tx.Session(&gorm.Session{NewDB: true}), id, true)
		},
		visible:  market.CanSeeTransaction,
		notFound: func() error { return transactionNotFound(id) },
		allowed:  allowed,
		apply:    mutate,
		save: func(tx *gorm.DB, t *market.Transaction) error {
			row := rowFromTransaction(t)
			// intent_key is written once, by CreateTransaction: a deal that
			// shares its intent with an older one (logged before the key
			// existed, 00006) holds no key, and saving it must not claim one.
			return tx.Select("*").Omit("IntentKey").Save(&row).Error
		},
		settle: func(tx *gorm.DB, before, t *market.Transaction) ([]auditEntry, error) {
			if before.Status == market.TransactionPaid || t.Status != market.TransactionPaid {
				return nil, nil
			}
			return s.db.autoApplySubsidies(ctx, tx, t)
		},
		view: func(t *market.Transaction) any { return auditView(t) },
	})
	if err != nil {
		return nil, err
	}
	return s.FindTransaction(ctx, id)
}

// RegisterTransaction records the contract registration; the operator of
// the deal's market may.
func (s *TransactionService) RegisterTransaction(ctx context.Context, id string, r market.TransactionRegistration) (_ *market.Transaction, err error) {
	defer wrap(&err, "store.RegisterTransaction(%q)", id)
	if err := r.Validate(s.db.now()); err != nil {
		return nil, err
	}
	t, err := s.changeTransaction(ctx, id, market.ActionRegister, market.CanOperateTransaction,
		func(_ *gorm.DB, t *market.Transaction, now time.Time) ([]auditEntry, error) {
			return nil, t.Register(r, now)
		})
	return t, translate(err, nil, uniqueKey{"transactions_registration_key", "transactions.registration_key", func() error {
		return market.Conflict("registration_no %s is already recorded on another transaction", r.RegistrationNo).
			On("registration_no", "already recorded")
	}})
}

// AddPayment books a payment. The deal's row lock makes the overflow check
// and the insert one step, so the sum never passes the contract amount
// whatever the concurrency.
func (s *TransactionService) AddPayment(ctx context.Context, id string, n market.NewPayment) (_ *market.Transaction, err error) {
	defer wrap(&err, "store.AddPayment(%q)", id)
	p, err := n.Payment(s.db.now())
	if err != nil {
		return nil, err
	}
	a := market.ActorFrom(ctx)
	t, err := s.changeTransaction(ctx, id, market.ActionPay, market.CanAddPayment,
		func(tx *gorm.DB, t *market.Transaction, now time.Time) ([]auditEntry, error) {
			p.ID, p.TransactionID, p.CreatedAt = ulid.Make().String(), t.ID, now
			p.BookedBy(a, t, now)
			// The overflow check needs only booked_fen, kept on the locked
			// row; a voucher booked before is caught by the unique index.
			if err := t.AddPayment(p, now); err != nil {
				return nil, err
			}
			row := rowFromPayment(&p, a.UserID)
			if err := tx.Create(&row).Error; err != nil {
				return nil, err
			}
			return []auditEntry{{"create", "payment", p.ID, nil, p}}, nil
		})
	return t, translate(err, nil, uniqueKey{"payments_voucher_key", "payments.voucher_key", func() error {
		return market.Conflict("voucher_no %s is already booked on this transaction", p.VoucherNo).
			On("voucher_no", "already booked on this transaction")
	}})
}

// CompleteTransaction closes a paid deal.
func (s *TransactionService) CompleteTransaction(ctx context.Context, id string) (_ *market.Transaction, err error) {
	defer wrap(&err, "store.CompleteTransaction(%q)", id)
	return s.changeTransaction(ctx, id, market.ActionComplete, market.CanOperateTransaction,
		func(_ *gorm.DB, t *market.Transaction, now time.Time) ([]auditEntry, error) {
			return nil, t.Complete(now)
		})
}

// ConfirmTransaction is the other party's agreement to a pending online
// deal: it becomes signed.
func (s *TransactionService) ConfirmTransaction(ctx context.Context, id string) (_ *market.Transaction, err error) {
	defer wrap(&err, "store.ConfirmTransaction(%q)", id)
	return s.changeTransaction(ctx, id, market.ActionConfirm, market.CanConfirmTransaction,
		func(_ *gorm.DB, t *market.Transaction, now time.Time) ([]auditEntry, error) {
			return nil, t.Confirm(now)
		})
}

// DeclineTransaction is the other party's refusal of a pending online
// deal: it is cancelled with the reason. A pending deal has no payments
// and no subsidy application (both need it signed first), so nothing
// else is settled.
func (s *TransactionService) DeclineTransaction(ctx context.Context, id string, c market.Cancellation) (_ *market.Transaction, err error) {
	defer wrap(&err, "store.DeclineTransaction(%q)", id)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return s.changeTransaction(ctx, id, market.ActionDecline, market.CanConfirmTransaction,
		func(_ *gorm.DB, t *market.Transaction, now time.Time) ([]auditEntry, error) {
			return nil, t.Decline(c, now)
		})
}

// ConfirmPayment confirms a payment a party booked: its amount joins
// paid_fen, which may make the deal paid (and file its 免申即享
// application, in changeTransaction). The deal's row lock serialises it with
// every other change of the deal, so concurrent confirmations of one
// payment count it once: the first confirms, the others find it
// confirmed (409).
func (s *TransactionService) ConfirmPayment(ctx context.Context, id, paymentID string) (_ *market.Transaction, err error) {
	defer wrap(&err, "store.ConfirmPayment(%q, %q)", id, paymentID)
	a := market.ActorFrom(ctx)
	// Who may confirm depends on who booked the payment, read under the
	// deal's lock: findTransaction has checked that the caller sees the deal,
	// mutate checks the rest.
	seen := func(*market.Actor, *market.Transaction) error { return nil }
	return s.changeTransaction(ctx, id, market.ActionConfirmPayment, seen,
		func(tx *gorm.DB, t *market.Transaction, now time.Time) ([]auditEntry, error) {
			var row paymentRow
			err := tx.Session(&gorm.Session{NewDB: true}).First(&row, "id = ? AND transaction_id = ?", paymentID, t.ID).Error
			if err := translate(err, func() error {
				return market.Errorf(market.ENOTFOUND, "transaction %s has no payment %s", t.ID, paymentID)
			}); err != nil {
				return nil, err
			}
			p := row.payment()
			if err := market.CanConfirmPayment(a, t, &p); err != nil {
				return nil, err
			}
			before := p
			if err := t.ConfirmPayment(&p, a.OrgID, now); err != nil {
				return nil, err
			}
			// Conditional, so the rule holds even were the deal's lock
			// ever bypassed: a payment turns confirmed once.
			res := tx.Session(&gorm.Session{NewDB: true}).Model(&paymentRow{}).
				Where("id = ? AND confirmed = ?", p.ID, false).
				Updates(map[string]any{"confirmed": true, "confirmed_by_org_id": p.ConfirmedByOrgID, "confirmed_at": p.ConfirmedAt})
			if res.Error != nil {
				return nil, res.Error
			}
			if res.RowsAffected != 1 {
				return nil, market.Conflict("payment %s is already confirmed", p.ID)
			}
			return []auditEntry{{"confirm", "payment", p.ID, &before, &p}}, nil
		})
}
