// Package subsidy computes the purchase subsidy a buyer may receive for a
// technology deal under a government subsidy policy, together with the
// breakdown that explains it. It is pure arithmetic: no I/O, no clock, no
// framework. Callers load the policy, the deal and what is already committed
// against the policy, and call Compute; docs/subsidy.md has the rules and
// worked examples.
//
// Money is integer fen and rates are basis points (10000 bp = 100%), as
// everywhere in the API.
package subsidy

import (
	"fmt"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Base kinds: what a policy's rates apply to.
const (
	BasePaid       = "paid"        // the sum of payments made
	BaseTechAmount = "tech_amount" // the (certified) tech amount of the contract
	BaseLesser     = "lesser"      // the smaller of the two
	BaseFee        = "fee"         // a voucher's: the fee of the booking or service order
)

// MaxRateBP is 100%, the highest rate a policy may set.
const MaxRateBP = 10000

// contractTypes are the five 技术合同类型 of the SPEC; an empty
// EligibleContractTypes means all of them.
var contractTypes = map[string]bool{
	"development": true,
	"transfer":    true,
	"license":     true,
	"consulting":  true,
	"service":     true,
}

// Tier is one band of a progressive schedule: RateBP applies to the part of
// the base above the previous tier's UpToFen and up to this one. The last
// tier has a nil UpToFen and takes everything above.
type Tier struct {
	UpToFen *int64 `json:"up_to_fen"`
	RateBP  int64  `json:"rate_bp"`
}

// Rules are the money rules of a policy.
type Rules struct {
	// Year is the policy year: the bucket the annual per-org cap counts in.
	Year int
	// RateBP is the flat rate, used when Tiers is empty.
	RateBP int64
	// Tiers is the progressive schedule; when set, RateBP must be 0.
	Tiers []Tier
	// PerTransactionCapFen bounds the subsidy of one deal; 0 means no cap.
	PerTransactionCapFen int64
	// AnnualCapPerOrgFen bounds what one buyer receives in Year; 0 means no cap.
	AnnualCapPerOrgFen int64
	// BudgetFen is the policy's whole budget; always > 0.
	BudgetFen int64
	// MinTechAmountFen is the smallest eligible tech amount, inclusive.
	MinTechAmountFen int64
	// EligibleContractTypes restricts contract types; empty means all five.
	EligibleContractTypes []string
	// RequireRegistered demands 技术合同认定登记.
	RequireRegistered bool
	// RequireLocalBuyer demands a buyer region code 4502xx (Liuzhou).
	RequireLocalBuyer bool
	// Base is BasePaid, BaseTechAmount or BaseLesser; BaseFee for a
	// voucher policy.
	Base string
	// Voucher marks an innovation-voucher policy (applies_to "service"):
	// it pays a share of the fee of a completed booking or service order.
	Voucher bool
	// EffectiveFrom and EffectiveTo are calendar dates, both inclusive. Only
	// their date counts (as written in their own location), so a DATE column
	// read back in any time zone keeps its meaning.
	EffectiveFrom, EffectiveTo time.Time
}

// Validate reports every problem with the rules at once, as an EINVALID
// market error whose field names are the policy's JSON names.
//
// The year must lie in 2000..2100 but need not be the year of
// EffectiveFrom: a city may open its 2026 programme in December 2025 or let
// it run into early 2027 for late registrations, and Year only names the
// bucket the annual per-org cap counts in.
func (r Rules) Validate() error {
	var p market.Problems

	if r.Year < 2000 || r.Year > 2100 {
		p.Add("year", "must be between 2000 and 2100")
	}

	switch {
	case len(r.Tiers) > 0 && r.RateBP != 0:
		p.Add("rate_bp", "give either rate_bp or tiers, not both")
	case len(r.Tiers) == 0 && r.RateBP == 0:
		p.Add("rate_bp", "required when there are no tiers")
	case len(r.Tiers) == 0 && (r.RateBP < 0 || r.RateBP > MaxRateBP):
		p.Add("rate_bp", "must be between 1 and %d", MaxRateBP)
	}
	validateTiers(&p, r.Tiers)

	if r.PerTransactionCapFen < 0 {
		p.Add("per_transaction_cap_fen", "must not be negative (0 means no cap)")
	}
	if r.AnnualCapPerOrgFen < 0 {
		p.Add("annual_cap_per_org_fen", "must not be negative (0 means no cap)")
	}
	if r.BudgetFen <= 0 {
		p.Add("budget_fen", "must be positive")
	}
	if r.MinTechAmountFen < 0 {
		p.Add("min_tech_amount_fen", "must not be negative")
	}

	seen := map[string]bool{}
	for i, t := range r.EligibleContractTypes {
		field := fmt.Sprintf("eligible_contract_types[%d]", i)
		switch {
		case !contractTypes[t]:
			p.Add(field, "unknown contract type %q", t)
		case seen[t]:
			p.Add(field, "duplicate contract type %q", t)
		}
		seen[t] = true
	}

	switch {
	case r.Voucher && r.Base == BaseFee:
	case r.Voucher:
		p.Add("base", "must be fee on an innovation voucher")
	case r.Base == BasePaid, r.Base == BaseTechAmount, r.Base == BaseLesser:
	default:
		p.Add("base", "must be one of paid, tech_amount, lesser")
	}

	if r.EffectiveFrom.IsZero() {
		p.Add("effective_from", "required")
	}
	if r.EffectiveTo.IsZero() {
		p.Add("effective_to", "required")
	}
	if !r.EffectiveFrom.IsZero() && !r.EffectiveTo.IsZero() &&
		dateOf(r.EffectiveTo).Before(dateOf(r.EffectiveFrom)) {
		p.Add("effective_to", "must not be before effective_from")
	}

	return p.Err()
}

// validateTiers checks the progressive schedule: bounds strictly
// increasing from above zero, an open top on the last tier and only there,
// rates within 0..100%, and at least one rate that pays something.
func validateTiers(p *market.Problems, tiers []Tier) {
	if len(tiers) == 0 {
		return
	}
	var prev int64 // the first tier starts at 0 fen
	positive := false
	for i, t := range tiers {
		last := i == len(tiers)-1
		field := fmt.Sprintf("tiers[%d].up_to_fen", i)
		switch {
		case last && t.UpToFen != nil:
			p.Add(field, "must be null on the last tier")
		case !last && t.UpToFen == nil:
			p.Add(field, "only the last tier may be open (null)")
		case !last && *t.UpToFen <= prev:
			p.Add(field, "must be greater than %d", prev)
		}
		// Keep comparing against the highest bound seen so one bad tier
		// does not hide or invent problems with the next.
		if t.UpToFen != nil && *t.UpToFen > prev {
			prev = *t.UpToFen
		}
		if t.RateBP < 0 || t.RateBP > MaxRateBP {
			p.Add(fmt.Sprintf("tiers[%d].rate_bp", i), "must be between 0 and %d", MaxRateBP)
		}
		if t.RateBP > 0 {
			positive = true
		}
	}
	if !positive {
		p.Add("tiers", "at least one tier must have a positive rate")
	}
}

// Covers reports whether a deal signed at signedAt falls inside the
// policy's effective dates. The city's dates are Beijing dates (SPEC
// "Trust": money rules hold a deal by the Beijing date of its signed_at),
// so a contract signed at 2027-01-01 02:00 in Liuzhou (2026-12-31 18:00
// UTC) falls under the 2027 policy. Callers choosing the policy that
// applies to a deal should use this, so lookup and Compute agree on the
// boundary.
func (r Rules) Covers(signedAt time.Time) bool {
	d := dateOf(signedAt.In(market.ChinaTime))
	return !d.Before(dateOf(r.EffectiveFrom)) && !d.After(dateOf(r.EffectiveTo))
}

// dateOf is t's calendar date, as written in t's own location, at UTC
// midnight so dates compare as dates.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
