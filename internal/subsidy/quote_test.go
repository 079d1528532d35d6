package subsidy

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The fixtures: a 2026 policy with a flat rate or 三明's three tiers, a
// budget of 1000万元 that nothing has touched, and a registered, fully paid,
// local development contract signed mid-year. Each case changes only what
// it is about.

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func fen(v int64) *int64 { return &v }

// with returns a copy of v changed by f, so a case reads as "the fixture,
// but ...".
func with[T any](v T, f func(*T)) T {
	f(&v)
	return v
}

// flat is a 2026 policy paying rateBP on the tech amount, budget 1000万元.
func flat(rateBP int64) Rules {
	return Rules{
		Year:          2026,
		RateBP:        rateBP,
		BudgetFen:     1_000_000_000,
		Base:          BaseTechAmount,
		EffectiveFrom: date(2026, 1, 1),
		EffectiveTo:   date(2026, 12, 31),
	}
}

// sanming is 三明's scheme: 1% up to 10万元, 0.5% up to 100万元, 0.1% above.
func sanming() Rules {
	r := flat(0)
	r.Tiers = []Tier{
		{UpToFen: fen(10_000_000), RateBP: 100},
		{UpToFen: fen(100_000_000), RateBP: 50},
		{RateBP: 10},
	}
	return r
}

// deal is a registered, paid, local development contract signed 2026-06-01.
func deal(techFen, paidFen int64) Deal {
	return Deal{
		Status:          "paid",
		Registered:      true,
		ContractType:    "development",
		TechAmountFen:   techFen,
		PaidFen:         paidFen,
		SignedAt:        time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC),
		BuyerRegionCode: "450203",
	}
}

// budget1000wan is the budget cap of an untouched fixture policy.
var budget1000wan = Cap{Kind: CapBudget, LimitFen: 1_000_000_000}

