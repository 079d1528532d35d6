package market_test

import (
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestApplicationTransitions(t *testing.T) {
	allowed := map[string]map[string]string{
		market.ActionApprove:  {"submitted": "approved"},
		market.ActionReject:   {"submitted": "rejected", "approved": "rejected"},
		market.ActionWithdraw: {"submitted": "withdrawn"},
		market.ActionDisburse: {"approved": "disbursed"},
	}
	for action, moves := range allowed {
		for _, from := range market.ApplicationStatuses {
			to, err := market.ApplicationTransition(from, action)
			want, ok := moves[from]
			switch {
			case ok && (err != nil || to != want):
				t.Errorf("%s from %s: %q, %v; want %s", action, from, to, err, want)
			case !ok && market.ErrorCode(err) != market.ECONFLICT:
				t.Errorf("%s from %s: %v, want a conflict", action, from, err)
			case !ok && !strings.Contains(err.Error(), from):
				t.Errorf("%s from %s: %v does not name the state", action, from, err)
			}
		}
	}
	live := map[string]bool{"submitted": true, "approved": true, "disbursed": true}
	for _, s := range market.ApplicationStatuses {
		if market.ApplicationLive(s) != live[s] {
			t.Errorf("ApplicationLive(%s) = %v", s, !live[s])
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestSubsidyPolicyInputApply(t *testing.T) {
	p := &market.SubsidyPolicy{Name: "旧名称", RateBP: 100, EffectiveFrom: "2025-01-01"}
	var problems market.Problems
	tiers := []market.SubsidyTier{{UpToFen: ptr[int64](100), RateBP: 100}, {RateBP: 50}}
	(&market.SubsidyPolicyInput{Tiers: &tiers, EffectiveTo: ptr("2025-02-30"), BudgetFen: ptr[int64](market.MaxAmountFen + 1)}).Apply(p, &problems)
	if p.RateBP != 0 || len(p.Tiers) != 2 || p.Name != "旧名称" || p.EligibleContractTypes == nil {
		t.Fatalf("after tiers: %+v", p)
	}
	var fields []string
	for _, f := range problems {
		fields = append(fields, f.Field)
	}
	if got := strings.Join(fields, ","); got != "budget_fen,effective_to" {
		t.Fatalf("problems: %s", got)
	}
	problems = nil
	(&market.SubsidyPolicyInput{RateBP: ptr[int64](300), Name: ptr("  新名称 ")}).Apply(p, &problems)
	if p.RateBP != 300 || len(p.Tiers) != 0 || p.Tiers == nil || p.Name != "新名称" {
		t.Fatalf("after a flat rate: %+v", p)
	}

	q := *p
	q.Name, q.AutoApply = "别的名称", true
	if !p.SameMoneyRules(&q) {
		t.Error("name and auto_apply are not money rules")
	}
	q.BudgetFen++
	if p.SameMoneyRules(&q) {
		t.Error("the budget is a money rule")
	}
}

func TestSubsidyPermissions(t *testing.T) {
	gov := &market.Actor{OrgID: "G", OrgKind: market.OrgGovernment, OrgVerified: true}
	buyer := &market.Actor{OrgID: "B", OrgKind: market.OrgEnterprise, OrgVerified: true}
	seller := &market.Actor{OrgID: "S", OrgKind: market.OrgUniversity, OrgVerified: true}
	op := &market.Actor{OrgID: "O", OrgKind: market.OrgOperator, OrgVerified: true, Market: "liuzhou"}
	deal := &market.Transaction{ID: "T", BuyerOrgID: "B", SellerOrgID: "S", Market: "liuzhou"}
	app := &market.SubsidyApplication{BuyerOrgID: "B"}

	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"gov sets policy", market.CanManageSubsidyPolicies(gov), ""},
		{"unverified gov", market.CanManageSubsidyPolicies(&market.Actor{OrgKind: market.OrgGovernment}), market.EFORBIDDEN},
		{"buyer sets policy", market.CanManageSubsidyPolicies(buyer), market.EFORBIDDEN},
		{"seller quotes", market.CanQuoteSubsidy(seller, deal), ""},
		{"gov quotes", market.CanQuoteSubsidy(gov, deal), ""},
		{"operator quotes", market.CanQuoteSubsidy(op, deal), market.EFORBIDDEN},
		{"buyer applies", market.CanApplyForSubsidy(buyer, deal), ""},
		{"seller applies", market.CanApplyForSubsidy(seller, deal), market.EFORBIDDEN},
		{"unverified buyer applies", market.CanApplyForSubsidy(&market.Actor{OrgID: "B", OrgKind: market.OrgEnterprise}, deal), market.EFORBIDDEN},
		{"gov reviews", market.CanReviewSubsidies(gov), ""},
		{"buyer reviews", market.CanReviewSubsidies(buyer), market.EFORBIDDEN},
		{"buyer withdraws", market.CanWithdrawSubsidyApplication(buyer, app), ""},
		{"gov withdraws", market.CanWithdrawSubsidyApplication(gov, app), market.EFORBIDDEN},
	} {
		if got := market.ErrorCode(c.err); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if !market.CanSeeSubsidyApplication(buyer, app) || !market.CanSeeSubsidyApplication(gov, app) ||
		market.CanSeeSubsidyApplication(seller, app) || market.CanSeeSubsidyApplication(nil, app) {
		t.Error("application visibility")
	}
	if scope, err := market.SubsidyApplicationScope(seller); err != nil || scope != "S" {
		t.Errorf("seller scope: %q %v", scope, err)
	}
	if _, err := market.SubsidyApplicationScope(op); market.ErrorCode(err) != market.EFORBIDDEN {
		t.Errorf("operator scope: %v", err)
	}
}
