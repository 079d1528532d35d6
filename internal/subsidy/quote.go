package subsidy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Reason codes, in the order Compute reports them.
const (
	ReasonCancelled          = "cancelled"
	ReasonNotConfirmed       = "not_confirmed"
	ReasonNotRegistered      = "not_registered"
	ReasonNotPaid            = "not_paid"
	ReasonContractType       = "contract_type"
	ReasonBuyerNotLocal      = "buyer_not_local"
	ReasonBelowMinimum       = "below_minimum"
	ReasonOutsidePeriod      = "outside_period"
	ReasonAnnualCapExhausted = "annual_cap_exhausted"
	ReasonBudgetExhausted    = "budget_exhausted"
)

// Cap kinds, in the order they appear in Quote.Caps.
const (
	CapPerTransaction = "per_transaction"
	CapAnnualOrg      = "annual_org"
	CapBudget         = "budget"
)

// Deal is what the calculation needs to know of a transaction.
type Deal struct {
	// Status is pending_confirmation, signed, registered, paid, completed
	// or cancelled.
	Status string
	// Registered is true once the contract has a registration (认定登记).
	Registered bool
	// ContractType is one of the five 技术合同类型.
	ContractType string
	// TechAmountFen is already the certified amount when there is one.
	TechAmountFen int64
	// PaidFen is the sum of confirmed payments: a payment one party booked
	// alone is no base for public money.
	PaidFen int64
	// SignedAt is the instant the contract was signed.
	SignedAt time.Time
	// BuyerRegionCode is the buyer org's 6-digit division code.
	BuyerRegionCode string
	// Voucher marks a booking or service order (see VoucherOf): its base
	// is FeeFen, it must be completed, and it has no contract.
	Voucher bool
	FeeFen  int64
}

// Usage is what is already committed: the approved and disbursed amounts of
// this buyer in the policy (its year), and of the whole policy budget.
type Usage struct {
	OrgUsedFen    int64
	BudgetUsedFen int64
}

// Quote is the subsidy for one deal under one policy with its breakdown;
// its JSON is the body of POST /subsidies/quote and the breakdown frozen on
// an application.
type Quote struct {
	Eligible bool     `json:"eligible"`
	Reasons  []Reason `json:"reasons"` // never nil, so it encodes as []
	BaseKind string   `json:"base_kind"`
	BaseFen  int64    `json:"base_fen"`
	// Tiers has one part per tier of the policy (one for a flat rate), in
	// order, including parts of 0 fen, so the whole schedule is visible.
	Tiers []TierPart `json:"tiers"`
	// RawFen is the exact sum of the tier amounts rounded once, half-up.
	RawFen int64 `json:"raw_fen"`
	// Caps lists every cap the policy has: per_transaction and annual_org
	// when configured, budget always.
	Caps []Cap `json:"caps"`
	// RemainingOrgQuotaFen is nil when the policy has no annual cap.
	RemainingOrgQuotaFen *int64 `json:"remaining_org_quota_fen"`
	RemainingBudgetFen   int64  `json:"remaining_budget_fen"`
	// AmountFen is min(RawFen, every Caps[].LimitFen) when eligible, else 0.
	AmountFen int64 `json:"amount_fen"`
}

// Reason says why a deal is not eligible.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// TierPart is the share of the base that falls inside one tier and what it
// earns there.
type TierPart struct {
	FromFen int64  `json:"from_fen"`
	ToFen   *int64 `json:"to_fen"` // nil for the open top tier
	RateBP  int64  `json:"rate_bp"`
	PartFen int64  `json:"part_fen"`
	// Amount is PartFen × RateBP / 10000 in fen, exact, as a decimal
	// string: "100000", "23456.789". It is a string because it is usually
	// not a whole fen and a float would not be exact; only the total is
	// rounded (RawFen).
	Amount string `json:"amount"`
}

// Cap is one limit on the amount.
type Cap struct {
	Kind string `json:"kind"`
	// LimitFen is the most this cap lets this deal receive: the
	// per-transaction cap itself, what is left of the buyer's annual quota,
	// or what is left of the budget.
	LimitFen int64 `json:"limit_fen"`
	// Applied is true when this cap is what brought RawFen down to the
	// amount (ties mark every binding cap).
	Applied bool `json:"applied"`
}

