package subsidy

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
		want  []string // the fields at fault, in order; nil means valid
	}{
		{name: "flat rate", rules: flat(100)},
		{name: "flat rate 100%", rules: flat(10_000)},
		{name: "three tiers", rules: sanming()},
		{
			name: "every option set",
			rules: with(sanming(), func(r *Rules) {
				r.PerTransactionCapFen = 1_000_000
				r.AnnualCapPerOrgFen = 3_000_000
				r.MinTechAmountFen = 1_000_000
				r.EligibleContractTypes = []string{"development", "transfer", "license", "consulting", "service"}
				r.RequireRegistered = true
				r.RequireLocalBuyer = true
				r.Base = BaseLesser
			}),
		},
		{
			name:  "one open tier",
			rules: with(flat(0), func(r *Rules) { r.Tiers = []Tier{{RateBP: 100}} }),
		},
		{
			name:  "a zero-rate tier among paying ones",
			rules: with(sanming(), func(r *Rules) { r.Tiers[2].RateBP = 0 }),
		},
		{
			// The 2026 programme opening in December 2025: allowed, Year only
			// names the annual-cap bucket.
			name:  "effective_from in another year than year",
			rules: with(flat(100), func(r *Rules) { r.EffectiveFrom = date(2025, 12, 1) }),
		},
		{
			name:  "a one-day policy",
			rules: with(flat(100), func(r *Rules) { r.EffectiveTo = r.EffectiveFrom }),
		},
		{
			// A DATE column read back in Beijing time is still 2026-12-31.
			name: "dates in another location",
			rules: with(flat(100), func(r *Rules) {
				cst := time.FixedZone("CST", 8*3600)
				r.EffectiveFrom = time.Date(2026, 12, 31, 0, 0, 0, 0, cst)
				r.EffectiveTo = time.Date(2026, 12, 31, 0, 0, 0, 0, cst)
			}),
		},

		{name: "year too early", rules: with(flat(100), func(r *Rules) { r.Year = 1999 }), want: []string{"year"}},
		{name: "year too late", rules: with(flat(100), func(r *Rules) { r.Year = 2101 }), want: []string{"year"}},
		{name: "no rate and no tiers", rules: flat(0), want: []string{"rate_bp"}},
		{name: "negative rate", rules: flat(-1), want: []string{"rate_bp"}},
		{name: "rate above 100%", rules: flat(10_001), want: []string{"rate_bp"}},
		{
			name:  "both rate and tiers",
			rules: with(sanming(), func(r *Rules) { r.RateBP = 100 }),
			want:  []string{"rate_bp"},
		},
		{
			name:  "tier bounds not increasing",
			rules: with(sanming(), func(r *Rules) { r.Tiers[1].UpToFen = fen(10_000_000) }),
			want:  []string{"tiers[1].up_to_fen"},
		},
		{
			name:  "first tier bound zero",
			rules: with(sanming(), func(r *Rules) { r.Tiers[0].UpToFen = fen(0) }),
			want:  []string{"tiers[0].up_to_fen"},
		},
		{
			name:  "last tier closed",
			rules: with(sanming(), func(r *Rules) { r.Tiers[2].UpToFen = fen(1_000_000_000) }),
			want:  []string{"tiers[2].up_to_fen"},
		},
		{
			name:  "open tier before the last",
			rules: with(sanming(), func(r *Rules) { r.Tiers[1].UpToFen = nil }),
			want:  []string{"tiers[1].up_to_fen"},
		},
		{
			name: "tier rates out of range",
			rules: with(sanming(), func(r *Rules) {
				r.Tiers[0].RateBP = 10_001
				r.Tiers[2].RateBP = -1
			}),
			want: []string{"tiers[0].rate_bp", "tiers[2].rate_bp"},
		},
		{
			name: "tiers that pay nothing",
			rules: with(flat(0), func(r *Rules) {
				r.Tiers = []Tier{{UpToFen: fen(100), RateBP: 0}, {RateBP: 0}}
			}),
			want: []string{"tiers"},
		},
		{
			name: "negative caps and minimum",
			rules: with(flat(100), func(r *Rules) {
				r.PerTransactionCapFen = -1
				r.AnnualCapPerOrgFen = -1
				r.MinTechAmountFen = -1
			}),
			want: []string{"per_transaction_cap_fen", "annual_cap_per_org_fen", "min_tech_amount_fen"},
		},
		{name: "zero budget", rules: with(flat(100), func(r *Rules) { r.BudgetFen = 0 }), want: []string{"budget_fen"}},
		{name: "negative budget", rules: with(flat(100), func(r *Rules) { r.BudgetFen = -1 }), want: []string{"budget_fen"}},
		{
			name:  "unknown and duplicate contract types",
			rules: with(flat(100), func(r *Rules) { r.EligibleContractTypes = []string{"equity", "license", "license"} }),
			want:  []string{"eligible_contract_types[0]", "eligible_contract_types[2]"},
		},
		{name: "empty base", rules: with(flat(100), func(r *Rules) { r.Base = "" }), want: []string{"base"}},
		{name: "unknown base", rules: with(flat(100), func(r *Rules) { r.Base = "contract_amount" }), want: []string{"base"}},
		{
			name: "missing dates",
			rules: with(flat(100), func(r *Rules) {
				r.EffectiveFrom = time.Time{}
				r.EffectiveTo = time.Time{}
			}),
			want: []string{"effective_from", "effective_to"},
		},
		{
			name:  "dates reversed",
			rules: with(flat(100), func(r *Rules) { r.EffectiveTo = date(2025, 12, 31) }),
			want:  []string{"effective_to"},
		},
		{
			// Every problem at once, so a client fixes them all in one go.
			name: "everything wrong",
			rules: Rules{
				Year:                  1,
				RateBP:                100,
				Tiers:                 []Tier{{RateBP: 20_000}, {UpToFen: fen(5), RateBP: 0}},
				PerTransactionCapFen:  -5,
				BudgetFen:             0,
				EligibleContractTypes: []string{"x"},
				Base:                  "?",
			},
			want: []string{"year", "rate_bp", "tiers[0].up_to_fen", "tiers[0].rate_bp",
				"tiers[1].up_to_fen", "per_transaction_cap_fen", "budget_fen",
				"eligible_contract_types[0]", "base", "effective_from", "effective_to"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var e *market.Error
			if !errors.As(err, &e) || e.Code != market.EINVALID {
				t.Fatalf("Validate() = %v, want an EINVALID market error", err)
			}
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
			}
			if !reflect.DeepEqual(fields, tt.want) {
				t.Errorf("fields = %q, want %q", fields, tt.want)
			}
		})
	}
}

