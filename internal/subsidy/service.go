package subsidy

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Service manages subsidy policies, quotes and applications. Every method
// reads the actor from the context. It lives here rather than in market
// because a quote is this package's Quote; the policy and application
// types, their lifecycle and permission rules are in market.
type Service interface {
	CreateSubsidyPolicy(ctx context.Context, in market.SubsidyPolicyInput) (*market.SubsidyPolicy, error)
	FindSubsidyPolicy(ctx context.Context, id string) (*market.SubsidyPolicy, error)
	ListSubsidyPolicies(ctx context.Context, f market.SubsidyPolicyFilter) (market.Page[market.SubsidyPolicy], error)
	// UpdateSubsidyPolicy changes a policy in place; its money rules only
	// while nothing is approved or disbursed under it.
	UpdateSubsidyPolicy(ctx context.Context, id string, in market.SubsidyPolicyInput) (*market.SubsidyPolicy, error)
	// VersionSubsidyPolicy makes a new version of a policy with the
	// changes in, superseding the old one.
	VersionSubsidyPolicy(ctx context.Context, id string, in market.SubsidyPolicyInput) (*market.SubsidyPolicy, error)

	// QuoteSubsidy computes the subsidy of a deal under a policy; nothing
	// is stored.
	QuoteSubsidy(ctx context.Context, in market.SubsidyRequest) (*Quote, error)

	ApplyForSubsidy(ctx context.Context, in market.SubsidyRequest) (*market.SubsidyApplication, error)
	FindSubsidyApplication(ctx context.Context, id string) (*market.SubsidyApplication, error)
	ListSubsidyApplications(ctx context.Context, f market.SubsidyApplicationFilter) (market.Page[market.SubsidyApplication], error)
	WithdrawSubsidyApplication(ctx context.Context, id string) (*market.SubsidyApplication, error)
	// ReviewSubsidyApplication approves (re-checking the deal and reserving
	// the amount from the budget) or rejects a submitted application.
	ReviewSubsidyApplication(ctx context.Context, id string, r market.Review) (*market.SubsidyApplication, error)
	DisburseSubsidyApplication(ctx context.Context, id string, d market.Disbursement) (*market.SubsidyApplication, error)
}

// RulesOf returns the money rules of a policy. Dates that do not parse
// come back zero, which Validate reports.
func RulesOf(p *market.SubsidyPolicy) Rules {
	r := Rules{
		Year: p.Year, RateBP: p.RateBP, PerTransactionCapFen: p.PerTransactionCapFen,
		AnnualCapPerOrgFen: p.AnnualCapPerOrgFen, BudgetFen: p.BudgetFen, MinTechAmountFen: p.MinTechAmountFen,
		EligibleContractTypes: slices.Clone(p.EligibleContractTypes), RequireRegistered: p.RequireRegistered,
		RequireLocalBuyer: p.RequireLocalBuyer, Base: p.Base, Voucher: p.AppliesTo == market.PolicyForServices,
	}
	for _, t := range p.Tiers {
		r.Tiers = append(r.Tiers, Tier{UpToFen: t.UpToFen, RateBP: t.RateBP})
	}
	r.EffectiveFrom, _ = time.Parse(time.DateOnly, p.EffectiveFrom)
	r.EffectiveTo, _ = time.Parse(time.DateOnly, p.EffectiveTo)
	return r
}

// DealOf returns what the calculation needs of a transaction whose buyer
// org is in buyerRegion.
func DealOf(t *market.Transaction, buyerRegion string) Deal {
	return Deal{
		Status: t.Status, Registered: t.RegistrationNo != "" || t.RegisteredAt != nil,
		ContractType: t.ContractType, TechAmountFen: t.TechAmountFen, PaidFen: t.PaidFen,
		SignedAt: t.SignedAt, BuyerRegionCode: buyerRegion,
	}
}

// ValidatePolicy checks a policy's money rules with Rules.Validate and
// reports them together with the problems already found (by
// SubsidyPolicyInput.Apply), one message per field.
func ValidatePolicy(p *market.SubsidyPolicy, found market.Problems) error {
	problems := slices.Clone(found)
	var e *market.Error
	if err := RulesOf(p).Validate(); errors.As(err, &e) {
		for _, f := range e.Fields {
			if !slices.ContainsFunc(problems, func(x market.FieldError) bool { return x.Field == f.Field }) {
				problems = append(problems, f)
			}
		}
	}
	return problems.Err()
}

// ReasonList returns the quote's reasons as market reasons, for an Error.
func (q *Quote) ReasonList() []market.Reason {
	out := make([]market.Reason, len(q.Reasons))
	for i, r := range q.Reasons {
		out[i] = market.Reason(r)
	}
	return out
}
