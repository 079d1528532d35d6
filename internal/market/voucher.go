package market

import (
	"slices"
	"time"
)

// What a subsidy policy applies to (SPEC "Instruments and testing
// services"): deals, or the fees of completed bookings and service orders
// (innovation vouchers, 创新券).
const (
	PolicyForTransactions = "transaction"
	PolicyForServices     = "service"
)

// BaseFee is the base of an innovation voucher: the fee of the booking
// or service order.
const BaseFee = "fee"

// applyVoucherFields sets applies_to (default "transaction") and, on a
// voucher policy, the fee base. A voucher has no contract, registration
// or payments to check, and is applied for by its client: the fields
// about those are refused rather than ignored.
func applyVoucherFields(p *SubsidyPolicy, in *SubsidyPolicyInput, problems *Problems) {
	if in.AppliesTo != nil {
		p.AppliesTo = *in.AppliesTo
	}
	if p.AppliesTo == "" {
		p.AppliesTo = PolicyForTransactions
	}
	switch p.AppliesTo {
	case PolicyForTransactions:
	case PolicyForServices:
		// A policy turned into a voucher without naming a base takes the fee.
		if p.Base == "" || (in.Base == nil && in.AppliesTo != nil) {
			p.Base = BaseFee
		}
		if p.Base != BaseFee {
			problems.Add("base", "an innovation voucher's base is the fee: give fee or leave it out")
		}
		if len(p.EligibleContractTypes) > 0 {
			problems.Add("eligible_contract_types", "applies to deals only; leave it out of a service policy")
		}
		if p.RequireRegistered {
			problems.Add("require_registered", "applies to deals only; leave it out of a service policy")
		}
		if p.AutoApply {
			problems.Add("auto_apply", "innovation vouchers are applied for by the client")
		}
	default:
		problems.Add("applies_to", "must be transaction or service")
	}
}

// Subject returns the id of the request's subject: the transaction, the
// booking or the service order.
func (r *SubsidyRequest) Subject() string {
	return r.TransactionID + r.BookingID + r.ServiceOrderID
}

// IsVoucher reports whether the request names a booking or service order.
func (r *SubsidyRequest) IsVoucher() bool { return r.BookingID != "" || r.ServiceOrderID != "" }

// Subject returns the id of the application's subject.
func (app *SubsidyApplication) Subject() string {
	return app.TransactionID + app.BookingID + app.ServiceOrderID
}

// IsVoucher reports whether the application is for an innovation voucher.
func (app *SubsidyApplication) IsVoucher() bool {
	return app.BookingID != "" || app.ServiceOrderID != ""
}

// PolicyFits checks that the policy applies to the kind of subject asked
// about: a 422 naming policy_id otherwise.
func PolicyFits(p *SubsidyPolicy, voucher bool) error {
	switch {
	case voucher && p.AppliesTo != PolicyForServices:
		return Invalid("policy_id", "subsidy policy %s applies to transactions, not to bookings or service orders", p.ID)
	case !voucher && p.AppliesTo == PolicyForServices:
		return Invalid("policy_id", "subsidy policy %s is an innovation voucher: it applies to bookings and service orders", p.ID)
	}
	return nil
}

// VoucherSubject is what a voucher needs of a booking or service order.
type VoucherSubject struct {
	ID, Field     string // the id and the request field that names it
	ClientOrgID   string // the booker or the client: who applies
	ProviderOrgID string // the instrument's owner or the provider
	Completed     bool
	FeeFen        int64
	// At is when the service was completed (its created_at before that):
	// the instant a policy's effective dates must hold.
	At time.Time
}

// CanQuoteVoucher says whether the actor may have a voucher quoted: the
// two parties and the bureau.
func CanQuoteVoucher(a *Actor, s *VoucherSubject) error {
	if (a.IsGovernment() && a.OrgVerified) || (a.OrgID != "" && slices.Contains([]string{s.ClientOrgID, s.ProviderOrgID}, a.OrgID)) {
		return nil
	}
	return Errorf(EFORBIDDEN, "a voucher quote is for the booking's or order's two parties and the science bureau")
}

// CanApplyForVoucher says whether the actor may apply: a member of the
// verified client org.
func CanApplyForVoucher(a *Actor, s *VoucherSubject) error {
	switch {
	case a.OrgID != s.ClientOrgID:
		return Errorf(EFORBIDDEN, "only the booker or client of %s applies for its innovation voucher", s.ID)
	case !a.OrgVerified:
		return Errorf(EFORBIDDEN, "your org must be verified before it applies for subsidies")
	}
	return nil
}

func countNonEmpty(ss ...string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}