// TestCovers: a policy holds a deal by the Beijing date of its signed_at
// (SPEC "Trust"), so the New Year falls at 16:00 UTC on 31 December.
func TestCovers(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	p2026 := flat(100) // 2026-01-01 .. 2026-12-31
	p2027 := with(flat(100), func(r *Rules) {
		r.Year, r.EffectiveFrom, r.EffectiveTo = 2027, date(2027, 1, 1), date(2027, 12, 31)
	})
	tests := []struct {
		name         string
		signed       time.Time
		in2026, in27 bool
	}{
		{"last second of 2025 in Beijing", time.Date(2025, 12, 31, 15, 59, 59, 0, time.UTC), false, false},
		{"first instant of 2026 in Beijing", time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC), true, false},
		{"2026-01-01 06:00 Beijing", time.Date(2026, 1, 1, 6, 0, 0, 0, cst), true, false},
		{"last instant of 2026 in Beijing", time.Date(2026, 12, 31, 15, 59, 59, 999_999_999, time.UTC), true, false},
		{"first instant of 2027 in Beijing", time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), false, true},
		{"2027-01-01 02:00 Beijing (2026-12-31 18:00 UTC)", time.Date(2027, 1, 1, 2, 0, 0, 0, cst), false, true},
		{"2026-12-31 23:59:59 UTC is 2027 in Beijing", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), false, true},
		{"2027-01-01 00:00 UTC", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), false, true},
		{"last instant of 2027 in Beijing", time.Date(2027, 12, 31, 23, 59, 59, 0, cst), false, true},
		{"first instant of 2028 in Beijing", time.Date(2027, 12, 31, 16, 0, 0, 0, time.UTC), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p2026.Covers(tt.signed); got != tt.in2026 {
				t.Errorf("2026 policy: Covers(%s) = %v, want %v", tt.signed.UTC().Format(time.RFC3339), got, tt.in2026)
			}
			if got := p2027.Covers(tt.signed); got != tt.in27 {
				t.Errorf("2027 policy: Covers(%s) = %v, want %v", tt.signed.UTC().Format(time.RFC3339), got, tt.in27)
			}
			// The same instant in any zone is the same deal.
			if p2026.Covers(tt.signed.UTC()) != p2026.Covers(tt.signed.In(cst)) {
				t.Errorf("Covers depends on the zone of %s", tt.signed)
			}
		})
	}
}
