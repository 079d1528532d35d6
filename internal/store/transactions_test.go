package store_test

import (
	"sync"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// The store-level races: what must hold is a database property (row
// locks, conditional updates, unique keys), so it is tested here on
// SQLite and MariaDB; status codes and problem+json stay with httpapi.

// race runs n calls of fn at once and counts the results by error code
// ("ok" for success).
func race(n int, fn func(i int) error) map[string]int {
	var mu sync.Mutex
	out := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c := "ok"
			if err := fn(i); err != nil {
				c = market.ErrorCode(err)
			}
			mu.Lock()
			out[c]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// TestDuplicateContractRace logs one contract number 20 times at once, in
// forms that fold to one key: exactly one deal holds it.
func TestDuplicateContractRace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		p := storetest.MustCreateParties(t, db)
		no := storetest.UniqueNo("HT")
		forms := []string{no, "  " + no + " ", toFullWidth(no)}
		got := race(20, func(i int) error {
			n := storetest.NewTransaction(p, 1_000_000, 1_000_000)
			n.ContractNo = forms[i%len(forms)]
			_, err := store.NewTransactionService(db).CreateTransaction(p.Operator.Ctx, n)
			return err
		})
		if got["ok"] != 1 || got[market.ECONFLICT] != 19 {
			t.Fatalf("20 deals with one contract number: %v, want 1 ok and 19 conflicts", got)
		}
		if n := storetest.Count(t, db, "transactions", ""); n != 1 {
			t.Fatalf("%d deals stored, want 1", n)
		}
		// The conflict names the field, and the deal to whoever may see it.
		_, err := store.NewTransactionService(db).CreateTransaction(p.Operator.Ctx, storetest.NewTransaction(p, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		n := storetest.NewTransaction(p, 1_000_000, 1_000_000)
		n.ContractNo = no
		_, err = store.NewTransactionService(db).CreateTransaction(p.Operator.Ctx, n)
		if fields := market.FieldNames(err); market.ErrorCode(err) != market.ECONFLICT || len(fields) != 1 || fields[0] != "contract_no" {
			t.Fatalf("again: %v (fields %v)", err, fields)
		}
	})
}

// toFullWidth spells ASCII letters and digits in their full-width forms,
// which market.FoldNo folds back.
func toFullWidth(s string) string {
	r := []rune(s)
	for i, c := range r {
		if c > ' ' && c < 0x7f {
			r[i] = c - 0x21 + 0xFF01
		}
	}
	return string(r)
}

// TestPaymentRace books 30 payments of a tenth of the contract at once:
// exactly ten fit, and the booked sum never passes the contract amount.
func TestPaymentRace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		p := storetest.MustCreateParties(t, db)
		const contract, each = 1_000_000, 100_000
		d := storetest.MustCreateTransaction(t, db, p, storetest.NewTransaction(p, contract, contract), false)
		got := race(30, func(i int) error {
			_, err := store.NewTransactionService(db).AddPayment(p.Operator.Ctx, d.ID, market.NewPayment{AmountFen: each,
				PaidAt: "2025-07-01T10:00:00+08:00", VoucherNo: storetest.UniqueNo("PZ")})
			return err
		})
		if got["ok"] != 10 || got[market.EINVALID] != 20 {
			t.Fatalf("30 payments of %d on %d: %v, want 10 ok and 20 invalid", each, contract, got)
		}
		var booked, paid, sum int64
		if err := db.SQL().QueryRow("SELECT booked_fen, paid_fen FROM transactions WHERE id = ?", d.ID).Scan(&booked, &paid); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().QueryRow("SELECT COALESCE(SUM(amount_fen), 0) FROM payments WHERE transaction_id = ?", d.ID).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if booked != contract || paid != contract || sum != contract {
			t.Fatalf("booked %d, paid %d, payments sum %d; want %d each", booked, paid, sum, contract)
		}
	})
}

// TestSubsidyBudgetRace files 200 applications of 10 000 fen against a
// budget that fits exactly 50 and approves them all at once: 50 are
// approved, the budget is spent to the fen and never past it, and the
// rest stay submitted for the bureau to reject.
func TestSubsidyBudgetRace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		p := storetest.MustCreateParties(t, db)
		const each, fit, total = 10_000, 50, 200
		// 1% of a 1 000 000 fen deal is 10 000 fen.
		pol := storetest.MustCreatePolicy(t, db, p, 100, fit*each)
		ids := make([]string, total)
		for i := range ids {
			d := storetest.MustCreateTransaction(t, db, p, storetest.NewTransaction(p, 1_000_000, 1_000_000), true)
			app := storetest.MustApply(t, db, p, d.ID, pol.ID)
			if app.AmountFen != each {
				t.Fatalf("application %s: %d fen, want %d", app.ID, app.AmountFen, each)
			}
			ids[i] = app.ID
		}
		got := race(total, func(i int) error {
			_, err := store.NewSubsidyService(db).ReviewSubsidyApplication(p.Bureau.Ctx, ids[i], market.Review{Decision: market.ActionApprove})
			return err
		})
		if got["ok"] != fit || got[market.ECONFLICT] != total-fit {
			t.Fatalf("%d approvals against a budget for %d: %v", total, fit, got)
		}
		var approved, sum int64
		var n int
		if err := db.SQL().QueryRow("SELECT approved_fen FROM subsidy_policies WHERE id = ?", pol.ID).Scan(&approved); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().QueryRow("SELECT COUNT(*), COALESCE(SUM(approved_amount_fen), 0) FROM subsidy_applications WHERE status = 'approved' AND policy_id = ?", pol.ID).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if n != fit || sum != fit*each || approved != fit*each {
			t.Fatalf("%d approved summing %d, policy approved_fen %d; want %d summing %d", n, sum, approved, fit, fit*each)
		}
		if left := storetest.Count(t, db, "subsidy_applications", "policy_id = ? AND status = 'submitted'", pol.ID); left != total-fit {
			t.Fatalf("%d submitted left, want %d", left, total-fit)
		}
	})
}
