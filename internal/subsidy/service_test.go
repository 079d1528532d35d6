package subsidy_test

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/subsidy"
)

func TestRulesOfAndTransactionOf(t *testing.T) {
	top := int64(10_000_000)
	p := &market.SubsidyPolicy{Year: 2026, Tiers: []market.SubsidyTier{{UpToFen: &top, RateBP: 100}, {RateBP: 10}},
		BudgetFen: 1000, Base: subsidy.BaseLesser, EffectiveFrom: "2026-01-01", EffectiveTo: "2026-12-31",
		EligibleContractTypes: []string{"transfer"}, RequireLocalBuyer: true}
	r := subsidy.RulesOf(p)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(r.Tiers) != 2 || *r.Tiers[0].UpToFen != top || r.Tiers[1].UpToFen != nil ||
		!r.Covers(time.Date(2026, 12, 31, 15, 59, 0, 0, time.UTC)) || r.Covers(time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)) || r.Covers(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("rules: %+v", r)
	}
	regAt := time.Now()
	d := subsidy.DealOf(&market.Transaction{Status: market.TransactionCancelled, RegisteredAt: &regAt, ContractType: "transfer",
		TechAmountFen: 5, PaidFen: 3}, "450206")
	if !d.Registered || d.Status != "cancelled" || d.BuyerRegionCode != "450206" || d.PaidFen != 3 {
		t.Fatalf("deal: %+v", d)
	}
}

func TestValidatePolicy(t *testing.T) {
	p := &market.SubsidyPolicy{Name: "x", Year: 2026, RateBP: 100, BudgetFen: 0, Base: "lesser",
		EffectiveFrom: "2026-02-30", EffectiveTo: "2026-12-31"}
	found := market.Problems{{Field: "effective_from", Message: "must be a date YYYY-MM-DD"}, {Field: "name", Message: "too short"}}
	err := subsidy.ValidatePolicy(p, found)
	var fields []string
	for _, f := range err.(*market.Error).Fields {
		fields = append(fields, f.Field)
	}
	sort.Strings(fields)
	// effective_from is reported once, by the format check, not again as "required".
	if want := []string{"budget_fen", "effective_from", "name"}; !reflect.DeepEqual(fields, want) {
		t.Fatalf("fields %v, want %v", fields, want)
	}
	if len(found) != 2 {
		t.Fatal("ValidatePolicy changed its argument")
	}
}