// Compute works out the subsidy for deal d under rules r, given what is
// already committed against the policy. It never fails and never returns a
// negative amount: every ineligibility reason is collected into the quote,
// and an ineligible quote still carries its base, tiers and raw amount so
// the buyer sees what the deal would have earned.
//
// r should have passed Validate. Compute still behaves on rules that did
// not: rates are clamped to 0..10000, negative caps count as absent, a
// budget ≤ 0 counts as exhausted, unknown bases are treated as lesser (the
// smallest), and tiers win over a flat rate when both are given.
func Compute(r Rules, d Deal, u Usage) Quote {
	q := Quote{Reasons: []Reason{}}

	paid, tech := max(d.PaidFen, 0), max(d.TechAmountFen, 0)
	switch {
	case d.Voucher:
		q.BaseKind, q.BaseFen = BaseFee, max(d.FeeFen, 0)
	case r.Base == BasePaid:
		q.BaseKind, q.BaseFen = BasePaid, paid
	case r.Base == BaseTechAmount:
		q.BaseKind, q.BaseFen = BaseTechAmount, tech
	default:
		q.BaseKind, q.BaseFen = BaseLesser, min(paid, tech)
	}

	q.Tiers, q.RawFen = applyTiers(r, q.BaseFen)

	// Caps: each yields the most it lets this deal receive.
	amount := q.RawFen
	if r.PerTransactionCapFen > 0 {
		q.Caps = append(q.Caps, Cap{Kind: CapPerTransaction, LimitFen: r.PerTransactionCapFen})
	}
	if r.AnnualCapPerOrgFen > 0 {
		left := remaining(r.AnnualCapPerOrgFen, u.OrgUsedFen)
		q.RemainingOrgQuotaFen = &left
		q.Caps = append(q.Caps, Cap{Kind: CapAnnualOrg, LimitFen: left})
	}
	q.RemainingBudgetFen = remaining(r.BudgetFen, u.BudgetUsedFen)
	q.Caps = append(q.Caps, Cap{Kind: CapBudget, LimitFen: q.RemainingBudgetFen})
	for _, c := range q.Caps {
		amount = min(amount, c.LimitFen)
	}
	for i, c := range q.Caps {
		q.Caps[i].Applied = c.LimitFen < q.RawFen && c.LimitFen == amount
	}

	q.Reasons = reasons(r, d, q)
	q.Eligible = len(q.Reasons) == 0
	if q.Eligible {
		q.AmountFen = amount
	}
	return q
}

// remaining is what is left of limit after used, never below 0. Negative
// usage is ignored rather than allowed to raise the limit.
func remaining(limit, used int64) int64 {
	return max(max(limit, 0)-max(used, 0), 0)
}

// applyTiers splits base over the schedule and sums the tier amounts
// exactly, rounding once at the end.
//
// part × rate can overflow int64 for large parts, so each part is split as
// part = hi×10000 + lo: hi×rate is whole fen, lo×rate (< 10^8) is the
// fraction in fen·bp. Since rate ≤ 10000 the whole fen never exceed the
// base, and nothing overflows.
func applyTiers(r Rules, base int64) ([]TierPart, int64) {
	tiers := r.Tiers
	if len(tiers) == 0 {
		tiers = []Tier{{RateBP: r.RateBP}}
	}
	parts := make([]TierPart, 0, len(tiers))
	var whole, frac int64 // the running total: whole fen + frac/10000 fen
	var from int64
	open := false // an open tier took everything above; later ones get nothing
	for _, t := range tiers {
		rate := min(max(t.RateBP, 0), MaxRateBP)
		p := TierPart{FromFen: from, RateBP: rate}
		top := base
		if t.UpToFen != nil {
			to := *t.UpToFen // a copy: the quote must not alias the rules
			p.ToFen = &to
			top = min(top, to)
		}
		if !open {
			p.PartFen = max(top-from, 0)
		}
		w, f := p.PartFen/MaxRateBP*rate, p.PartFen%MaxRateBP*rate
		w += f / MaxRateBP
		f %= MaxRateBP
		p.Amount = decimalFen(w, f)
		parts = append(parts, p)

		whole += w
		frac += f
		whole += frac / MaxRateBP
		frac %= MaxRateBP

		if t.UpToFen == nil {
			open = true
		} else {
			// Bounds that go backwards (invalid rules) must not re-count
			// a band, so the floor only ever rises.
			from = max(from, *t.UpToFen)
		}
	}
	if frac*2 >= MaxRateBP { // half-up: 0.5 fen and above rounds up
		whole++
	}
	return parts, whole
}

