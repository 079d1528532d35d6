// Package storetest opens fresh, migrated databases for tests: a SQLite
// file always, and a MariaDB/MySQL database when TECHMARKET_TEST_MYSQL_DSN
// names a server. Each test gets its own database, dropped afterwards, so
// runs never see each other's data.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// MySQLEnv names the variable holding the server DSN for integration tests,
// e.g. "root@tcp(127.0.0.1:3306)/test".
const MySQLEnv = "TECHMARKET_TEST_MYSQL_DSN"

// Dialects returns the databases this run tests against: sqlite always,
// mysql when configured.
func Dialects() []string {
	if os.Getenv(MySQLEnv) != "" {
		return []string{store.DialectSQLite, store.DialectMySQL}
	}
	return []string{store.DialectSQLite}
}

// ForEach runs fn as a subtest on every configured database, and says so
// once when MySQL is skipped.
func ForEach(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	if os.Getenv(MySQLEnv) == "" {
		t.Logf("%s not set: MySQL/MariaDB runs skipped", MySQLEnv)
	}
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// Open returns a fresh migrated database of the given dialect.
func Open(tb testing.TB, dialect string) *store.DB {
	tb.Helper()
	return OpenWith(tb, dialect, store.Options{})
}

// OpenWith is Open with options, e.g. a clock the test moves. Unset
// PasswordCost and MaxOpenConns get the test values (4 and 12).
func OpenWith(tb testing.TB, dialect string, opt store.Options) *store.DB {
	tb.Helper()
	if opt.PasswordCost == 0 {
		opt.PasswordCost = 4
	}
	if opt.MaxOpenConns == 0 {
		opt.MaxOpenConns = 12
	}
	dsn := DSN(tb, dialect)
	db, err := store.Open(context.Background(), dsn, tb.TempDir(), opt)
	if err != nil {
		tb.Fatalf("open %s: %v", dialect, err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), nil); err != nil {
		tb.Fatalf("migrate %s: %v", dialect, err)
	}
	return db
}

// DSN returns a DSN for a new empty database of the dialect ("" for SQLite,
// which then lives in the caller's data dir). A MySQL database is created
// now and dropped when the test ends.
func DSN(tb testing.TB, dialect string) string {
	tb.Helper()
	if dialect == store.DialectSQLite {
		return ""
	}
	server := os.Getenv(MySQLEnv)
	if server == "" {
		tb.Skipf("%s not set: MySQL/MariaDB integration test skipped", MySQLEnv)
	}
	cfg, err := gomysql.ParseDSN(server)
	if err != nil {
		tb.Fatalf("%s: %v", MySQLEnv, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "techmarket_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("mysql", server)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("mysql", server)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name)
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}
