package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// Migration 00009 keeps every deal as it was: payments booked before it
// are confirmed (so paid_fen and the status of a paid deal do not move),
// carry the org of the user who booked them, and booked_fen starts as
// paid_fen. Deals keep their status; none becomes pending.
func TestMigrationTrustKeepsPaymentsConfirmed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db := openMigratedTo(t, dialect, 8)
		const (
			buyer, seller, gov = "01B00000000000000000000001", "01B00000000000000000000002", "01B00000000000000000000003"
			buyerUser, admin   = "01B0000000000000000000000U", "01B0000000000000000000000A"
			paid, signed       = "01B0000000000000000000000P", "01B0000000000000000000000S"
		)
		now := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.SQL().Exec(q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for i, o := range []struct{ id, kind string }{{buyer, market.OrgEnterprise}, {seller, market.OrgUniversity}, {gov, market.OrgGovernment}} {
			exec(`INSERT INTO orgs (id, kind, name, credit_code, region_code, verified, created_at, updated_at)
				VALUES (?, ?, '某单位', ?, '450203', TRUE, ?, ?)`, o.id, o.kind, "9145020000000000"+string(rune('0'+i))+"X", now, now)
		}
		exec(`INSERT INTO users (id, org_id, account, password_hash, name, role, platform_admin, created_at, updated_at)
			VALUES (?, ?, 'buyer@example.com', 'x', '买方', 'admin', FALSE, ?, ?)`, buyerUser, buyer, now, now)
		exec(`INSERT INTO users (id, org_id, account, password_hash, name, role, platform_admin, created_at, updated_at)
			VALUES (?, NULL, 'admin@example.com', 'x', '管理员', 'admin', TRUE, ?, ?)`, admin, now, now)
		deal := func(id, status string, paidFen int64, regNo any) {
			exec(`INSERT INTO transactions (id, market, channel, contract_type, contract_no, title, buyer_org_id, seller_org_id,
				contract_amount_fen, declared_tech_amount_fen, tech_amount_fen, paid_fen, status, signed_at, registration_no,
				cancel_reason, created_by_org_id, created_at, updated_at)
				VALUES (?, 'liuzhou', 'online', 'transfer', ?, '技术转让合同', ?, ?, 1000000, 800000, 800000, ?, ?, ?, ?, '', ?, ?, ?)`,
				id, "HT-"+id, buyer, seller, paidFen, status, now.Add(-time.Hour), regNo, buyer, now, now)
		}
		deal(paid, market.TransactionPaid, 800_000, "DJ-OLD-1")
		deal(signed, market.TransactionSigned, 100_000, nil)
		pay := func(id, deal, user string, amount int64) {
			exec(`INSERT INTO payments (id, transaction_id, amount_fen, paid_at, voucher_no, created_by_user_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id, deal, amount, now, "PZ-"+id, user, now)
		}
		pay("01B000000000000000000000P1", paid, buyerUser, 500_000)
		pay("01B000000000000000000000P2", paid, admin, 300_000)
		pay("01B000000000000000000000S1", signed, buyerUser, 100_000)

		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if n := storetest.Count(t, db, "payments", "confirmed = ?", false); n != 0 {
			t.Fatalf("%d payments unconfirmed by the migration", n)
		}
		// The unique keys move to the folded columns, filled from the
		// numbers stored before (already upper-cased and collapsed).
		if n := storetest.Count(t, db, "transactions", "contract_key <> contract_no OR "+
			"(registration_no IS NULL) <> (registration_key IS NULL) OR registration_key <> registration_no"); n != 0 {
			t.Fatalf("%d deals whose keys differ from their numbers", n)
		}
		if n := storetest.Count(t, db, "payments", "voucher_key <> voucher_no"); n != 0 {
			t.Fatalf("%d payments whose key differs from the voucher", n)
		}
		bureau := market.WithActor(ctx, &market.Actor{UserID: "u", OrgID: gov, OrgKind: market.OrgGovernment, OrgVerified: true})
		for _, want := range []struct {
			id, status    string
			paid, booked  int64
			addedBy       []string
			confirmedAtOK bool
		}{
			{paid, market.TransactionPaid, 800_000, 800_000, []string{buyer, ""}, true},
			{signed, market.TransactionSigned, 100_000, 100_000, []string{buyer}, true},
		} {
			d, err := store.NewTransactionService(db).FindTransaction(bureau, want.id)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != want.status || d.PaidFen != want.paid || d.BookedFen != want.booked || len(d.Payments) != len(want.addedBy) {
				t.Fatalf("deal %s after the migration: %+v", want.id, d)
			}
			for i, p := range d.Payments {
				if !p.Confirmed || p.AddedByOrgID != want.addedBy[i] || p.ConfirmedAt == nil || !p.ConfirmedAt.Equal(now) {
					t.Errorf("payment %s after the migration: %+v", p.ID, p)
				}
			}
		}
	})
}
