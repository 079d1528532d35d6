package subsidy

import (
	"encoding/json"
	"math/big"
	"testing"
	"time"
)

// FuzzCompute throws arbitrary policies, deals and usage at Compute, valid
// or not, and checks the invariants that must hold for any input: the
// amount is never negative, never above a cap the quote lists, never above
// base × the highest rate (rounded up), and 0 whenever the deal is
// ineligible.
//
// testdata/fuzz/FuzzCompute holds the edges the seeds below miss, named for
// what Compute makes of them: half a fen rounding up and 0.49 rounding down,
// 三明 tiers with the base on a boundary and the annual cap trimming, the
// per-transaction cap on a "lesser" base, an exhausted budget and annual
// quota, a deal signed the day after the period, nothing paid under
// "lesser", and 100% tiers at the int64 limit.
func FuzzCompute(f *testing.F) {
	// Seeds: the shapes of the table tests, plus extremes.
	f.Add(int64(100), false, int64(0), int64(0), int64(0), int64(0), int64(0), int64(1_000_000_000), int64(0),
		uint8(1), int64(1_000_000), int64(1_000_000), int64(0), int64(0), int32(150))
	f.Add(int64(0), true, int64(10_000_000), int64(100_000_000), int64(100), int64(50), int64(10), int64(1_000_000_000), int64(0),
		uint8(1), int64(123_456_789), int64(123_456_789), int64(0), int64(0), int32(150))
	f.Add(int64(100), false, int64(0), int64(0), int64(0), int64(1_000_000), int64(3_000_000), int64(100_000_000), int64(1_000_000),
		uint8(2), int64(200_000_000), int64(150_000_000), int64(2_500_000), int64(99_000_000), int32(364))
	f.Add(int64(100), false, int64(0), int64(0), int64(0), int64(0), int64(3_000_000), int64(100_000_000), int64(0),
		uint8(0), int64(12_350), int64(12_349), int64(3_000_000), int64(100_000_000), int32(365))
	f.Add(int64(10_000), true, int64(-5), int64(-10), int64(20_000), int64(-1), int64(-7), int64(-1), int64(-1),
		uint8(9), int64(-1), int64(-1), int64(-1), int64(-1), int32(-1))
	f.Add(int64(10_000), false, int64(0), int64(0), int64(0), int64(0), int64(0), int64(9_223_372_036_854_775_807), int64(0),
		uint8(1), int64(9_223_372_036_854_775_807), int64(9_223_372_036_854_775_807), int64(0), int64(0), int32(0))

	policyStart := date(2026, 1, 1)
	f.Fuzz(func(t *testing.T, rateBP int64, tiered bool, up1, up2, tierRate1, tierRate2, tierRate3 int64,
		budget int64, perTxCap int64, baseSel uint8, tech, paid, orgUsed, budgetUsed int64, signedDay int32) {
		annualCap := tierRate3 * 1000 // reuse an input so the annual cap varies too
		r := Rules{
			Year:                 2026,
			RateBP:               rateBP,
			PerTransactionCapFen: perTxCap,
			AnnualCapPerOrgFen:   annualCap,
			BudgetFen:            budget,
			Base:                 []string{BasePaid, BaseTechAmount, BaseLesser, "bogus"}[baseSel%4],
			EffectiveFrom:        policyStart,
			EffectiveTo:          date(2026, 12, 31),
		}
		if tiered {
			r.Tiers = []Tier{{UpToFen: &up1, RateBP: tierRate1}, {UpToFen: &up2, RateBP: tierRate2}, {RateBP: tierRate3}}
		}
		d := Deal{
			Status:          []string{"signed", "registered", "paid", "completed", "cancelled"}[int(baseSel)%5],
			Registered:      baseSel%3 == 0,
			ContractType:    "development",
			TechAmountFen:   tech,
			PaidFen:         paid,
			SignedAt:        policyStart.Add(time.Duration(signedDay) * 24 * time.Hour),
			BuyerRegionCode: "450203",
		}

		q := Compute(r, d, Usage{OrgUsedFen: orgUsed, BudgetUsedFen: budgetUsed})

		if q.AmountFen < 0 || q.RawFen < 0 || q.BaseFen < 0 || q.RemainingBudgetFen < 0 {
			t.Fatalf("negative money: %+v", q)
		}
		if q.RemainingOrgQuotaFen != nil && *q.RemainingOrgQuotaFen < 0 {
			t.Fatalf("negative org quota: %d", *q.RemainingOrgQuotaFen)
		}
		if !q.Eligible && q.AmountFen != 0 {
			t.Fatalf("ineligible with amount %d", q.AmountFen)
		}
		if q.Eligible != (len(q.Reasons) == 0) {
			t.Fatalf("eligible %v with reasons %v", q.Eligible, q.Reasons)
		}
		if q.Reasons == nil || q.Tiers == nil {
			t.Fatal("nil reasons or tiers would encode as null")
		}
		if q.AmountFen > q.RawFen {
			t.Fatalf("amount %d above raw %d", q.AmountFen, q.RawFen)
		}
		for _, c := range q.Caps {
			if q.AmountFen > c.LimitFen {
				t.Fatalf("amount %d above %s cap %d", q.AmountFen, c.Kind, c.LimitFen)
			}
		}
		if perTxCap > 0 && q.AmountFen > perTxCap {
			t.Fatalf("amount %d above per-transaction cap %d", q.AmountFen, perTxCap)
		}
		if annualCap > 0 && q.AmountFen > annualCap {
			t.Fatalf("amount %d above annual cap %d", q.AmountFen, annualCap)
		}
		if q.AmountFen > max(budget, 0) {
			t.Fatalf("amount %d above budget %d", q.AmountFen, budget)
		}

		// raw ≤ ⌈base × max rate / 10000⌉, in exact arithmetic.
		maxRate := int64(0)
		for _, p := range q.Tiers {
			maxRate = max(maxRate, p.RateBP)
		}
		if maxRate > MaxRateBP {
			t.Fatalf("rate %d above 100%%", maxRate)
		}
		bound := new(big.Int).Mul(big.NewInt(q.BaseFen), big.NewInt(maxRate))
		bound.Add(bound, big.NewInt(MaxRateBP-1))
		bound.Quo(bound, big.NewInt(MaxRateBP))
		if big.NewInt(q.RawFen).Cmp(bound) > 0 {
			t.Fatalf("raw %d above base %d × %d bp rounded up (%s)", q.RawFen, q.BaseFen, maxRate, bound)
		}

		// The parts never cover more than the base, and the raw amount is
		// the exact sum rounded half-up, recomputed here with big numbers.
		var parts int64
		exact := new(big.Int) // in fen·bp
		for _, p := range q.Tiers {
			if p.PartFen < 0 {
				t.Fatalf("negative part %d", p.PartFen)
			}
			parts += p.PartFen
			exact.Add(exact, new(big.Int).Mul(big.NewInt(p.PartFen), big.NewInt(p.RateBP)))
		}
		if parts > q.BaseFen {
			t.Fatalf("parts %d exceed base %d", parts, q.BaseFen)
		}
		rounded := new(big.Int).Add(exact, big.NewInt(MaxRateBP/2))
		rounded.Quo(rounded, big.NewInt(MaxRateBP))
		if rounded.Cmp(big.NewInt(q.RawFen)) != 0 {
			t.Fatalf("raw %d, exact sum %s fen·bp rounds to %s", q.RawFen, exact, rounded)
		}

		if _, err := json.Marshal(q); err != nil {
			t.Fatal(err)
		}
	})
}
