package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Every subsidy write that moves an existing application takes its row
// locks in the store's lock order (store/change.go): the policy's lineage
// root, the policy, the application, the deal, the audit chain's head.
// Cancelling a deal takes them in that order too (CancelTransaction).

// changeApplication runs one action on an application through run. The
// application is found first without a lock (404 unless visible) and
// allowed checked, so only who may act gets to lock: approving, disbursing
// and rejecting (an approved application releases its reservation) move
// the policy's counters, and the policy's row locks come before the
// application's. Then the application is locked, the transition applied,
// and mutate does the rest (held is what the application reserved before
// the transition).
func (s *SubsidyService) changeApplication(ctx context.Context, id, action string,
	allowed func(*market.Actor, *market.SubsidyApplication) error,
	mutate func(tx *gorm.DB, p *market.SubsidyPolicy, app *market.SubsidyApplication, held int64) ([]auditEntry, error),
) (*market.SubsidyApplication, error) {
	a := market.ActorFrom(ctx)
	var p *market.SubsidyPolicy
	return run(ctx, s.db, change[market.SubsidyApplication]{
		entity: "subsidy_application", id: id, action: action,
		prelock: func(tx *gorm.DB) error {
			app, err := findApplication(ctx, tx, id, false)
			if err != nil {
				return err
			}
			if err := allowed(a, app); err != nil {
				return err
			}
			p = nil
			if action == market.ActionApprove || action == market.ActionDisburse || action == market.ActionReject {
				p, err = findPolicy(tx.Session(&gorm.Session{NewDB: true}), app.PolicyID, true)
			}
			return err
		},
		lock: func(tx *gorm.DB) (*market.SubsidyApplication, error) {
			return findApplication(ctx, tx.Session(&gorm.Session{NewDB: true}), id, true)
		},
		visible:  market.CanSeeSubsidyApplication,
		notFound: func() error { return applicationNotFound(id) },
		allowed:  allowed,
		apply: func(tx *gorm.DB, app *market.SubsidyApplication, now time.Time) ([]auditEntry, error) {
			to, err := market.ApplicationTransition(app.Status, action)
			if err != nil {
				return nil, err
			}
			held := app.ReservedFen()
			app.Status, app.UpdatedAt = to, now
			return mutate(tx, p, app, held)
		},
		save: func(tx *gorm.DB, app *market.SubsidyApplication) error {
			row := rowFromApplication(app)
			return tx.Session(&gorm.Session{NewDB: true}).Select("*").Save(&row).Error
		},
	})
}

// WithdrawSubsidyApplication withdraws a submitted application; its buyer
// may. The transaction is free for a new application afterwards.
func (s *SubsidyService) WithdrawSubsidyApplication(ctx context.Context, id string) (_ *market.SubsidyApplication, err error) {
	defer wrap(&err, "store.WithdrawSubsidyApplication(%q)", id)
	return s.changeApplication(ctx, id, market.ActionWithdraw, market.CanWithdrawSubsidyApplication,
		func(_ *gorm.DB, _ *market.SubsidyPolicy, app *market.SubsidyApplication, _ int64) ([]auditEntry, error) {
			now := app.UpdatedAt
			app.WithdrawnAt = &now
			return nil, nil
		})
}

func reviewer(a *market.Actor, _ *market.SubsidyApplication) error {
	return market.CanReviewSubsidies(a)
}