type want struct {
	eligible   bool
	reasons    []string // codes, in order; nil means none
	baseKind   string
	baseFen    int64
	parts      []int64  // part_fen of each tier; nil: not checked
	amounts    []string // amount of each tier; nil: not checked
	rawFen     int64
	caps       []Cap
	orgLeft    *int64
	budgetLeft int64
	amountFen  int64
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
		deal  Deal
		usage Usage
		want  want
	}{
		// --- bases and rates ---
		{
			// 1万元 × 1% = 100元 = 10000 fen.
			name:  "flat 1% on tech amount",
			rules: flat(100),
			deal:  deal(1_000_000, 1_000_000),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000,
				parts: []int64{1_000_000}, amounts: []string{"10000"}, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			// Base tech_amount ignores how much is paid: 1万元 × 1% = 10000 fen.
			name:  "base tech_amount on a partly paid deal",
			rules: flat(100),
			deal:  with(deal(1_000_000, 400_000), func(d *Deal) { d.Status = "registered" }),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			// Partly paid is eligible on what is paid: 4000元 × 1% = 4000 fen.
			name:  "base paid on a partly paid deal",
			rules: with(flat(100), func(r *Rules) { r.Base = BasePaid }),
			deal:  with(deal(1_000_000, 400_000), func(d *Deal) { d.Status = "registered" }),
			want: want{eligible: true, baseKind: "paid", baseFen: 400_000, rawFen: 4_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 4_000},
		},
		{
			// min(paid 4000元, tech 1万元) = 4000元; × 1% = 4000 fen.
			name:  "base lesser takes payments when smaller",
			rules: with(flat(100), func(r *Rules) { r.Base = BaseLesser }),
			deal:  with(deal(1_000_000, 400_000), func(d *Deal) { d.Status = "registered" }),
			want: want{eligible: true, baseKind: "lesser", baseFen: 400_000, rawFen: 4_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 4_000},
		},
		{
			// Payments can exceed the tech amount (the contract amount is
			// larger): min(paid 1.2万元, tech 1万元) = 1万元; × 1% = 10000 fen.
			name:  "base lesser takes tech amount when smaller",
			rules: with(flat(100), func(r *Rules) { r.Base = BaseLesser }),
			deal:  deal(1_000_000, 1_200_000),
			want: want{eligible: true, baseKind: "lesser", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			// 10万元 × 1%       = 100000 fen
			// 90万元 × 0.5%     = 450000 fen
			// 23456789 × 0.1%  =  23456.789 fen
			// Σ = 573456.789 → 573457 fen.
			name:  "three tiers 三明 spanning all three",
			rules: sanming(),
			deal:  deal(123_456_789, 123_456_789),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 123_456_789,
				parts:   []int64{10_000_000, 90_000_000, 23_456_789},
				amounts: []string{"100000", "450000", "23456.789"},
				rawFen:  573_457, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 573_457},
		},
		{
			// 5万元 is all in the first tier: × 1% = 50000 fen; the other tiers show 0.
			name:  "three tiers, base inside the first",
			rules: sanming(),
			deal:  deal(5_000_000, 5_000_000),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 5_000_000,
				parts: []int64{5_000_000, 0, 0}, amounts: []string{"50000", "0", "0"},
				rawFen: 50_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 50_000},
		},
		{
			// Bounds are inclusive at the top: exactly 10万元 fills the first
			// tier and leaves nothing above. 10万元 × 1% = 100000 fen.
			name:  "three tiers, base exactly on the first bound",
			rules: sanming(),
			deal:  deal(10_000_000, 10_000_000),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 10_000_000,
				parts: []int64{10_000_000, 0, 0}, rawFen: 100_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 100_000},
		},

		// --- rounding ---
		{
			// 12345 fen × 1% = 123.45 → 123.
			name:  "rounding 123.45 goes down",
			rules: flat(100),
			deal:  deal(12_345, 12_345),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 12_345,
				amounts: []string{"123.45"}, rawFen: 123,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 123},
		},
		{
			// 12350 fen × 1% = 123.5 → 124: exactly half rounds up.
			name:  "rounding exactly half a fen goes up",
			rules: flat(100),
			deal:  deal(12_350, 12_350),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 12_350,
				amounts: []string{"123.5"}, rawFen: 124,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 124},
		},
		{
			// 12349 fen × 1% = 123.49 → 123: just below half rounds down.
			name:  "rounding just below half goes down",
			rules: flat(100),
			deal:  deal(12_349, 12_349),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 12_349,
				amounts: []string{"123.49"}, rawFen: 123,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 123},
		},
		{
			// 499999 fen × 0.01% = 49.9999 → 50; 1 bp keeps four decimals exact.
			name:  "rounding keeps four decimals at 1 bp",
			rules: flat(1),
			deal:  deal(499_999, 499_999),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 499_999,
				amounts: []string{"49.9999"}, rawFen: 50,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 50},
		},
		{
			// 140 × 1% = 1.4 and 100 × 0.4% = 0.4: Σ 1.8 → 2. Rounding each
			// tier first would give 1 + 0 = 1.
			name: "rounding once on the total, not per tier",
			rules: with(flat(0), func(r *Rules) {
				r.Tiers = []Tier{{UpToFen: fen(140), RateBP: 100}, {RateBP: 40}}
			}),
			deal: deal(240, 240),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 240,
				parts: []int64{140, 100}, amounts: []string{"1.4", "0.4"}, rawFen: 2,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 2},
		},
		{
			// 10万元 × 1% = 100000 plus 150 fen × 0.5% = 0.75 → 100001.
			name:  "rounding a fraction in the middle tier",
			rules: sanming(),
			deal:  deal(10_000_150, 10_000_150),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 10_000_150,
				parts: []int64{10_000_000, 150, 0}, amounts: []string{"100000", "0.75", "0"},
				rawFen: 100_001, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 100_001},
		},

		// --- zero and negative inputs ---
		{
			// A tech amount of 0 with no minimum: nothing to subsidise, but
			// nothing wrong either.
			name:  "zero base is eligible for nothing",
			rules: flat(100),
			deal:  deal(0, 0),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 0,
				parts: []int64{0}, amounts: []string{"0"}, rawFen: 0,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 0},
		},
		{
			// Negative amounts are floored at 0 (a negative tech amount is
			// below any minimum), negative usage is ignored: the quotas left
			// stay 3万元 and 1000万元, not more.
			name:  "negative inputs never go negative",
			rules: with(flat(100), func(r *Rules) { r.AnnualCapPerOrgFen = 3_000_000 }),
			deal:  deal(-100, -500),
			usage: Usage{OrgUsedFen: -1_000, BudgetUsedFen: -1_000},
			want: want{reasons: []string{"below_minimum"}, baseKind: "tech_amount", baseFen: 0, rawFen: 0,
				caps:    []Cap{{Kind: CapAnnualOrg, LimitFen: 3_000_000}, budget1000wan},
				orgLeft: fen(3_000_000), budgetLeft: 1_000_000_000, amountFen: 0},
		},

		// --- caps ---
		{
			// 200万元 × 1% = 20000元 = 2000000 fen; the 1万元 cap trims it to 1000000.
			name:  "per-transaction cap trims",
			rules: with(flat(100), func(r *Rules) { r.PerTransactionCapFen = 1_000_000 }),
			deal:  deal(200_000_000, 200_000_000),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 200_000_000, rawFen: 2_000_000,
				caps: []Cap{
					{Kind: CapPerTransaction, LimitFen: 1_000_000, Applied: true},
					budget1000wan,
				},
				budgetLeft: 1_000_000_000, amountFen: 1_000_000},
		},
		{
			// 50万元 × 1% = 5000 fen, under the 1万元 cap: listed, not applied.
			name:  "per-transaction cap present but not biting",
			rules: with(flat(100), func(r *Rules) { r.PerTransactionCapFen = 1_000_000 }),
			deal:  deal(500_000, 500_000),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 500_000, rawFen: 5_000,
				caps:       []Cap{{Kind: CapPerTransaction, LimitFen: 1_000_000}, budget1000wan},
				budgetLeft: 1_000_000_000, amountFen: 5_000},
		},
		{
			// The cap equals the raw amount: nothing is trimmed, so not applied.
			name:  "per-transaction cap equal to raw is not applied",
			rules: with(flat(100), func(r *Rules) { r.PerTransactionCapFen = 2_000_000 }),
			deal:  deal(200_000_000, 200_000_000),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 200_000_000, rawFen: 2_000_000,
				caps:       []Cap{{Kind: CapPerTransaction, LimitFen: 2_000_000}, budget1000wan},
				budgetLeft: 1_000_000_000, amountFen: 2_000_000},
		},
		{
			// Annual cap 3万元, 2.5万元 already approved: 5000元 = 500000 fen
			// left; raw 2000000 is trimmed to it and the deal stays eligible.
			name:  "annual cap trims",
			rules: with(flat(100), func(r *Rules) { r.AnnualCapPerOrgFen = 3_000_000 }),
			deal:  deal(200_000_000, 200_000_000),
			usage: Usage{OrgUsedFen: 2_500_000, BudgetUsedFen: 2_500_000},
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 200_000_000, rawFen: 2_000_000,
				caps: []Cap{
					{Kind: CapAnnualOrg, LimitFen: 500_000, Applied: true},
					{Kind: CapBudget, LimitFen: 997_500_000},
				},
				orgLeft: fen(500_000), budgetLeft: 997_500_000, amountFen: 500_000},
		},
		{
			// Annual cap 3万元 fully used: nothing left, so ineligible with
			// annual_cap_exhausted; raw is still shown.
			name:  "annual cap exhausts",
			rules: with(flat(100), func(r *Rules) { r.AnnualCapPerOrgFen = 3_000_000 }),
			deal:  deal(200_000_000, 200_000_000),
			usage: Usage{OrgUsedFen: 3_000_000, BudgetUsedFen: 3_000_000},
			want: want{eligible: false, reasons: []string{"annual_cap_exhausted"},
				baseKind: "tech_amount", baseFen: 200_000_000, rawFen: 2_000_000,
				caps: []Cap{
					{Kind: CapAnnualOrg, LimitFen: 0, Applied: true},
					{Kind: CapBudget, LimitFen: 997_000_000},
				},
				orgLeft: fen(0), budgetLeft: 997_000_000, amountFen: 0},
		},
		{
			// Used past the cap (a cap lowered after approvals): left is 0, not negative.
			name:  "annual cap overused floors at zero",
			rules: with(flat(100), func(r *Rules) { r.AnnualCapPerOrgFen = 3_000_000 }),
			deal:  deal(200_000_000, 200_000_000),
			usage: Usage{OrgUsedFen: 3_200_000, BudgetUsedFen: 3_200_000},
			want: want{eligible: false, reasons: []string{"annual_cap_exhausted"},
				baseKind: "tech_amount", baseFen: 200_000_000, rawFen: 2_000_000,
				caps: []Cap{
					{Kind: CapAnnualOrg, LimitFen: 0, Applied: true},
					{Kind: CapBudget, LimitFen: 996_800_000},
				},
				orgLeft: fen(0), budgetLeft: 996_800_000, amountFen: 0},
		},
		{
			// Budget 100万元 with 99万元 committed: 1万元 = 1000000 fen left;
			// raw 2000000 is trimmed to it.
			name:  "budget trims",
			rules: with(flat(100), func(r *Rules) { r.BudgetFen = 100_000_000 }),
			deal:  deal(200_000_000, 200_000_000),
			usage: Usage{BudgetUsedFen: 99_000_000},
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 200_000_000, rawFen: 2_000_000,
				caps:       []Cap{{Kind: CapBudget, LimitFen: 1_000_000, Applied: true}},
				budgetLeft: 1_000_000, amountFen: 1_000_000},
		},
		{
			// Budget 100万元 all committed: ineligible with budget_exhausted.
			name:  "budget exhausted",
			rules: with(flat(100), func(r *Rules) { r.BudgetFen = 100_000_000 }),
			deal:  deal(200_000_000, 200_000_000),
			usage: Usage{BudgetUsedFen: 100_000_000},
			want: want{eligible: false, reasons: []string{"budget_exhausted"},
				baseKind: "tech_amount", baseFen: 200_000_000, rawFen: 2_000_000,
				caps:       []Cap{{Kind: CapBudget, LimitFen: 0, Applied: true}},
				budgetLeft: 0, amountFen: 0},
		},
		{
			// raw 2000000; per-transaction 1.5万元 and annual left 8000元 both
			// lie below it, but only the annual quota sets the amount.
			name: "only the binding cap is applied",
			rules: with(flat(100), func(r *Rules) {
				r.PerTransactionCapFen = 1_500_000
				r.AnnualCapPerOrgFen = 3_000_000
			}),
			deal:  deal(200_000_000, 200_000_000),
			usage: Usage{OrgUsedFen: 2_200_000, BudgetUsedFen: 2_200_000},
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 200_000_000, rawFen: 2_000_000,
				caps: []Cap{
					{Kind: CapPerTransaction, LimitFen: 1_500_000},
					{Kind: CapAnnualOrg, LimitFen: 800_000, Applied: true},
					{Kind: CapBudget, LimitFen: 997_800_000},
				},
				orgLeft: fen(800_000), budgetLeft: 997_800_000, amountFen: 800_000},
		},
		{
			// Per-transaction 1.2万元 and annual left 1.2万元 tie: both applied.
			name: "tied caps are both applied",
			rules: with(flat(100), func(r *Rules) {
				r.PerTransactionCapFen = 1_200_000
				r.AnnualCapPerOrgFen = 3_000_000
			}),
			deal:  deal(200_000_000, 200_000_000),
			usage: Usage{OrgUsedFen: 1_800_000, BudgetUsedFen: 1_800_000},
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 200_000_000, rawFen: 2_000_000,
				caps: []Cap{
					{Kind: CapPerTransaction, LimitFen: 1_200_000, Applied: true},
					{Kind: CapAnnualOrg, LimitFen: 1_200_000, Applied: true},
					{Kind: CapBudget, LimitFen: 998_200_000},
				},
				orgLeft: fen(1_200_000), budgetLeft: 998_200_000, amountFen: 1_200_000},
		},

		// --- eligibility, one reason at a time ---
		{
			name:  "cancelled",
			rules: flat(100),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.Status = "cancelled" }),
			want: want{reasons: []string{"cancelled"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			name:  "not registered",
			rules: with(flat(100), func(r *Rules) { r.RequireRegistered = true }),
			deal: with(deal(1_000_000, 1_000_000), func(d *Deal) {
				d.Status, d.Registered = "signed", false
			}),
			want: want{reasons: []string{"not_registered"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// Paid in full before registration: the flag counts, not the status.
			name:  "registered flag on a signed deal counts",
			rules: with(flat(100), func(r *Rules) { r.RequireRegistered = true }),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.Status = "signed" }),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			name:  "registration not required",
			rules: flat(100),
			deal: with(deal(1_000_000, 1_000_000), func(d *Deal) {
				d.Status, d.Registered = "signed", false
			}),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			name:  "not paid under base paid",
			rules: with(flat(100), func(r *Rules) { r.Base = BasePaid }),
			deal:  with(deal(1_000_000, 0), func(d *Deal) { d.Status = "registered" }),
			want: want{reasons: []string{"not_paid"}, baseKind: "paid", baseFen: 0, rawFen: 0,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			name:  "not paid under base lesser",
			rules: with(flat(100), func(r *Rules) { r.Base = BaseLesser }),
			deal:  with(deal(1_000_000, 0), func(d *Deal) { d.Status = "registered" }),
			want: want{reasons: []string{"not_paid"}, baseKind: "lesser", baseFen: 0, rawFen: 0,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// Under base tech_amount payments do not matter.
			name:  "unpaid is fine under base tech_amount",
			rules: flat(100),
			deal:  with(deal(1_000_000, 0), func(d *Deal) { d.Status = "registered" }),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			name:  "contract type not in the list",
			rules: with(flat(100), func(r *Rules) { r.EligibleContractTypes = []string{"development", "transfer"} }),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.ContractType = "consulting" }),
			want: want{reasons: []string{"contract_type"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			name:  "contract type in the list",
			rules: with(flat(100), func(r *Rules) { r.EligibleContractTypes = []string{"development", "transfer"} }),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.ContractType = "transfer" }),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			// An empty list means the five SPEC types, not anything at all.
			name:  "unknown contract type with an empty list",
			rules: flat(100),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.ContractType = "equity" }),
			want: want{reasons: []string{"contract_type"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// 450102 is 南宁市兴宁区: Guangxi, but not Liuzhou.
			name:  "buyer not local",
			rules: with(flat(100), func(r *Rules) { r.RequireLocalBuyer = true }),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.BuyerRegionCode = "450102" }),
			want: want{reasons: []string{"buyer_not_local"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// The prefix alone is not a region code.
			name:  "buyer region code malformed",
			rules: with(flat(100), func(r *Rules) { r.RequireLocalBuyer = true }),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.BuyerRegionCode = "4502" }),
			want: want{reasons: []string{"buyer_not_local"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// 450226 三江侗族自治县 is a Liuzhou county.
			name:  "buyer in a Liuzhou county is local",
			rules: with(flat(100), func(r *Rules) { r.RequireLocalBuyer = true }),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.BuyerRegionCode = "450226" }),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			// Minimum 1万元, tech amount 9999.99元.
			name:  "below minimum",
			rules: with(flat(100), func(r *Rules) { r.MinTechAmountFen = 1_000_000 }),
			deal:  deal(999_999, 999_999),
			want: want{reasons: []string{"below_minimum"}, baseKind: "tech_amount", baseFen: 999_999,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// The minimum is inclusive: exactly 1万元 qualifies, 10000 fen.
			name:  "minimum is inclusive",
			rules: with(flat(100), func(r *Rules) { r.MinTechAmountFen = 1_000_000 }),
			deal:  deal(1_000_000, 1_000_000),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			// The minimum is on the tech amount even when the base is paid.
			name: "minimum applies to tech amount under base paid",
			rules: with(flat(100), func(r *Rules) {
				r.Base = BasePaid
				r.MinTechAmountFen = 1_000_000
			}),
			deal: with(deal(1_000_000, 400_000), func(d *Deal) { d.Status = "registered" }),
			want: want{eligible: true, baseKind: "paid", baseFen: 400_000, rawFen: 4_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 4_000},
		},
		{
			name:  "signed before the policy",
			rules: flat(100),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.SignedAt = time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC) }),
			want: want{reasons: []string{"outside_period"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// The last second of the policy's last day, Beijing time: inside.
			name:  "year boundary: signed 2026-12-31 23:59:59 Beijing is inside a 2026 policy",
			rules: flat(100),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.SignedAt = time.Date(2026, 12, 31, 15, 59, 59, 0, time.UTC) }),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},
		{
			name:  "year boundary: signed 2027-01-01 00:00 Beijing is outside a 2026 policy",
			rules: flat(100),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.SignedAt = time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC) }),
			want: want{reasons: []string{"outside_period"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// 2027-01-01 02:00 Beijing time is 2026-12-31 18:00 UTC: the
			// date of signed_at is its Beijing date (SPEC "Trust").
			name:  "year boundary: dates are Beijing dates",
			rules: flat(100),
			deal: with(deal(1_000_000, 1_000_000), func(d *Deal) {
				d.SignedAt = time.Date(2027, 1, 1, 2, 0, 0, 0, time.FixedZone("CST", 8*3600))
			}),
			want: want{reasons: []string{"outside_period"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// ... and it falls under the 2027 policy, whose annual cap
			// counts what the buyer already received in 2027.
			name: "year boundary: 2027-01-01 02:00 Beijing is under the 2027 policy and its annual cap",
			rules: with(flat(100), func(r *Rules) {
				r.Year, r.EffectiveFrom, r.EffectiveTo = 2027, date(2027, 1, 1), date(2027, 12, 31)
				r.AnnualCapPerOrgFen = 12_000
			}),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.SignedAt = time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC) }),
			usage: Usage{OrgUsedFen: 5_000, BudgetUsedFen: 5_000},
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps:    []Cap{{Kind: CapAnnualOrg, LimitFen: 7_000, Applied: true}, {Kind: CapBudget, LimitFen: 999_995_000}},
				orgLeft: fen(7_000), budgetLeft: 999_995_000, amountFen: 7_000},
		},
		{
			name:  "pending deal: not confirmed by the other party",
			rules: flat(100),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.Status = "pending_confirmation" }),
			want: want{reasons: []string{"not_confirmed"}, baseKind: "tech_amount", baseFen: 1_000_000,
				rawFen: 10_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
		{
			// The first day of the policy counts.
			name:  "signed on effective_from",
			rules: flat(100),
			deal:  with(deal(1_000_000, 1_000_000), func(d *Deal) { d.SignedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }),
			want: want{eligible: true, baseKind: "tech_amount", baseFen: 1_000_000, rawFen: 10_000,
				caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000, amountFen: 10_000},
		},

		// --- several reasons at once ---
		{
			// A cancelled, unregistered consulting deal of a Nanning buyer,
			// signed in 2025, tech amount 9999.99元 under a 1万元 minimum,
			// against a budget that is used up: every reason is reported,
			// and the would-be amount (9999.99元 × 1% = 99.9999元 → 10000
			// fen) still shows.
			name: "every reason at once",
			rules: with(flat(100), func(r *Rules) {
				r.RequireRegistered = true
				r.RequireLocalBuyer = true
				r.EligibleContractTypes = []string{"development"}
				r.MinTechAmountFen = 1_000_000
				r.Base = BaseLesser
				r.AnnualCapPerOrgFen = 3_000_000
				r.BudgetFen = 100_000_000
			}),
			deal: Deal{
				Status:          "cancelled",
				ContractType:    "consulting",
				TechAmountFen:   999_999,
				SignedAt:        time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC),
				BuyerRegionCode: "450102",
			},
			usage: Usage{OrgUsedFen: 3_000_000, BudgetUsedFen: 100_000_000},
			want: want{
				reasons: []string{"cancelled", "not_registered", "not_paid", "contract_type",
					"buyer_not_local", "below_minimum", "outside_period",
					"annual_cap_exhausted", "budget_exhausted"},
				baseKind: "lesser", baseFen: 0, rawFen: 0,
				caps: []Cap{
					{Kind: CapAnnualOrg, LimitFen: 0},
					{Kind: CapBudget, LimitFen: 0},
				},
				orgLeft: fen(0), budgetLeft: 0},
		},
		{
			// Ineligible for two reasons yet the breakdown is complete:
			// 三明 tiers on 150万元 = 100000 + 450000 + 50000 = 600000 fen.
			name: "ineligible keeps the breakdown",
			rules: with(sanming(), func(r *Rules) {
				r.RequireLocalBuyer = true
				r.EligibleContractTypes = []string{"transfer", "license"}
			}),
			deal: with(deal(150_000_000, 150_000_000), func(d *Deal) {
				d.BuyerRegionCode = "440305"
			}),
			want: want{reasons: []string{"contract_type", "buyer_not_local"},
				baseKind: "tech_amount", baseFen: 150_000_000,
				parts:   []int64{10_000_000, 90_000_000, 50_000_000},
				amounts: []string{"100000", "450000", "50000"},
				rawFen:  600_000, caps: []Cap{budget1000wan}, budgetLeft: 1_000_000_000},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.rules, tt.deal, tt.usage)
			w := tt.want

			if got.Eligible != w.eligible {
				t.Errorf("eligible = %v, want %v (reasons %v)", got.Eligible, w.eligible, got.Reasons)
			}
			codes := []string{}
			for _, r := range got.Reasons {
				codes = append(codes, r.Code)
				if r.Message == "" {
					t.Errorf("reason %s has no message", r.Code)
				}
			}
			if w.reasons == nil {
				w.reasons = []string{}
			}
			if !reflect.DeepEqual(codes, w.reasons) {
				t.Errorf("reasons = %v, want %v", codes, w.reasons)
			}
			if got.BaseKind != w.baseKind || got.BaseFen != w.baseFen {
				t.Errorf("base = %s %d, want %s %d", got.BaseKind, got.BaseFen, w.baseKind, w.baseFen)
			}
			if w.parts != nil {
				var parts []int64
				for _, p := range got.Tiers {
					parts = append(parts, p.PartFen)
				}
				if !reflect.DeepEqual(parts, w.parts) {
					t.Errorf("tier parts = %v, want %v", parts, w.parts)
				}
			}
			if w.amounts != nil {
				var amounts []string
				for _, p := range got.Tiers {
					amounts = append(amounts, p.Amount)
				}
				if !reflect.DeepEqual(amounts, w.amounts) {
					t.Errorf("tier amounts = %q, want %q", amounts, w.amounts)
				}
			}
			if got.RawFen != w.rawFen {
				t.Errorf("raw_fen = %d, want %d", got.RawFen, w.rawFen)
			}
			if !reflect.DeepEqual(got.Caps, w.caps) {
				t.Errorf("caps = %+v, want %+v", got.Caps, w.caps)
			}
			if !reflect.DeepEqual(got.RemainingOrgQuotaFen, w.orgLeft) {
				t.Errorf("remaining_org_quota_fen = %v, want %v", deref(got.RemainingOrgQuotaFen), deref(w.orgLeft))
			}
			if got.RemainingBudgetFen != w.budgetLeft {
				t.Errorf("remaining_budget_fen = %d, want %d", got.RemainingBudgetFen, w.budgetLeft)
			}
			if got.AmountFen != w.amountFen {
				t.Errorf("amount_fen = %d, want %d", got.AmountFen, w.amountFen)
			}
		})
	}
}

