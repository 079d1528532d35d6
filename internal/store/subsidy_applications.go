package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/subsidy"
)

type applicationRow struct {
	ID                    string `gorm:"primaryKey"`
	PolicyID              string
	TransactionID         string
	BookingID             string
	ServiceOrderID        string
	BuyerOrgID            string
	Status                string
	LiveTransactionID     *string // set while live: the unique index allows one per transaction
	AmountFen             int64
	Breakdown             string
	AutoApplied           bool
	ApprovedAmountFen     int64
	ApprovalBreakdown     *string
	ApprovalNote          string
	RejectionReason       string
	VoucherNo             *string // NULL until disbursed: the unique index ignores NULLs
	DisbursedAmountFen    int64
	DisbursementBreakdown *string
	SubmittedByUserID     string
	ReviewedByUserID      string
	ReviewedAt            *time.Time
	DisbursedAt           *time.Time
	WithdrawnAt           *time.Time
	CreatedAt             time.Time
	// UpdatedAt is the application's own: Save must store it as set, not
	// stamp a later instant than the answer and the audit event show.
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (applicationRow) TableName() string { return "subsidy_applications" }

func (r *applicationRow) application() *market.SubsidyApplication {
	app := &market.SubsidyApplication{
		ID: r.ID, TransactionID: r.TransactionID, BookingID: r.BookingID, ServiceOrderID: r.ServiceOrderID, PolicyID: r.PolicyID, BuyerOrgID: r.BuyerOrgID, Status: r.Status,
		AmountFen: r.AmountFen, Breakdown: json.RawMessage(r.Breakdown), AutoApplied: r.AutoApplied,
		ApprovedAmountFen: r.ApprovedAmountFen, ApprovalNote: r.ApprovalNote, RejectionReason: r.RejectionReason,
		DisbursedAmountFen: r.DisbursedAmountFen, SubmittedByUserID: r.SubmittedByUserID, ReviewedByUserID: r.ReviewedByUserID,
		ReviewedAt: utcPtr(r.ReviewedAt), DisbursedAt: utcPtr(r.DisbursedAt), WithdrawnAt: utcPtr(r.WithdrawnAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.ApprovalBreakdown != nil {
		app.ApprovalBreakdown = json.RawMessage(*r.ApprovalBreakdown)
	}
	if r.VoucherNo != nil {
		app.VoucherNo = *r.VoucherNo
	}
	if r.DisbursementBreakdown != nil {
		app.DisbursementBreakdown = json.RawMessage(*r.DisbursementBreakdown)
	}
	return app
}

func rowFromApplication(app *market.SubsidyApplication) applicationRow {
	r := applicationRow{
		ID: app.ID, PolicyID: app.PolicyID, TransactionID: app.TransactionID, BookingID: app.BookingID,
		ServiceOrderID: app.ServiceOrderID, BuyerOrgID: app.BuyerOrgID,
		Status: app.Status, AmountFen: app.AmountFen, Breakdown: string(app.Breakdown), AutoApplied: app.AutoApplied,
		ApprovedAmountFen: app.ApprovedAmountFen, ApprovalNote: app.ApprovalNote, RejectionReason: app.RejectionReason,
		DisbursedAmountFen: app.DisbursedAmountFen, SubmittedByUserID: app.SubmittedByUserID, ReviewedByUserID: app.ReviewedByUserID, ReviewedAt: app.ReviewedAt,
		DisbursedAt: app.DisbursedAt, WithdrawnAt: app.WithdrawnAt, CreatedAt: app.CreatedAt, UpdatedAt: app.UpdatedAt,
	}
	// Only a live application holds its transaction's (or, for a voucher,
	// its booking's or service order's) slot.
	if market.ApplicationLive(app.Status) {
		id := app.Subject()
		r.LiveTransactionID = &id
	}
	if len(app.ApprovalBreakdown) > 0 {
		b := string(app.ApprovalBreakdown)
		r.ApprovalBreakdown = &b
	}
	if app.VoucherNo != "" {
		v := app.VoucherNo
		r.VoucherNo = &v
	}
	if len(app.DisbursementBreakdown) > 0 {
		b := string(app.DisbursementBreakdown)
		r.DisbursementBreakdown = &b
	}
	return r
}

func applicationNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "subsidy application %s not found", id)
}

// findApplication reads an application the caller may see; lock takes its
// row lock.
func findApplication(ctx context.Context, tx *gorm.DB, id string, lock bool) (*market.SubsidyApplication, error) {
	if lock {
		tx = tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row applicationRow
	err := tx.First(&row, "id = ?", id).Error
	if err := translate(err, func() error { return applicationNotFound(id) }); err != nil {
		return nil, err
	}
	app := row.application()
	if !market.CanSeeSubsidyApplication(market.ActorFrom(ctx), app) {
		return nil, applicationNotFound(id)
	}
	return app, nil
}

// quote computes the subsidy of deal t under policy p with what is already
// committed: the buyer's approved and disbursed amounts in the policy's
// lineage and year (the annual cap), and the policy's own counters (the
// budget). Callers that go on to reserve hold p's row locks.
func quote(tx *gorm.DB, p *market.SubsidyPolicy, t *market.Transaction) (subsidy.Quote, error) {
	return quoteExcept(tx, p, t, nil)
}

// quoteExcept is quote with what the application own already holds left
// out of the usage: the disbursement re-check asks what the deal earns
// now, not whether a second subsidy would still fit beside the first.
func quoteExcept(tx *gorm.DB, p *market.SubsidyPolicy, t *market.Transaction, own *market.SubsidyApplication) (subsidy.Quote, error) {
	return quoteFor(tx, p, t.ID, t.BuyerOrgID, func(region string) subsidy.Deal { return subsidy.DealOf(t, region) }, own)
}

// quoteFor is quoteExcept for any subject (a deal, or a voucher's booking
// or service order) whose buyer is buyerOrgID.
func quoteFor(tx *gorm.DB, p *market.SubsidyPolicy, subjectID, buyerOrgID string, deal func(region string) subsidy.Deal,
	own *market.SubsidyApplication) (subsidy.Quote, error) {
	var buyer orgRow
	if err := tx.Session(&gorm.Session{NewDB: true}).Select("id, region_code").First(&buyer, "id = ?", buyerOrgID).Error; err != nil {
		return subsidy.Quote{}, fmt.Errorf("buyer org of %s: %w", subjectID, err)
	}
	// The quota counts what approved applications hold and what disbursed
	// ones paid (market.SubsidyApplication.UsedFen).
	var orgUsed int64
	err := tx.Session(&gorm.Session{NewDB: true}).Table("subsidy_applications AS a").
		Joins("JOIN subsidy_policies p ON p.id = a.policy_id").
		Where("p.lineage_id = ? AND p.year = ? AND a.buyer_org_id = ? AND a.status IN ?", p.LineageID, p.Year,
			buyerOrgID, []string{market.ApplicationApproved, market.ApplicationDisbursed}).
		Select("COALESCE(SUM(CASE WHEN a.status = ? THEN a.disbursed_amount_fen ELSE a.approved_amount_fen END), 0)",
			market.ApplicationDisbursed).Scan(&orgUsed).Error
	if err != nil {
		return subsidy.Quote{}, err
	}
	u := subsidy.Usage{OrgUsedFen: orgUsed, BudgetUsedFen: p.Committed()}
	if own != nil {
		u.OrgUsedFen -= own.UsedFen()
		u.BudgetUsedFen -= own.ReservedFen()
	}
	return subsidy.Compute(subsidy.RulesOf(p), deal(buyer.RegionCode), u), nil
}

func reasonCodes(q *subsidy.Quote) string {
	codes := make([]string, len(q.Reasons))
	for i, r := range q.Reasons {
		codes[i] = r.Code
	}
	return strings.Join(codes, ", ")
}

// QuoteSubsidy computes a deal's subsidy under a policy for the deal's
// parties and the bureau, in one snapshot; nothing is stored.
func (s *SubsidyService) QuoteSubsidy(ctx context.Context, in market.SubsidyRequest) (_ *subsidy.Quote, err error) {
	defer wrap(&err, "store.QuoteSubsidy")
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var q subsidy.Quote
	err = s.db.snapshot(ctx, func(tx *gorm.DB) error {
		// The subject (a transaction, or a voucher's booking or service
		// order) as its parties and the bureau may see it; then the policy
		// must fit its kind.
		compute, err := quoteSubject(ctx, tx, in)
		if err != nil {
			return err
		}
		p, err := findPolicy(tx.Session(&gorm.Session{NewDB: true}), in.PolicyID, false)
		if err != nil {
			return err
		}
		if err := market.PolicyFits(p, in.IsVoucher()); err != nil {
			return err
		}
		q, err = compute(p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &q, nil
}

// quoteSubject finds the subject of a quote, checks the actor may quote
// it, and returns the calculation under a policy.
func quoteSubject(ctx context.Context, tx *gorm.DB, in market.SubsidyRequest) (func(*market.SubsidyPolicy) (subsidy.Quote, error), error) {
	a := market.ActorFrom(ctx)
	if in.IsVoucher() {
		subj, err := visibleSubject(ctx, tx, in, false)
		if err != nil {
			return nil, err
		}
		if err := market.CanQuoteVoucher(a, subj); err != nil {
			return nil, err
		}
		return func(p *market.SubsidyPolicy) (subsidy.Quote, error) { return quoteVoucherSubject(tx, p, subj, nil) }, nil
	}
	t, err := findTransaction(ctx, tx, in.TransactionID, false, false)
	if err != nil {
		return nil, err
	}
	if err := market.CanQuoteSubsidy(a, t); err != nil {
		return nil, err
	}
	return func(p *market.SubsidyPolicy) (subsidy.Quote, error) { return quote(tx, p, t) }, nil
}

// liveConflict names the live application that holds a transaction.
func liveConflict(tx *gorm.DB, transactionID string) error {
	msg := "transaction " + transactionID + " already has a live subsidy application"
	var row applicationRow
	if err := tx.Session(&gorm.Session{NewDB: true}).Select("id, status").
		First(&row, "live_transaction_id = ?", transactionID).Error; err == nil {
		msg += ": " + row.ID + " (" + row.Status + ")"
	}
	return market.Conflict("%s", msg).On("transaction_id", "already has a live subsidy application")
}

// ApplyForSubsidy files the buyer's application for a deal's subsidy
// under a policy, with the amount and breakdown frozen as quoted now. An
// ineligible deal is a 422 carrying the reasons.
//
// It locks the deal's row first, then the policy's, as auto-apply does
// (it runs inside a change of the deal): so an application and a payment
// or registration of the same deal take turns, the live-application check
// below sees what the other committed, and a deal cancelled meanwhile is
// seen as cancelled. The policy's row lock orders submissions against a
// new version superseding the policy.
func (s *SubsidyService) ApplyForSubsidy(ctx context.Context, in market.SubsidyRequest) (_ *market.SubsidyApplication, err error) {
	defer wrap(&err, "store.ApplyForSubsidy")
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.IsVoucher() {
		return s.applyForVoucher(ctx, in)
	}
	a := market.ActorFrom(ctx)
	var app *market.SubsidyApplication
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		t, err := findTransaction(ctx, tx, in.TransactionID, true, false)
		if err != nil {
			return err
		}
		if err := market.CanApplyForSubsidy(a, t); err != nil {
			return err
		}
		if held, err := hasLiveApplication(tx, t.ID); err != nil || held {
			if err == nil {
				err = liveConflict(tx, t.ID)
			}
			return err
		}
		p, err := findPolicy(tx.Session(&gorm.Session{NewDB: true}), in.PolicyID, true)
		if err != nil {
			return err
		}
		if p.Status == market.PolicySuperseded {
			return supersededConflict(p)
		}
		if err := market.PolicyFits(p, false); err != nil {
			return err
		}
		q, err := quote(tx, p, t)
		if err != nil {
			return err
		}
		// The deal is what falls short: the problem names transaction_id,
		// and its reasons say why.
		if !q.Eligible {
			return &market.Error{Code: market.EINVALID, Reasons: q.ReasonList(),
				Fields:  []market.FieldError{{Field: "transaction_id", Message: "not eligible under this policy: " + reasonCodes(&q)}},
				Message: fmt.Sprintf("transaction %s is not eligible under subsidy policy %s: %s", t.ID, p.ID, reasonCodes(&q))}
		}
		if q.AmountFen == 0 {
			return &market.Error{Code: market.EINVALID,
				Fields:  []market.FieldError{{Field: "transaction_id", Message: "its subsidy under this policy is 0 fen"}},
				Message: fmt.Sprintf("the subsidy of transaction %s under policy %s is 0 fen; there is nothing to apply for", t.ID, p.ID)}
		}
		app, err = s.db.submit(ctx, tx, p, t, q, false)
		return err
	})
	err = translate(err, nil, uniqueKey{"subsidy_applications_live", "subsidy_applications.live_transaction_id", func() error {
		return liveConflict(s.db.gorm.WithContext(ctx), in.TransactionID)
	}})
	if err != nil {
		return nil, err
	}
	return app, nil
}

func hasLiveApplication(tx *gorm.DB, transactionID string) (bool, error) {
	var n int64
	err := tx.Session(&gorm.Session{NewDB: true}).Model(&applicationRow{}).
		Where("live_transaction_id = ?", transactionID).Count(&n).Error
	return n > 0, err
}

// submit stores a submitted application for the eligible quote q. Its
// audit event is left to the caller when auto is true (the deal's change
// appends it with its own).
//
// An auto-applied application is inserted with ON CONFLICT DO NOTHING: if
// the deal already has a live application after all, the insert is
// skipped and submit returns nil, so the payment or registration that
// triggered it goes through instead of failing on the duplicate key (which
// would roll back the whole money-moving transaction).
func (db *DB) submit(ctx context.Context, tx *gorm.DB, p *market.SubsidyPolicy, t *market.Transaction,
	q subsidy.Quote, auto bool) (*market.SubsidyApplication, error) {
	breakdown, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	now := db.now()
	app := &market.SubsidyApplication{
		ID: ulid.Make().String(), TransactionID: t.ID, PolicyID: p.ID, BuyerOrgID: t.BuyerOrgID,
		Status: market.ApplicationSubmitted, AmountFen: q.AmountFen, Breakdown: breakdown, AutoApplied: auto,
		CreatedAt: now, UpdatedAt: now,
	}
	if a := market.ActorFrom(ctx); a != nil && !auto {
		app.SubmittedByUserID = a.UserID
	}
	row := rowFromApplication(app)
	if auto {
		res := tx.Session(&gorm.Session{NewDB: true}).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 0 {
			return nil, res.Error
		}
		return app, nil
	}
	if err := tx.Session(&gorm.Session{NewDB: true}).Create(&row).Error; err != nil {
		return nil, err
	}
	return app, db.audit(ctx, tx, "create", "subsidy_application", app.ID, nil, app)
}

// autoApplySubsidies files the 免申即享 application of a deal that has just
// become paid, inside the deal's own transaction: under the first auto_apply
// policy covering its signed_at (latest effective_from first) whose quote is
// eligible and above 0 fen. A deal with a live application already gets
// none: the caller holds the deal's row lock, which a buyer's application
// takes too, so the check below is current; and should a live application
// slip in anyway, the insert skips on the unique live-application key
// rather than fail. It returns the audit events for the caller to append.
func (db *DB) autoApplySubsidies(ctx context.Context, tx *gorm.DB, t *market.Transaction) ([]auditEntry, error) {
	if held, err := hasLiveApplication(tx, t.ID); err != nil || held {
		return nil, err
	}
	day := t.SignedAt.In(market.ChinaTime).Format(time.DateOnly) // the Beijing date, as Covers reads it
	var ids []string
	if err := tx.Session(&gorm.Session{NewDB: true}).Model(&policyRow{}).
		Where("auto_apply = ? AND status = ? AND applies_to = ? AND effective_from <= ? AND effective_to >= ?", true,
			market.PolicyActive, market.PolicyForTransactions, day, day).
		Order("effective_from DESC, id DESC").Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	for _, id := range ids {
		p, err := findPolicy(tx.Session(&gorm.Session{NewDB: true}), id, true)
		if err != nil {
			return nil, err
		}
		if !p.AutoApply || p.Status != market.PolicyActive || !subsidy.RulesOf(p).Covers(t.SignedAt) {
			continue
		}
		q, err := quote(tx, p, t)
		if err != nil {
			return nil, err
		}
		if !q.Eligible || q.AmountFen <= 0 {
			continue
		}
		app, err := db.submit(ctx, tx, p, t, q, true)
		if err != nil || app == nil {
			return nil, err
		}
		return []auditEntry{{"auto_apply", "subsidy_application", app.ID, nil, app}}, nil
	}
	return nil, nil
}

// FindSubsidyApplication returns an application to its buyer and the bureau.
func (s *SubsidyService) FindSubsidyApplication(ctx context.Context, id string) (_ *market.SubsidyApplication, err error) {
	defer wrap(&err, "store.FindSubsidyApplication(%q)", id)
	return findApplication(ctx, s.db.gorm.WithContext(ctx), id, false)
}

// ListSubsidyApplications lists applications newest first: a buyer its
// own, the bureau all.
func (s *SubsidyService) ListSubsidyApplications(ctx context.Context, f market.SubsidyApplicationFilter) (_ market.Page[market.SubsidyApplication], err error) {
	defer wrap(&err, "store.ListSubsidyApplications")
	var out market.Page[market.SubsidyApplication]
	scope, err := market.SubsidyApplicationScope(market.ActorFrom(ctx))
	if err != nil {
		return out, err
	}
	if err := f.Validate(); err != nil {
		return out, err
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&applicationRow{}), "buyer_org_id", scope, "status", f.Status,
		"policy_id", f.PolicyID, "transaction_id", f.TransactionID, "buyer_org_id", f.BuyerOrgID)
	return listPage(q, f.Page, true, func(r *applicationRow) string { return r.ID }, (*applicationRow).application)
}