// ReviewSubsidyApplication approves a submitted application or rejects a
// submitted or approved one; the bureau may. A rejection frees the
// transaction for a new application, and the rejection of an approved one
// releases its reservation from the policy's budget (and so from the
// buyer's annual quota, which counts approved applications).
//
// Approval re-checks the application against the world as it is now: the
// quote is computed again inside the transaction, with the policy's rows
// locked and the deal's row locked, so a cancelled deal, a used-up annual
// quota or budget refuses the approval (409 with the reason codes) and
// the application stays submitted for the bureau to reject. The amount
// reserved is the smaller of the frozen amount and the one computed now:
// a budget or quota that has shrunk since submission trims it, and rules
// that have grown more generous do not raise it. Both amounts and both
// breakdowns are kept.
//
// The reservation is one conditional UPDATE under the policy's lock:
// approved_fen grows only if approved + disbursed stays within budget_fen.
func (s *SubsidyService) ReviewSubsidyApplication(ctx context.Context, id string, r market.Review) (_ *market.SubsidyApplication, err error) {
	defer wrap(&err, "store.ReviewSubsidyApplication(%q)", id)
	a := market.ActorFrom(ctx)
	// Reviewing is the bureau's alone: anyone else gets 403 whatever the
	// id, which tells nothing about which applications exist.
	if err := market.CanReviewSubsidies(a); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Decision == market.ActionReject {
		return s.changeApplication(ctx, id, market.ActionReject, reviewer,
			func(tx *gorm.DB, p *market.SubsidyPolicy, app *market.SubsidyApplication, held int64) ([]auditEntry, error) {
				now := app.UpdatedAt
				app.RejectionReason, app.ReviewedByUserID, app.ReviewedAt = r.Reason, a.UserID, &now
				return s.db.releaseReservation(tx, p, app, held)
			})
	}
	return s.changeApplication(ctx, id, market.ActionApprove, reviewer,
		func(tx *gorm.DB, p *market.SubsidyPolicy, app *market.SubsidyApplication, _ int64) ([]auditEntry, error) {
			q, err := recheck(ctx, tx, p, app, nil)
			if err != nil {
				return nil, err
			}
			if !q.Eligible {
				return nil, market.Conflict("subsidy application %s cannot be approved now: %s", id, reasonCodes(&q)).
					Because(q.ReasonList()...)
			}
			amount := min(app.AmountFen, q.AmountFen)
			if amount <= 0 {
				return nil, market.Conflict("subsidy application %s cannot be approved now: its subsidy is 0 fen", id)
			}
			res := tx.Session(&gorm.Session{NewDB: true}).Model(&policyRow{}).
				Where("id = ? AND approved_fen + disbursed_fen + ? <= budget_fen", p.ID, amount).
				Updates(map[string]any{"approved_fen": gorm.Expr("approved_fen + ?", amount), "updated_at": app.UpdatedAt})
			if res.Error != nil {
				return nil, res.Error
			}
			if res.RowsAffected != 1 {
				// Unreachable while the lock holds; never overspend if it does not.
				return nil, market.Conflict("subsidy application %s cannot be approved now: budget_exhausted", id).
					Because(market.Reason{Code: "budget_exhausted", Message: "政策预算已用完 (the policy budget is used up)"})
			}
			recheck, err := json.Marshal(q)
			if err != nil {
				return nil, err
			}
			now := app.UpdatedAt
			app.ApprovedAmountFen, app.ApprovalBreakdown, app.ApprovalNote = amount, recheck, r.Reason
			app.ReviewedByUserID, app.ReviewedAt = a.UserID, &now
			return s.db.policyMoved(tx, p, "reserve")
		})
}