// deref shows a nullable amount as a number or "null".
func deref(p *int64) any {
	if p == nil {
		return "null"
	}
	return *p
}

// TestComputeTierBounds checks the from/to of each tier part against the
// policy: from is the previous bound, to the tier's own, null on top.
func TestComputeTierBounds(t *testing.T) {
	q := Compute(sanming(), deal(123_456_789, 123_456_789), Usage{})
	want := []TierPart{
		{FromFen: 0, ToFen: fen(10_000_000), RateBP: 100, PartFen: 10_000_000, Amount: "100000"},
		{FromFen: 10_000_000, ToFen: fen(100_000_000), RateBP: 50, PartFen: 90_000_000, Amount: "450000"},
		{FromFen: 100_000_000, ToFen: nil, RateBP: 10, PartFen: 23_456_789, Amount: "23456.789"},
	}
	if !reflect.DeepEqual(q.Tiers, want) {
		t.Errorf("tiers = %+v, want %+v", q.Tiers, want)
	}

	// The quote must not alias the policy's bounds.
	r := sanming()
	q = Compute(r, deal(1, 1), Usage{})
	*q.Tiers[0].ToFen = 1
	if *r.Tiers[0].UpToFen != 10_000_000 {
		t.Error("changing a quote's to_fen changed the rules")
	}
}

