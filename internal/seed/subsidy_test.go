package seed

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/subsidy"
)

// TestSubsidyPolicies checks the demo policy: set by the bureau, valid, and
// the 三明-style 2026 programme the README describes.
func TestSubsidyPolicies(t *testing.T) {
	d := mustLoad(t)
	if len(d.SubsidyPolicies) != 1 {
		t.Fatalf("%d demo subsidy policies, want 1", len(d.SubsidyPolicies))
	}
	kinds := map[string]string{}
	for _, o := range d.Orgs {
		kinds[o.Key] = o.Kind
	}
	x := d.SubsidyPolicies[0]
	if kinds[x.OrgKey] != market.OrgGovernment {
		t.Fatalf("policy set by %q, a %q org", x.OrgKey, kinds[x.OrgKey])
	}
	p := &market.SubsidyPolicy{}
	var problems market.Problems
	x.Apply(p, &problems)
	if err := subsidy.ValidatePolicy(p, problems); err != nil {
		t.Fatalf("demo policy: %v", err)
	}
	const wan = 1_000_000 // 1万元 in fen
	if p.Name != "柳州市技术交易补助 2026" || p.Year != 2026 || len(p.Tiers) != 3 ||
		*p.Tiers[0].UpToFen != 10*wan || p.Tiers[0].RateBP != 100 || *p.Tiers[1].UpToFen != 100*wan ||
		p.Tiers[1].RateBP != 50 || p.Tiers[2].UpToFen != nil || p.Tiers[2].RateBP != 10 ||
		p.PerTransactionCapFen != 50*wan || p.AnnualCapPerOrgFen != 100*wan || p.BudgetFen != 5000*wan ||
		p.Base != subsidy.BaseLesser || !p.RequireRegistered || !p.RequireLocalBuyer || p.AutoApply ||
		p.EffectiveFrom != "2026-01-01" || p.EffectiveTo != "2026-12-31" {
		t.Fatalf("demo policy: %+v", p)
	}
}
