package subsidy

import (
	"slices"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// voucherRules is a 2026 innovation voucher: 50% of the fee, budget
// 1000万元, local clients only.
func voucherRules() Rules {
	return Rules{Year: 2026, RateBP: 5000, BudgetFen: 1_000_000_000, RequireLocalBuyer: true, Base: BaseFee, Voucher: true,
		EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), EffectiveTo: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
}

func voucher(fee int64, completed bool, at time.Time) Deal {
	return VoucherOf(&market.VoucherSubject{FeeFen: fee, Completed: completed, At: at}, "450206")
}

// The worked examples of docs/subsidy.md ("Innovation vouchers"), by hand.
func TestComputeVoucher(t *testing.T) {
	june := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	tiers := func(r *Rules) {
		r.RateBP = 0
		r.Tiers = []Tier{{UpToFen: fen(200_000), RateBP: 1000}, {RateBP: 500}}
	}
	for _, c := range []struct {
		name    string
		rules   func(*Rules)
		deal    Deal
		usage   Usage
		raw     int64
		amount  int64
		applied []string
		reasons []string
	}{
		// 95 min at 300元/h: fee 47 500; × 50% = 23 750; cap 20 000.
		{"booking trimmed by the per-item cap", func(r *Rules) { r.PerTransactionCapFen = 20_000 },
			voucher(47_500, true, june), Usage{}, 23_750, 20_000, []string{CapPerTransaction}, nil},
		// 3 × 123.45元 = 37 035 fen; × 50% = 18 517.5 → 18 518 (half-up).
		{"order rounded half-up", nil, voucher(37_035, true, june), Usage{}, 18_518, 18_518, nil, nil},
		// The same order after 20 000 of an annual 30 000 is used: 10 000.
		{"order trimmed by the annual cap", func(r *Rules) { r.AnnualCapPerOrgFen = 30_000 },
			voucher(37_035, true, june), Usage{OrgUsedFen: 20_000}, 18_518, 10_000, []string{CapAnnualOrg}, nil},
		// 1万元 fee, 10% to 2000元 and 5% above: 20 000 + 40 000 = 60 000.
		{"tiers on the fee", tiers, voucher(1_000_000, true, june), Usage{}, 60_000, 60_000, nil, nil},
		// Booked, not yet completed: nothing, with the breakdown.
		{"not completed", nil, voucher(47_500, false, june), Usage{}, 23_750, 0, nil, []string{ReasonNotCompleted}},
		// 45 min at 123.45元/h = 9 259 fen, below a 100元 minimum.
		{"below the minimum fee", func(r *Rules) { r.MinTechAmountFen = 10_000 },
			voucher(9_259, true, june), Usage{}, 4_630, 0, nil, []string{ReasonBelowMinimum}},
		// Completed 2027-01-01 01:00 in Beijing (2026-12-31 17:00 UTC):
		// outside the 2026 programme.
		{"completed after the period, by the Beijing date", nil,
			voucher(47_500, true, time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)), Usage{}, 23_750, 0, nil, []string{ReasonOutsidePeriod}},
		{"budget used up", nil, voucher(47_500, true, june), Usage{BudgetUsedFen: 1_000_000_000}, 23_750, 0, []string{CapBudget}, []string{ReasonBudgetExhausted}},
	} {
		r := voucherRules()
		if c.rules != nil {
			c.rules(&r)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: rules: %v", c.name, err)
		}
		q := Compute(r, c.deal, c.usage)
		var codes, applied []string
		for _, x := range q.Reasons {
			codes = append(codes, x.Code)
		}
		for _, x := range q.Caps {
			if x.Applied {
				applied = append(applied, x.Kind)
			}
		}
		if q.BaseKind != BaseFee || q.BaseFen != c.deal.FeeFen || q.RawFen != c.raw || q.AmountFen != c.amount ||
			!slices.Equal(codes, c.reasons) || !slices.Equal(applied, c.applied) || q.Eligible != (c.reasons == nil) {
			t.Errorf("%s: %+v", c.name, q)
		}
	}
}

func TestVoucherRulesValidate(t *testing.T) {
	r := voucherRules()
	r.Base = BasePaid
	if err := r.Validate(); !slices.Equal(market.FieldNames(err), []string{"base"}) {
		t.Errorf("a voucher on payments: %v", err)
	}
	d := voucherRules()
	d.Voucher = false
	if err := d.Validate(); !slices.Equal(market.FieldNames(err), []string{"base"}) {
		t.Errorf("a deal policy on the fee: %v", err)
	}
}
