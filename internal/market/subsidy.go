package market

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// Subsidy policy states. A policy is active until a new version of it is
// made; a superseded policy takes no new applications but finishes the ones
// it has.
const (
	PolicyActive     = "active"
	PolicySuperseded = "superseded"
)

// PolicyStatuses lists every policy state, for validating filters.
var PolicyStatuses = []string{PolicyActive, PolicySuperseded}

// SubsidyTier is one band of a progressive schedule (SPEC: tiers
// [{up_to_fen, rate_bp}], the last with up_to_fen null).
type SubsidyTier struct {
	UpToFen *int64 `json:"up_to_fen"`
	RateBP  int64  `json:"rate_bp"`
}

// SubsidyPolicy is a government purchase-subsidy policy (技术交易后补助政策):
// its money rules, its budget and what is already committed against it.
// The rules mean what internal/subsidy says they mean; docs/subsidy.md has
// the formula.
type SubsidyPolicy struct {
	ID                    string        `json:"id"`
	Name                  string        `json:"name"`
	Year                  int           `json:"year"`
	RateBP                int64         `json:"rate_bp"`
	Tiers                 []SubsidyTier `json:"tiers"`
	PerTransactionCapFen  int64         `json:"per_transaction_cap_fen"`
	AnnualCapPerOrgFen    int64         `json:"annual_cap_per_org_fen"`
	BudgetFen             int64         `json:"budget_fen"`
	MinTechAmountFen      int64         `json:"min_tech_amount_fen"`
	EligibleContractTypes []string      `json:"eligible_contract_types"`
	RequireRegistered     bool          `json:"require_registered"`
	RequireLocalBuyer     bool          `json:"require_local_buyer"`
	Base                  string        `json:"base"`
	AutoApply             bool          `json:"auto_apply"`
	// AppliesTo is PolicyForTransactions (deal subsidies) or
	// PolicyForServices (innovation vouchers, 创新券: a share of the fee of
	// a completed booking or service order).
	AppliesTo string `json:"applies_to"`
	// EffectiveFrom and EffectiveTo are YYYY-MM-DD, both inclusive.
	EffectiveFrom string `json:"effective_from"`
	EffectiveTo   string `json:"effective_to"`
	// ApprovedFen is reserved by approved applications, DisbursedFen paid
	// out; together they never exceed BudgetFen.
	ApprovedFen        int64  `json:"approved_fen"`
	DisbursedFen       int64  `json:"disbursed_fen"`
	RemainingBudgetFen int64  `json:"remaining_budget_fen"`
	Status             string `json:"status"`
	// Supersedes names the policy this one is a new version of;
	// SupersededBy the version that replaced this one.
	Supersedes   string `json:"supersedes,omitempty"`
	SupersededBy string `json:"superseded_by,omitempty"`
	// LineageID is the first version's ID, shared by all its versions: the
	// annual per-org cap counts across them.
	LineageID      string    `json:"-"`
	CreatedByOrgID string    `json:"created_by_org_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// SubsidyPolicyInput is the body of POST and PATCH /subsidy-policies and
// of POST /subsidy-policies/{id}/versions. Absent fields are left unchanged
// on PATCH and copied from the old version on a new one.
type SubsidyPolicyInput struct {
	Name                  *string        `json:"name"`
	Year                  *int           `json:"year"`
	RateBP                *int64         `json:"rate_bp"`
	Tiers                 *[]SubsidyTier `json:"tiers"`
	PerTransactionCapFen  *int64         `json:"per_transaction_cap_fen"`
	AnnualCapPerOrgFen    *int64         `json:"annual_cap_per_org_fen"`
	BudgetFen             *int64         `json:"budget_fen"`
	MinTechAmountFen      *int64         `json:"min_tech_amount_fen"`
	EligibleContractTypes *[]string      `json:"eligible_contract_types"`
	RequireRegistered     *bool          `json:"require_registered"`
	RequireLocalBuyer     *bool          `json:"require_local_buyer"`
	Base                  *string        `json:"base"`
	AutoApply             *bool          `json:"auto_apply"`
	AppliesTo             *string        `json:"applies_to"`
	EffectiveFrom         *string        `json:"effective_from"`
	EffectiveTo           *string        `json:"effective_to"`
}

// Apply copies the fields present in the input onto p and reports what
// only this package can check: the name, the dates' format and amounts
// past MaxAmountFen. The money rules are checked as a whole by
// subsidy.Rules.Validate afterwards. Giving tiers clears a flat rate and
// a flat rate clears the tiers, so a PATCH switches between the two.
func (in *SubsidyPolicyInput) Apply(p *SubsidyPolicy, problems *Problems) {
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
	}
	if n := utf8.RuneCountInString(p.Name); n < 2 || n > 200 {
		problems.Add("name", "is required, 2 to 200 characters")
	}
	setInt(&p.Year, in.Year)
	if in.Tiers != nil {
		p.Tiers = append([]SubsidyTier{}, *in.Tiers...)
		if in.RateBP == nil && len(p.Tiers) > 0 {
			p.RateBP = 0
		}
	}
	if in.RateBP != nil {
		p.RateBP = *in.RateBP
		if in.Tiers == nil && p.RateBP != 0 {
			p.Tiers = []SubsidyTier{}
		}
	}
	for _, f := range []struct {
		name string
		dst  *int64
		src  *int64
	}{
		{"per_transaction_cap_fen", &p.PerTransactionCapFen, in.PerTransactionCapFen},
		{"annual_cap_per_org_fen", &p.AnnualCapPerOrgFen, in.AnnualCapPerOrgFen},
		{"budget_fen", &p.BudgetFen, in.BudgetFen},
		{"min_tech_amount_fen", &p.MinTechAmountFen, in.MinTechAmountFen},
	} {
		if f.src != nil {
			*f.dst = *f.src
		}
		if *f.dst > MaxAmountFen {
			problems.Add(f.name, "must be at most %d fen", int64(MaxAmountFen))
		}
	}
	if in.EligibleContractTypes != nil {
		p.EligibleContractTypes = append([]string{}, *in.EligibleContractTypes...)
	}
	setBool(&p.RequireRegistered, in.RequireRegistered)
	setBool(&p.RequireLocalBuyer, in.RequireLocalBuyer)
	setBool(&p.AutoApply, in.AutoApply)
	if in.Base != nil {
		p.Base = *in.Base
	}
	applyVoucherFields(p, in, problems)
	for _, d := range []struct {
		name string
		dst  *string
		src  *string
	}{{"effective_from", &p.EffectiveFrom, in.EffectiveFrom}, {"effective_to", &p.EffectiveTo, in.EffectiveTo}} {
		if d.src == nil {
			continue
		}
		*d.dst = strings.TrimSpace(*d.src)
		if _, err := time.Parse(time.DateOnly, *d.dst); err != nil && *d.dst != "" {
			problems.Add(d.name, "must be a date YYYY-MM-DD")
		}
	}
	if p.Tiers == nil {
		p.Tiers = []SubsidyTier{}
	}
	if p.EligibleContractTypes == nil {
		p.EligibleContractTypes = []string{}
	}
}

func setInt(dst *int, src *int) {
	if src != nil {
		*dst = *src
	}
}

func setBool(dst *bool, src *bool) {
	if src != nil {
		*dst = *src
	}
}

// SameMoneyRules reports whether p and q compute the same subsidies: every
// field but the name and auto_apply, which change nothing already decided.
func (p *SubsidyPolicy) SameMoneyRules(q *SubsidyPolicy) bool {
	money := func(x *SubsidyPolicy) string {
		b, _ := json.Marshal([]any{x.Year, x.RateBP, x.Tiers, x.PerTransactionCapFen, x.AnnualCapPerOrgFen,
			x.BudgetFen, x.MinTechAmountFen, x.EligibleContractTypes, x.RequireRegistered, x.RequireLocalBuyer,
			x.Base, x.EffectiveFrom, x.EffectiveTo, x.AppliesTo})
		return string(b)
	}
	return money(p) == money(q)
}

// Committed is what the policy's budget already holds: approved and
// disbursed.
func (p *SubsidyPolicy) Committed() int64 { return p.ApprovedFen + p.DisbursedFen }

// SubsidyPolicyFilter narrows GET /subsidy-policies.
type SubsidyPolicyFilter struct {
	Year   int
	Status string
	// EffectiveOn keeps the policies whose effective dates hold this
	// date (YYYY-MM-DD): those that may apply to a deal signed that day.
	EffectiveOn string
	Page        PageRequest
}

// Validate checks the filter values.
func (f *SubsidyPolicyFilter) Validate() error {
	var p Problems
	if f.Status != "" && !hasString(PolicyStatuses, f.Status) {
		p.Add("status", "must be active or superseded")
	}
	if f.EffectiveOn != "" {
		if _, err := time.Parse(time.DateOnly, f.EffectiveOn); err != nil {
			p.Add("effective_on", "must be a date YYYY-MM-DD")
		}
	}
	return p.Err()
}

// CanManageSubsidyPolicies says whether the actor may create and change
// policies: the verified science bureau.
func CanManageSubsidyPolicies(a *Actor) error {
	if a.IsGovernment() && a.OrgVerified {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the verified science bureau sets subsidy policy")
}

// Subsidy application states (SPEC: submitted → approved → disbursed, or
// rejected, from submitted or approved; withdrawn by the buyer while
// submitted).
const (
	ApplicationSubmitted = "submitted"
	ApplicationApproved  = "approved"
	ApplicationRejected  = "rejected"
	ApplicationDisbursed = "disbursed"
	ApplicationWithdrawn = "withdrawn"
)

// ApplicationStatuses lists every state, for validating filters.
var ApplicationStatuses = []string{ApplicationSubmitted, ApplicationApproved, ApplicationRejected,
	ApplicationDisbursed, ApplicationWithdrawn}

// Subsidy application actions besides approve and reject.
const (
	ActionWithdraw = "withdraw"
	ActionDisburse = "disburse"
)

// applicationTransitions is the one lifecycle table of subsidy
// applications: action → from → to. An application is created submitted.
// Rejecting an approved one releases its reservation: the bureau does it
// when a disbursement re-check refuses, and cancelling the deal does it by
// itself. A disbursed application is final: the money is paid out.
var applicationTransitions = map[string]map[string]string{
	ActionApprove:  {ApplicationSubmitted: ApplicationApproved},
	ActionReject:   {ApplicationSubmitted: ApplicationRejected, ApplicationApproved: ApplicationRejected},
	ActionWithdraw: {ApplicationSubmitted: ApplicationWithdrawn},
	ActionDisburse: {ApplicationApproved: ApplicationDisbursed},
}

// ApplicationTransition returns the state an action moves an application
// to, or a conflict naming the current state.
func ApplicationTransition(from, action string) (string, error) {
	to, ok := applicationTransitions[action][from]
	if !ok {
		return "", Conflict("cannot %s a subsidy application that is %s", action, from)
	}
	return to, nil
}

// ApplicationLive reports whether an application in this state holds its
// transaction: at most one live application exists per transaction.
func ApplicationLive(status string) bool {
	return status == ApplicationSubmitted || status == ApplicationApproved || status == ApplicationDisbursed
}

// SubsidyApplication is a buyer's application for the purchase subsidy of
// one transaction under one policy. AmountFen and Breakdown (the quote, as
// the JSON of subsidy.Quote) are frozen at submission; approval re-checks
// and records what it reserved in ApprovedAmountFen, never more than
// AmountFen, with the quote it computed then; disbursement re-checks again
// and records what it paid in DisbursedAmountFen, never more than
// ApprovedAmountFen, with its quote.
type SubsidyApplication struct {
	ID            string `json:"id"`
	TransactionID string `json:"transaction_id"`
	// BookingID or ServiceOrderID names the subject of a voucher
	// application instead of TransactionID.
	BookingID         string          `json:"booking_id,omitempty"`
	ServiceOrderID    string          `json:"service_order_id,omitempty"`
	PolicyID          string          `json:"policy_id"`
	BuyerOrgID        string          `json:"buyer_org_id"`
	Status            string          `json:"status"`
	AmountFen         int64           `json:"amount_fen"`
	Breakdown         json.RawMessage `json:"breakdown"`
	AutoApplied       bool            `json:"auto_applied"`
	ApprovedAmountFen int64           `json:"approved_amount_fen,omitempty"`
	ApprovalBreakdown json.RawMessage `json:"approval_breakdown,omitempty"`
	ApprovalNote      string          `json:"approval_note,omitempty"`
	RejectionReason   string          `json:"rejection_reason,omitempty"`
	VoucherNo         string          `json:"voucher_no,omitempty"`
	// DisbursedAmountFen is what was paid out; DisbursementBreakdown the
	// quote recomputed at disbursement.
	DisbursedAmountFen    int64           `json:"disbursed_amount_fen,omitempty"`
	DisbursementBreakdown json.RawMessage `json:"disbursement_breakdown,omitempty"`
	SubmittedByUserID     string          `json:"submitted_by_user_id,omitempty"`
	ReviewedByUserID      string          `json:"reviewed_by_user_id,omitempty"`
	ReviewedAt            *time.Time      `json:"reviewed_at,omitempty"`
	DisbursedAt           *time.Time      `json:"disbursed_at,omitempty"`
	WithdrawnAt           *time.Time      `json:"withdrawn_at,omitempty"`
	CreatedAt             time.Time       `json:"created_at"`
	UpdatedAt             time.Time       `json:"updated_at"`
}

// ReservedFen is what the application holds of its policy's budget: its
// approved amount while approved, nothing before (nothing is reserved) or
// after (rejected: released; disbursed: spent, counted in disbursed_fen).
func (app *SubsidyApplication) ReservedFen() int64 {
	if app.Status == ApplicationApproved {
		return app.ApprovedAmountFen
	}
	return 0
}

// UsedFen is what the application counts against the buyer's annual quota:
// the approved amount while approved, the amount paid once disbursed.
func (app *SubsidyApplication) UsedFen() int64 {
	switch app.Status {
	case ApplicationApproved:
		return app.ApprovedAmountFen
	case ApplicationDisbursed:
		return app.DisbursedAmountFen
	}
	return 0
}

// RejectForCancelledTransaction rejects the live application of a deal that is
// being cancelled: no subsidy is owed on a contract that did not happen.
// A submitted or approved application is rejected (what it reserved is the
// caller's to release: ReservedFen before the call); a disbursed one makes
// the cancellation a conflict, since public money has already been paid
// for the deal.
func (app *SubsidyApplication) RejectForCancelledTransaction(t *Transaction, now time.Time) error {
	if app.Status == ApplicationDisbursed {
		return Conflict("transaction %s cannot be cancelled: its subsidy application %s is disbursed: "+
			"public money has already been paid out for this deal (voucher %s)", t.ID, app.ID, app.VoucherNo)
	}
	to, err := ApplicationTransition(app.Status, ActionReject)
	if err != nil {
		return err
	}
	app.Status, app.RejectionReason, app.UpdatedAt = to, "交易已取消 (deal cancelled): "+t.CancelReason, now
	return nil
}

// SubsidyRequest is the body of POST /subsidies/quote and POST
// /subsidy-applications.
type SubsidyRequest struct {
	TransactionID string `json:"transaction_id"`
	PolicyID      string `json:"policy_id"`
	// BookingID or ServiceOrderID, instead of TransactionID, asks for an
	// innovation voucher.
	BookingID      string `json:"booking_id,omitempty"`
	ServiceOrderID string `json:"service_order_id,omitempty"`
}

// Validate requires the policy and exactly one subject: a transaction, a
// booking or a service order.
func (r *SubsidyRequest) Validate() error {
	var p Problems
	r.TransactionID, r.PolicyID = strings.TrimSpace(r.TransactionID), strings.TrimSpace(r.PolicyID)
	r.BookingID, r.ServiceOrderID = strings.TrimSpace(r.BookingID), strings.TrimSpace(r.ServiceOrderID)
	subject := "transaction_id"
	switch n := countNonEmpty(r.TransactionID, r.BookingID, r.ServiceOrderID); {
	case n > 1:
		p.Add("transaction_id", "give one of transaction_id, booking_id, service_order_id")
	case r.BookingID != "":
		subject = "booking_id"
	case r.ServiceOrderID != "":
		subject = "service_order_id"
	}
	for _, f := range []struct{ field, id string }{{subject, r.Subject()}, {"policy_id", r.PolicyID}} {
		if f.id == "" || len(f.id) > 26 {
			p.Add(f.field, "is required: an id")
		}
	}
	return p.Err()
}

// Disbursement is the body of POST /subsidy-applications/{id}/disburse.
type Disbursement struct {
	VoucherNo string `json:"voucher_no"`
}

// Validate normalises and checks the voucher number.
func (d *Disbursement) Validate() error {
	var p Problems
	d.VoucherNo = FoldNo(d.VoucherNo) // stored folded: its unique key is on the column itself
	checkNo(&p, "voucher_no", d.VoucherNo)
	return p.Err()
}

// Who sees and does what with subsidies:
//
//   - policies are public; the verified bureau creates and changes them;
//   - a quote is for the deal's buyer and seller and the bureau: a deal
//     the caller cannot see is a 404, one it sees but is not a party to
//     (its market's operator) a 403;
//   - the buyer of a deal applies, sees and withdraws its applications;
//     the bureau sees, reviews and disburses every application; nobody
//     else sees them (404).

// CanQuoteSubsidy says whether the actor, who can see the deal, may have
// it quoted.
func CanQuoteSubsidy(a *Actor, t *Transaction) error {
	if (a.IsGovernment() && a.OrgVerified) || t.IsParty(a.OrgID) {
		return nil
	}
	return Errorf(EFORBIDDEN, "a subsidy quote is for the deal's buyer, its seller and the science bureau")
}

// CanApplyForSubsidy says whether the actor may apply for the deal's
// subsidy: a member of its verified buyer org.
func CanApplyForSubsidy(a *Actor, t *Transaction) error {
	switch {
	case a.OrgID != t.BuyerOrgID:
		return Errorf(EFORBIDDEN, "only the buyer of transaction %s applies for its subsidy", t.ID)
	case !a.OrgVerified:
		return Errorf(EFORBIDDEN, "your org must be verified before it applies for subsidies")
	}
	return nil
}

// CanSeeSubsidyApplication reports whether the application exists for the
// actor.
func CanSeeSubsidyApplication(a *Actor, app *SubsidyApplication) bool {
	return a != nil && ((a.IsGovernment() && a.OrgVerified) || (a.OrgID != "" && a.OrgID == app.BuyerOrgID))
}

// CanReviewSubsidies says whether the actor may approve, reject and
// disburse applications: the verified science bureau.
func CanReviewSubsidies(a *Actor) error {
	if a.IsGovernment() && a.OrgVerified {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the verified science bureau reviews and disburses subsidies")
}

// CanWithdrawSubsidyApplication says whether the actor may withdraw the
// application: its buyer.
func CanWithdrawSubsidyApplication(a *Actor, app *SubsidyApplication) error {
	if a != nil && a.OrgID != "" && a.OrgID == app.BuyerOrgID {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the buyer withdraws its application")
}

// SubsidyApplicationFilter narrows GET /subsidy-applications.
type SubsidyApplicationFilter struct {
	Status        string
	PolicyID      string
	TransactionID string
	// BuyerOrgID is set by the service for buyers: they list their own.
	BuyerOrgID string
	Page       PageRequest
}

// Validate checks the filter values.
func (f *SubsidyApplicationFilter) Validate() error {
	var p Problems
	if f.Status != "" && !hasString(ApplicationStatuses, f.Status) {
		p.Add("status", "must be one of submitted, approved, rejected, disbursed, withdrawn")
	}
	for field, id := range map[string]string{"policy_id": f.PolicyID, "transaction_id": f.TransactionID, "buyer_org_id": f.BuyerOrgID} {
		if len(id) > 26 {
			p.Add(field, "is not an id")
		}
	}
	return p.Err()
}

// SubsidyApplicationScope returns the buyer org an actor's list is limited
// to, "" for the bureau who sees all.
func SubsidyApplicationScope(a *Actor) (string, error) {
	switch {
	case a == nil:
		return "", Errorf(EUNAUTHORIZED, "sign in first")
	case a.IsGovernment() && a.OrgVerified:
		return "", nil
	case a.OrgID != "" && isTradingKind(a.OrgKind):
		return a.OrgID, nil
	}
	return "", Errorf(EFORBIDDEN, "subsidy applications are listed by their buyers and the science bureau")
}