// decimalFen formats whole + frac/10000 fen exactly, without trailing
// zeros: (123, 4500) → "123.45", (100000, 0) → "100000".
func decimalFen(whole, frac int64) string {
	s := strconv.FormatInt(whole, 10)
	if frac == 0 {
		return s
	}
	return s + "." + strings.TrimRight(fmt.Sprintf("%04d", frac), "0")
}

// reasons collects every reason the deal is ineligible, not just the first,
// so a buyer can fix them all at once.
func reasons(r Rules, d Deal, q Quote) []Reason {
	rs := []Reason{}
	add := func(code, format string, args ...any) {
		rs = append(rs, Reason{Code: code, Message: fmt.Sprintf(format, args...)})
	}

	if d.Voucher {
		return append(voucherReasons(r, d), capReasons(r, q)...)
	}
	if d.Status == "cancelled" {
		add(ReasonCancelled, "交易已取消 (the transaction is cancelled)")
	}
	if d.Status == "pending_confirmation" {
		add(ReasonNotConfirmed, "交易尚未经对方确认 (the other party has not confirmed the transaction)")
	}
	if r.RequireRegistered && !registered(d) {
		add(ReasonNotRegistered, "合同未认定登记 (the contract is not registered)")
	}
	if (q.BaseKind == BasePaid || q.BaseKind == BaseLesser) && d.PaidFen <= 0 {
		add(ReasonNotPaid, "尚未付款 (nothing has been paid yet)")
	}
	if !contractTypeEligible(r.EligibleContractTypes, d.ContractType) {
		add(ReasonContractType, "合同类型 %q 不在政策范围内 (contract type %q is not covered by the policy)", d.ContractType, d.ContractType)
	}
	if r.RequireLocalBuyer && !isLiuzhou(d.BuyerRegionCode) {
		add(ReasonBuyerNotLocal, "买方不在柳州市 (buyer region %q is not 4502xx)", d.BuyerRegionCode)
	}
	if d.TechAmountFen < r.MinTechAmountFen {
		add(ReasonBelowMinimum, "技术交易额低于最低额 (tech amount %d fen is below the minimum %d fen)", d.TechAmountFen, r.MinTechAmountFen)
	}
	if !r.Covers(d.SignedAt) {
		add(ReasonOutsidePeriod, "签订日期不在政策有效期内 (signed %s, policy runs %s to %s)",
			d.SignedAt.In(market.ChinaTime).Format(time.DateOnly), r.EffectiveFrom.Format(time.DateOnly), r.EffectiveTo.Format(time.DateOnly))
	}
	return append(rs, capReasons(r, q)...)
}

// capReasons are the reasons of caps that leave nothing.
func capReasons(r Rules, q Quote) []Reason {
	var rs []Reason
	if q.RemainingOrgQuotaFen != nil && *q.RemainingOrgQuotaFen == 0 {
		rs = append(rs, Reason{ReasonAnnualCapExhausted, fmt.Sprintf("本年度补助额度已用完 (the buyer's annual quota of %d fen is used up)", r.AnnualCapPerOrgFen)})
	}
	if q.RemainingBudgetFen == 0 {
		rs = append(rs, Reason{ReasonBudgetExhausted, "政策预算已用完 (the policy budget is used up)"})
	}
	return rs
}

// registered trusts the flag, and also the status: a deal only reaches
// registered, paid or completed through registration.
func registered(d Deal) bool {
	switch d.Status {
	case "registered", "paid", "completed":
		return true
	}
	return d.Registered
}

// contractTypeEligible treats an empty list as all five contract types, so
// an unknown type is never eligible.
func contractTypeEligible(eligible []string, t string) bool {
	if len(eligible) == 0 {
		return contractTypes[t]
	}
	return slices.Contains(eligible, t)
}

// isLiuzhou reports whether code is a Liuzhou division: six digits, 4502xx.
func isLiuzhou(code string) bool {
	if len(code) != 6 || !strings.HasPrefix(code, "4502") {
		return false
	}
	return code[4] >= '0' && code[4] <= '9' && code[5] >= '0' && code[5] <= '9'
}
