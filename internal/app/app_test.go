package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
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

const (
	jwtWarning   = "TECHMARKET_JWT_SECRET is not set"
	redisWarning = "TECHMARKET_REDIS_URL is not set on a shared database"
)

// Several instances on one database need no shared secret: with
// TECHMARKET_DB_DSN and no TECHMARKET_JWT_SECRET the signing keys live in
// the database, so a token of one instance works on another, and start-up
// no longer warns about the secret. A shared database without Redis warns:
// limits, idempotency keys and logouts would stay inside each instance.
// The embedded default keeps its key file and is quiet.
func TestSharedDatabaseKeys(t *testing.T) {
	cfg := testConfig(t)
	if logs := openLogged(t, cfg); strings.Contains(logs, jwtWarning) || strings.Contains(logs, redisWarning) {
		t.Fatalf("embedded default warns:\n%s", logs)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "jwt.key")); err != nil {
		t.Fatalf("embedded default has no key file: %v", err)
	}

	cfg.DBDSN = storetest.DSN(t, store.DialectMySQL) // skips without a MariaDB
	ctx := context.Background()
	var logs bytes.Buffer
	open := func(c config.Config) *app.System {
		t.Helper()
		c.DataDir, c.SearchDir = t.TempDir(), t.TempDir() // nothing shared but the database
		sys, err := app.Open(ctx, c, slog.New(slog.NewJSONHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sys.Close)
		return sys
	}
	a, b := open(cfg), open(cfg)
	if strings.Contains(logs.String(), jwtWarning) || !strings.Contains(logs.String(), redisWarning) {
		t.Fatalf("start-up logs on a shared database without a secret or Redis:\n%s", logs.String())
	}
	org := storetest.MustCreateOrg(t, a.DB, market.OrgEnterprise, true)
	tok, err := a.Auth.Login(ctx, org.Admin.Account, storetest.Password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Auth.Authenticate(ctx, tok.AccessToken); err != nil {
		t.Fatalf("a token of instance A on instance B: %v", err)
	}
	keys, err := a.DB.SigningKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("signing keys: %+v (%v)", keys, err)
	}

	// A configured secret still overrides: B's database-key token is not
	// valid on an instance with a secret.
	withSecret := cfg
	withSecret.JWTSecret = strings.Repeat("s", 32)
	c := open(withSecret)
	if _, err := c.Auth.Authenticate(ctx, tok.AccessToken); market.ErrorCode(err) != market.EUNAUTHORIZED {
		t.Fatalf("a database-key token on an instance with TECHMARKET_JWT_SECRET: %v", err)
	}
}