// DisburseSubsidyApplication records the payment of an approved
// application; the bureau may. A voucher is booked once (409).
//
// Disbursement re-checks the deal as approval did, under the same locks
// (policy, application, then the deal): a deal cancelled since approval is
// a 409 (cancelling rejects its applications, so this guards the order of
// events the locks allow, and data from before that rule), as is a deal
// that no longer qualifies at all (say a certified tech amount below the
// policy's minimum); the application stays approved for the bureau to
// reject, which releases it. Otherwise it pays the smaller of the approved
// amount and the amount the deal earns now, with what the application
// itself holds left out of the usage: registration may have certified a
// lower tech amount since approval (a policy that does not require
// registration approves on the declared amount), and the subsidy follows
// the certified one. What is paid moves to disbursed_fen; the rest of the
// reservation goes back to the budget. Both amounts and the recomputed
// quote are kept.
func (s *SubsidyService) DisburseSubsidyApplication(ctx context.Context, id string, d market.Disbursement) (_ *market.SubsidyApplication, err error) {
	defer wrap(&err, "store.DisburseSubsidyApplication(%q)", id)
	if err := market.CanReviewSubsidies(market.ActorFrom(ctx)); err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	app, err := s.changeApplication(ctx, id, market.ActionDisburse, reviewer,
		func(tx *gorm.DB, p *market.SubsidyPolicy, app *market.SubsidyApplication, held int64) ([]auditEntry, error) {
			// What the application held is left out of the usage: it is
			// the one being paid. Its status is already disbursed here, so
			// its approved amount stands for both quota and budget.
			own := market.SubsidyApplication{Status: market.ApplicationApproved, ApprovedAmountFen: held}
			q, err := recheck(ctx, tx, p, app, &own)
			if err != nil {
				return nil, err
			}
			if !q.Eligible {
				return nil, market.Conflict("subsidy application %s cannot be disbursed now: %s; reject it to release its %d fen",
					id, reasonCodes(&q), held).Because(q.ReasonList()...)
			}
			paid := min(held, q.AmountFen)
			if paid <= 0 {
				return nil, market.Conflict("subsidy application %s cannot be disbursed now: the deal's subsidy is 0 fen; reject it to release its %d fen", id, held)
			}
			res := tx.Session(&gorm.Session{NewDB: true}).Model(&policyRow{}).Where("id = ? AND approved_fen >= ?", p.ID, held).
				Updates(map[string]any{"approved_fen": gorm.Expr("approved_fen - ?", held),
					"disbursed_fen": gorm.Expr("disbursed_fen + ?", paid), "updated_at": app.UpdatedAt})
			if res.Error != nil {
				return nil, res.Error
			}
			if res.RowsAffected != 1 {
				return nil, fmt.Errorf("policy %s holds less approved than application %s's %d fen", p.ID, id, held)
			}
			recheck, err := json.Marshal(q)
			if err != nil {
				return nil, err
			}
			now := app.UpdatedAt
			app.VoucherNo, app.DisbursedAt = d.VoucherNo, &now
			app.DisbursedAmountFen, app.DisbursementBreakdown = paid, recheck
			return s.db.policyMoved(tx, p, "disburse")
		})
	return app, translate(err, nil, uniqueKey{"subsidy_applications_voucher", "subsidy_applications.voucher_no", func() error {
		return market.Conflict("voucher_no %s is already booked on another subsidy application", d.VoucherNo).
			On("voucher_no", "already booked")
	}})
}

// releaseReservation gives back to policy p what application app held
// before it was rejected (nothing unless it was approved) and returns the
// audit event of the policy's change. The caller holds p's row locks. The
// buyer's annual quota needs no change: it counts approved and disbursed
// applications, and app is neither any more.
func (db *DB) releaseReservation(tx *gorm.DB, p *market.SubsidyPolicy, app *market.SubsidyApplication, held int64) ([]auditEntry, error) {
	if held == 0 {
		return nil, nil
	}
	res := tx.Session(&gorm.Session{NewDB: true}).Model(&policyRow{}).Where("id = ? AND approved_fen >= ?", p.ID, held).
		Updates(map[string]any{"approved_fen": gorm.Expr("approved_fen - ?", held), "updated_at": app.UpdatedAt})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != 1 {
		return nil, fmt.Errorf("policy %s holds less approved than application %s's %d fen", p.ID, app.ID, held)
	}
	return db.policyMoved(tx, p, "release")
}

// policyMoved rereads a policy whose counters changed and returns the
// audit event of the change.
func (db *DB) policyMoved(tx *gorm.DB, before *market.SubsidyPolicy, action string) ([]auditEntry, error) {
	after, err := findPolicy(tx.Session(&gorm.Session{NewDB: true}), before.ID, false)
	if err != nil {
		return nil, err
	}
	return []auditEntry{{action, "subsidy_policy", before.ID, before, after}}, nil
}
