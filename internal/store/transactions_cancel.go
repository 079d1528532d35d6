package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// CancelTransaction cancels a deal that is not paid yet, and with it the
// deal's subsidy, in the same database transaction: its live application,
// submitted or approved, is rejected ("deal cancelled"), and what an
// approved one reserved goes back to the policy's budget (and so to the
// buyer's annual quota, which counts approved applications). Each change
// has its audit event. A deal whose subsidy is already disbursed cannot be
// cancelled (409): public money has been paid out for it.
//
// Locks follow the store's order (store/change.go): the live
// application's policy and the application are locked before the deal, so
// a concurrent approval or disbursement of it either finishes first (and
// the cancellation sees it) or waits and then finds the application
// rejected. Under the deal's lock nobody can create an application for the
// deal either (creating one locks the deal), so the live application read
// again there is the one to settle.
func (s *TransactionService) CancelTransaction(ctx context.Context, id string, c market.Cancellation) (_ *market.Transaction, err error) {
	defer wrap(&err, "store.CancelTransaction(%q)", id)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	a := market.ActorFrom(ctx)
	var policy *market.SubsidyPolicy
	prelock := func(tx *gorm.DB) error {
		// Only who may cancel the deal gets to lock its subsidy's rows.
		t, err := findTransaction(ctx, tx.Session(&gorm.Session{NewDB: true}), id, false, false)
		if err != nil {
			return err
		}
		if err := market.CanOperateTransaction(a, t); err != nil {
			return err
		}
		live, err := liveApplication(tx, id, false)
		if err != nil || live == nil {
			return err
		}
		if policy, err = findPolicy(tx.Session(&gorm.Session{NewDB: true}), live.PolicyID, true); err != nil {
			return err
		}
		_, err = liveApplication(tx, id, true)
		return err
	}
	return s.changeTransactionAfter(ctx, id, market.ActionCancel, market.CanOperateTransaction, prelock,
		func(tx *gorm.DB, t *market.Transaction, now time.Time) ([]auditEntry, error) {
			if err := t.Cancel(c, now); err != nil {
				return nil, err
			}
			app, err := liveApplication(tx, t.ID, true)
			if err != nil || app == nil {
				return nil, err
			}
			p := policy
			if p == nil || p.ID != app.PolicyID {
				// The live application changed between the first look and
				// the deal's lock (withdrawn or rejected and filed again in
				// that instant): lock its policy now, out of order; a cycle
				// this closes is broken by deadlock detection and retry.
				if p, err = findPolicy(tx.Session(&gorm.Session{NewDB: true}), app.PolicyID, true); err != nil {
					return nil, err
				}
			}
			before, held := *app, app.ReservedFen()
			if err := app.RejectForCancelledTransaction(t, now); err != nil {
				return nil, err
			}
			row := rowFromApplication(app)
			if err := tx.Session(&gorm.Session{NewDB: true}).Select("*").Save(&row).Error; err != nil {
				return nil, err
			}
			released, err := s.db.releaseReservation(tx, p, app, held)
			if err != nil {
				return nil, err
			}
			return append([]auditEntry{{market.ActionReject, "subsidy_application", app.ID, &before, app}}, released...), nil
		})
}

// liveApplication reads the live subsidy application of a deal, nil when
// it has none; lock takes its row lock. It checks no visibility: the
// caller acts on the deal, not on the application.
func liveApplication(tx *gorm.DB, transactionID string, lock bool) (*market.SubsidyApplication, error) {
	q := tx.Session(&gorm.Session{NewDB: true})
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row applicationRow
	err := q.First(&row, "live_transaction_id = ?", transactionID).Error
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return row.application(), nil
}
