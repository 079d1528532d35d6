package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/subsidy"
)

// Innovation vouchers (创新券) go through the subsidy engine: a policy with
// applies_to "service", the same quote, caps, annual quota, budget,
// applications, approval race safety and audit as deal subsidies. Only the
// subject differs: a completed booking or service order, whose fee is the
// base and whose booker or client is the buyer. The subject's row lock
// stands where a deal's does in the lock order (subsidy_review.go).

// loadVoucherSubject reads the booking or service order a request or
// application names. lock takes its row lock. Visibility is the caller's
// to check: the bureau reviews applications on subjects it is no party to.
func loadVoucherSubject(tx *gorm.DB, bookingID, orderID string, lock bool) (*market.VoucherSubject, error) {
	q := tx.Session(&gorm.Session{NewDB: true})
	if bookingID != "" {
		var row bookingRow
		if lock {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := translate(q.First(&row, "id = ?", bookingID).Error, func() error { return bookingNotFound(bookingID) }); err != nil {
			return nil, err
		}
		b := row.booking()
		s := &market.VoucherSubject{ID: b.ID, Field: "booking_id", ClientOrgID: b.BookerOrgID, ProviderOrgID: b.OwnerOrgID,
			Completed: b.Status == market.BookingCompleted, At: b.CreatedAt}
		if b.FeeFen != nil {
			s.FeeFen = *b.FeeFen
		}
		if b.CompletedAt != nil {
			s.At = *b.CompletedAt
		}
		return s, nil
	}
	var row serviceOrderRow
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := translate(q.First(&row, "id = ?", orderID).Error, func() error { return orderNotFound(orderID) }); err != nil {
		return nil, err
	}
	o := row.order()
	s := &market.VoucherSubject{ID: o.ID, Field: "service_order_id", ClientOrgID: o.ClientOrgID, ProviderOrgID: o.ProviderOrgID,
		Completed: o.Status == market.OrderCompleted, FeeFen: o.FeeFen, At: o.CreatedAt}
	if o.CompletedAt != nil {
		s.At = *o.CompletedAt
	}
	return s, nil
}

// visibleSubject reads the request's subject as the caller may see it:
// its two parties and the bureau; anyone else gets 404.
func visibleSubject(ctx context.Context, tx *gorm.DB, in market.SubsidyRequest, lock bool) (*market.VoucherSubject, error) {
	s, err := loadVoucherSubject(tx, in.BookingID, in.ServiceOrderID, lock)
	if err != nil {
		return nil, err
	}
	a := market.ActorFrom(ctx)
	if market.CanQuoteVoucher(a, s) != nil {
		if in.BookingID != "" {
			return nil, bookingNotFound(in.BookingID)
		}
		return nil, orderNotFound(in.ServiceOrderID)
	}
	return s, nil
}

func quoteVoucherSubject(tx *gorm.DB, p *market.SubsidyPolicy, s *market.VoucherSubject, own *market.SubsidyApplication) (subsidy.Quote, error) {
	return quoteFor(tx, p, s.ID, s.ClientOrgID, func(region string) subsidy.Deal { return subsidy.VoucherOf(s, region) }, own)
}

// applyForVoucher files the client's voucher application for a completed
// booking or service order, locking the subject first and the policy
// next, as ApplyForSubsidy does with a deal.
func (s *SubsidyService) applyForVoucher(ctx context.Context, in market.SubsidyRequest) (_ *market.SubsidyApplication, err error) {
	defer wrap(&err, "store.applyForVoucher(%q)", in.Subject())
	a := market.ActorFrom(ctx)
	var app *market.SubsidyApplication
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		subj, err := visibleSubject(ctx, tx, in, true)
		if err != nil {
			return err
		}
		if err := market.CanApplyForVoucher(a, subj); err != nil {
			return err
		}
		if held, err := hasLiveApplication(tx, subj.ID); err != nil || held {
			if err == nil {
				err = voucherConflict(tx, subj)
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
		if err := market.PolicyFits(p, true); err != nil {
			return err
		}
		q, err := quoteVoucherSubject(tx, p, subj, nil)
		if err != nil {
			return err
		}
		if !q.Eligible || q.AmountFen == 0 {
			msg := "not eligible under this policy: " + reasonCodes(&q)
			if q.Eligible {
				msg = "its voucher under this policy is 0 fen"
			}
			return &market.Error{Code: market.EINVALID, Reasons: q.ReasonList(),
				Fields:  []market.FieldError{{Field: subj.Field, Message: msg}},
				Message: fmt.Sprintf("%s %s is %s (policy %s)", subj.Field, subj.ID, msg, p.ID)}
		}
		breakdown, err := json.Marshal(q)
		if err != nil {
			return err
		}
		now := s.db.now()
		app = &market.SubsidyApplication{ID: ulid.Make().String(), PolicyID: p.ID, BuyerOrgID: subj.ClientOrgID,
			Status: market.ApplicationSubmitted, AmountFen: q.AmountFen, Breakdown: breakdown, SubmittedByUserID: a.UserID,
			CreatedAt: now, UpdatedAt: now}
		if in.BookingID != "" {
			app.BookingID = subj.ID
		} else {
			app.ServiceOrderID = subj.ID
		}
		row := rowFromApplication(app)
		if err := tx.Session(&gorm.Session{NewDB: true}).Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "subsidy_application", app.ID, nil, app)
	})
	err = translate(err, nil, uniqueKey{"subsidy_applications_live", "subsidy_applications.live_transaction_id", func() error {
		subj := &market.VoucherSubject{ID: in.Subject(), Field: "booking_id"}
		if in.ServiceOrderID != "" {
			subj.Field = "service_order_id"
		}
		return voucherConflict(s.db.gorm.WithContext(ctx), subj)
	}})
	if err != nil {
		return nil, err
	}
	return app, nil
}

// voucherConflict names the live application that holds a subject.
func voucherConflict(tx *gorm.DB, s *market.VoucherSubject) error {
	msg := s.Field + " " + s.ID + " already has a live subsidy application"
	var row applicationRow
	if err := tx.Session(&gorm.Session{NewDB: true}).Select("id, status").
		First(&row, "live_transaction_id = ?", s.ID).Error; err == nil {
		msg += ": " + row.ID + " (" + row.Status + ")"
	}
	return market.Conflict("%s", msg).On(s.Field, "already has a live subsidy application")
}

// recheck computes an application's quote again inside its change, under
// the locks taken so far (the policy's, the application's), locking its
// subject last: the deal, or the voucher's booking or service order. own
// is left out of the usage (disbursement).
func recheck(ctx context.Context, tx *gorm.DB, p *market.SubsidyPolicy, app *market.SubsidyApplication,
	own *market.SubsidyApplication) (subsidy.Quote, error) {
	if app.IsVoucher() {
		s, err := loadVoucherSubject(tx, app.BookingID, app.ServiceOrderID, true)
		if err != nil {
			return subsidy.Quote{}, err
		}
		return quoteVoucherSubject(tx, p, s, own)
	}
	t, err := findTransaction(ctx, tx.Session(&gorm.Session{NewDB: true}), app.TransactionID, true, false)
	if err != nil {
		return subsidy.Quote{}, err
	}
	return quoteExcept(tx, p, t, own)
}