// TestQuoteJSON pins the wire shape of the SPEC: every key present,
// reasons [] rather than null, null for an open tier and an absent annual
// cap, the tier amount as a string.
func TestQuoteJSON(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
		deal  Deal
		want  string
	}{
		{
			name:  "eligible, flat, no annual cap",
			rules: flat(100),
			deal:  deal(12_345, 12_345),
			want: `{"eligible":true,"reasons":[],"base_kind":"tech_amount","base_fen":12345,` +
				`"tiers":[{"from_fen":0,"to_fen":null,"rate_bp":100,"part_fen":12345,"amount":"123.45"}],` +
				`"raw_fen":123,"caps":[{"kind":"budget","limit_fen":1000000000,"applied":false}],` +
				`"remaining_org_quota_fen":null,"remaining_budget_fen":1000000000,"amount_fen":123}`,
		},
		{
			name:  "ineligible, annual cap",
			rules: with(flat(100), func(r *Rules) { r.AnnualCapPerOrgFen = 500 }),
			deal:  with(deal(12_345, 12_345), func(d *Deal) { d.Status = "cancelled" }),
			want: `{"eligible":false,"reasons":[{"code":"cancelled","message":"交易已取消 (the transaction is cancelled)"}],` +
				`"base_kind":"tech_amount","base_fen":12345,` +
				`"tiers":[{"from_fen":0,"to_fen":null,"rate_bp":100,"part_fen":12345,"amount":"123.45"}],` +
				`"raw_fen":123,"caps":[{"kind":"annual_org","limit_fen":500,"applied":false},` +
				`{"kind":"budget","limit_fen":1000000000,"applied":false}],` +
				`"remaining_org_quota_fen":500,"remaining_budget_fen":1000000000,"amount_fen":0}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(Compute(tt.rules, tt.deal, Usage{}))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

// TestComputeInvalidRules checks that Compute stays sane on rules that fail
// Validate, as the doc comment promises.
func TestComputeInvalidRules(t *testing.T) {
	tests := []struct {
		name      string
		rules     Rules
		wantRaw   int64
		wantKind  string
		wantCaps  int
		wantAmt   int64
		wantElig  bool
		wantCodes int
	}{
		{
			// 200% is clamped to 100%: 1万元 → 1000000 fen.
			name:     "rate above 100% is clamped",
			rules:    flat(20_000),
			wantRaw:  1_000_000,
			wantKind: "tech_amount", wantCaps: 1, wantAmt: 1_000_000, wantElig: true,
		},
		{
			name:     "negative rate pays nothing",
			rules:    flat(-100),
			wantKind: "tech_amount", wantCaps: 1, wantElig: true,
		},
		{
			// Unknown base falls back to lesser: min(1万元, 4000元) × 1%.
			name:     "unknown base is lesser",
			rules:    with(flat(100), func(r *Rules) { r.Base = "contract" }),
			wantRaw:  4_000,
			wantKind: "lesser", wantCaps: 1, wantAmt: 4_000, wantElig: true,
		},
		{
			// Negative caps count as absent; only the budget is listed.
			name: "negative caps are absent",
			rules: with(flat(100), func(r *Rules) {
				r.PerTransactionCapFen = -1
				r.AnnualCapPerOrgFen = -1
			}),
			wantRaw: 10_000, wantKind: "tech_amount", wantCaps: 1, wantAmt: 10_000, wantElig: true,
		},
		{
			name:     "zero budget is exhausted",
			rules:    with(flat(100), func(r *Rules) { r.BudgetFen = 0 }),
			wantRaw:  10_000,
			wantKind: "tech_amount", wantCaps: 1, wantCodes: 1,
		},
		{
			// Bounds going backwards never count a band twice: 1% on the
			// first 5000元 = 5000 fen, the backwards tier gets nothing, the
			// top tier 0% on the rest.
			name: "backwards tiers never double count",
			rules: with(flat(0), func(r *Rules) {
				r.Tiers = []Tier{{UpToFen: fen(500_000), RateBP: 100}, {UpToFen: fen(100), RateBP: 100}, {RateBP: 0}}
			}),
			wantRaw: 5_000, wantKind: "tech_amount", wantCaps: 1, wantAmt: 5_000, wantElig: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := Compute(tt.rules, with(deal(1_000_000, 400_000), func(d *Deal) { d.Status = "registered" }), Usage{})
			if q.RawFen != tt.wantRaw || q.BaseKind != tt.wantKind || len(q.Caps) != tt.wantCaps ||
				q.AmountFen != tt.wantAmt || q.Eligible != tt.wantElig || len(q.Reasons) != tt.wantCodes {
				t.Errorf("got raw %d kind %s caps %d amount %d eligible %v reasons %v",
					q.RawFen, q.BaseKind, len(q.Caps), q.AmountFen, q.Eligible, q.Reasons)
			}
		})
	}
}
