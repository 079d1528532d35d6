package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// openLogged opens the system on cfg and returns what it logged.
func openLogged(t *testing.T, cfg config.Config) string {
	t.Helper()
	var logs bytes.Buffer
	sys, err := app.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	sys.Close()
	return logs.String()
}

func testConfig(t *testing.T) config.Config {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.SearchDir, cfg.PasswordCost = t.TempDir(), t.TempDir(), 4
	return cfg
}

const jwtWarning = "TECHMARKET_JWT_SECRET is not set on a shared database"

// On a shared database without TECHMARKET_JWT_SECRET each instance signs
// with a key of its own, and its tokens fail on the others: start-up says
// so (and still starts, as single-instance demos rely on). The embedded
// default and a configured secret are quiet.
func TestJWTSecretWarning(t *testing.T) {
	if logs := openLogged(t, testConfig(t)); strings.Contains(logs, jwtWarning) {
		t.Fatalf("embedded default warns about the JWT secret:\n%s", logs)
	}
	cfg := testConfig(t)
	cfg.DBDSN = storetest.DSN(t, store.DialectMySQL) // skips without a MariaDB
	logs := openLogged(t, cfg)
	if !strings.Contains(logs, jwtWarning) || !strings.Contains(logs, `"level":"WARN"`) {
		t.Fatalf("no warning about the missing JWT secret on a shared database:\n%s", logs)
	}
	cfg.JWTSecret = strings.Repeat("s", 32)
	if logs := openLogged(t, cfg); strings.Contains(logs, jwtWarning) {
		t.Fatalf("warns although TECHMARKET_JWT_SECRET is set:\n%s", logs)
	}
}
