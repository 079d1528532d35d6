package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// openMigratedTo opens a fresh database of dialect migrated up to
// version, for a test of the migrations after it; it is closed with t.
func openMigratedTo(t *testing.T, dialect string, version int64) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t, dialect), t.TempDir(), store.Options{PasswordCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := store.MigrateUpTo(ctx, db, version); err != nil {
		t.Fatal(err)
	}
	return db
}

// Migration 00007 lower-cases the email accounts stored before accounts
// were normalised, so they sign in as they will now be spelled. Where
// SQLite held case variants of one address, one takes the lower-case
// spelling (the one already lower-case, else the oldest) and the others
// keep theirs: the migration never fails on them.
func TestMigrationLowercasesAccounts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db := openMigratedTo(t, dialect, 5)
		rows := map[string]string{ // id → account as stored before
			"01A00000000000000000000001": "Solo@Example.COM",
			"01A00000000000000000000002": "13877201234",
			"01A00000000000000000000003": "already@example.com",
		}
		if dialect == store.DialectSQLite {
			rows["01A00000000000000000000004"] = "Twin@Example.com" // oldest of two variants
			rows["01A00000000000000000000005"] = "TWIN@example.com"
			rows["01A00000000000000000000006"] = "KEPT@x.cn"
			rows["01A00000000000000000000007"] = "kept@x.cn" // already lower-case: it keeps it
		}
		now := time.Now().UTC()
		for id, acct := range rows {
			if _, err := db.SQL().Exec(`INSERT INTO users (id, org_id, account, password_hash, name, role, platform_admin, created_at, updated_at)
				VALUES (?, NULL, ?, 'x', '某', 'admin', TRUE, ?, ?)`, id, acct, now, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		want := map[string]string{
			"01A00000000000000000000001": "solo@example.com",
			"01A00000000000000000000002": "13877201234",
			"01A00000000000000000000003": "already@example.com",
		}
		if dialect == store.DialectSQLite {
			want["01A00000000000000000000004"] = "twin@example.com"
			want["01A00000000000000000000005"] = "TWIN@example.com"
			want["01A00000000000000000000006"] = "KEPT@x.cn"
			want["01A00000000000000000000007"] = "kept@x.cn"
		}
		for id, acct := range want {
			var got string
			if err := db.SQL().QueryRow("SELECT account FROM users WHERE id = ?", id).Scan(&got); err != nil || got != acct {
				t.Errorf("user %s: account %q (%v), want %q", id, got, err, acct)
			}
		}
		if n := storetest.Count(t, db, "users", ""); n != len(rows) {
			t.Fatalf("%d users after the migration, want %d", n, len(rows))
		}
		// The migrated account signs in under its new spelling.
		if _, err := store.NewSessionService(db).FindCredentials(ctx, market.NormalizeAccount("Solo@Example.COM")); err != nil {
			t.Fatal(err)
		}
		// The helper table is gone.
		if _, err := db.SQL().Exec("SELECT 1 FROM account_folds"); err == nil {
			t.Fatal("account_folds left behind")
		}
	})
}
