package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// `techmarket keys rotate` adds a key to the shared database, and refuses
// where database keys are not in use: a configured secret overrides them,
// and the embedded default keeps its key file.
func TestKeysRotate(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	embedded := map[string]string{"TECHMARKET_DATA_DIR": t.TempDir()}
	err := run(ctx, []string{"keys", "rotate"}, func(k string) string { return embedded[k] }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "TECHMARKET_DB_DSN") {
		t.Fatalf("keys rotate on the embedded default: %v", err)
	}
	if err := run(ctx, []string{"keys"}, func(k string) string { return embedded[k] }, &out, &out); err == nil {
		t.Fatal("keys without rotate")
	}
	if os.Getenv(storetest.MySQLEnv) == "" {
		t.Skipf("%s not set: rotation on MariaDB skipped", storetest.MySQLEnv)
	}
	dsn := storetest.DSN(t, store.DialectMySQL)
	shared := map[string]string{"TECHMARKET_DATA_DIR": t.TempDir(), "TECHMARKET_DB_DSN": dsn, "TECHMARKET_BCRYPT_COST": "4"}
	getenv := func(k string) string { return shared[k] }
	for i := range 2 {
		out.Reset()
		if err := run(ctx, []string{"keys", "rotate"}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), "added signing key") {
			t.Fatalf("rotation %d: %v: %s", i, err, out.String())
		}
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM signing_keys").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d keys after two rotations (%v)", n, err)
	}
	shared["TECHMARKET_JWT_SECRET"] = strings.Repeat("k", 32)
	if err := run(ctx, []string{"keys", "rotate"}, getenv, &out, &out); err == nil || !strings.Contains(err.Error(), "TECHMARKET_JWT_SECRET") {
		t.Fatalf("keys rotate with a configured secret: %v", err)
	}
}
