package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/auth"
	"github.com/liuzhou-techmarket/techmarket/internal/cache"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// forEachBackend runs fn on the embedded default (SQLite, in-process
// cache) and, when configured, on MariaDB with the real Redis (the
// in-process cache when only MariaDB is configured).
func forEachBackend(t *testing.T, fn func(t *testing.T, backend string, cfg config.Config)) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			fn(t, b, apptest.Config(t, b))
		})
	}
}

// open starts one instance on cfg, with a search index of its own.
func open(t *testing.T, cfg config.Config) *app.System {
	t.Helper()
	cfg.SearchDir = t.TempDir()
	sys, err := app.Open(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(sys.Close)
	return sys
}

func mustCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if market.ErrorCode(err) != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestLoginRefreshLogout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ string, cfg config.Config) {
		sys := open(t, cfg)
		ctx := context.Background()
		org := storetest.MustCreateOrg(t, sys.DB, market.OrgEnterprise, true)
		a := sys.Auth

		tok, err := a.Login(ctx, strings.ToUpper(org.Admin.Account), storetest.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if tok.TokenType != "Bearer" || tok.ExpiresIn != int(cfg.AccessTTL/time.Second) || tok.AccessToken == "" || tok.RefreshToken == "" {
			t.Fatalf("tokens: %+v", tok)
		}
		actor, err := a.Authenticate(ctx, tok.AccessToken)
		if err != nil || actor.UserID != org.Admin.ID || actor.OrgID != org.ID || !actor.OrgVerified || actor.SessionID == "" {
			t.Fatalf("actor: %+v %v", actor, err)
		}
		// The refresh token is stored as its SHA-256 only.
		if storetest.Count(t, sys.DB, "sessions", "id = ? AND refresh_hash = ?", actor.SessionID, sha(tok.RefreshToken)) != 1 ||
			storetest.Count(t, sys.DB, "sessions", "refresh_hash = ?", tok.RefreshToken) != 0 {
			t.Fatal("refresh token not stored as its hash")
		}

		// Wrong password and unknown account: the same refusal.
		_, err = a.Login(ctx, org.Admin.Account, "wrong-pass-1", "192.0.2.1")
		mustCode(t, "wrong password", err, market.EUNAUTHORIZED)
		_, err = a.Login(ctx, "nobody@example.com", "wrong-pass-1", "192.0.2.1")
		mustCode(t, "unknown account", err, market.EUNAUTHORIZED)
		_, err = a.Login(ctx, " ", "", "192.0.2.1")
		mustCode(t, "empty", err, market.EINVALID)

		// Refresh rotates; the old refresh token dies, the new pair works.
		next, err := a.Refresh(ctx, tok.RefreshToken)
		if err != nil || next.RefreshToken == tok.RefreshToken {
			t.Fatalf("refresh: %+v %v", next, err)
		}
		_, err = a.Refresh(ctx, tok.RefreshToken)
		mustCode(t, "reuse a rotated refresh token", err, market.EUNAUTHORIZED)
		_, err = a.Refresh(ctx, "")
		mustCode(t, "empty refresh token", err, market.EINVALID)
		actor2, err := a.Authenticate(ctx, next.AccessToken)
		if err != nil || actor2.SessionID != actor.SessionID {
			t.Fatalf("refreshed token: %+v %v", actor2, err)
		}

		// Logout: the session's access tokens (old and new) and its
		// refresh token stop working at once.
		if err := a.Logout(market.WithActor(ctx, actor2), next.RefreshToken); err != nil {
			t.Fatal(err)
		}
		for _, at := range []string{tok.AccessToken, next.AccessToken} {
			_, err = a.Authenticate(ctx, at)
			mustCode(t, "access token after logout", err, market.EUNAUTHORIZED)
		}
		_, err = a.Refresh(ctx, next.RefreshToken)
		mustCode(t, "refresh after logout", err, market.EUNAUTHORIZED)
		err = a.Logout(ctx, "")
		mustCode(t, "anonymous logout", err, market.EUNAUTHORIZED)
		// Another session of the same user lives on.
		other, err := a.Login(ctx, org.Admin.Account, storetest.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, other.AccessToken); err != nil {
			t.Fatalf("another session after logout: %v", err)
		}
	})
}

// A revocation reaches every instance: through the shared Redis at once;
// with the in-process cache (one instance), across a restart, once the
// revocations of the last access-token lifetime are warmed from the
// database.
func TestRevocationAcrossInstances(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ string, cfg config.Config) {
		ctx := context.Background()
		first := open(t, cfg)
		org := storetest.MustCreateOrg(t, first.DB, market.OrgEnterprise, true)
		tok, err := first.Auth.Login(ctx, org.Admin.Account, storetest.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		actor, err := first.Auth.Authenticate(ctx, tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Auth.Logout(market.WithActor(ctx, actor), ""); err != nil {
			t.Fatal(err)
		}
		second := open(t, cfg)
		if cfg.RedisURL != "" {
			_, err := second.Auth.Authenticate(ctx, tok.AccessToken)
			mustCode(t, "revoked token on another instance", err, market.EUNAUTHORIZED)
			return
		}
		// A fresh in-process cache knows nothing until warmed.
		if _, err := second.Auth.Authenticate(ctx, tok.AccessToken); err != nil {
			t.Fatalf("before warming, the restarted cache is empty, so the token still verifies: %v", err)
		}
		if err := second.Auth.WarmRevocations(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = second.Auth.Authenticate(ctx, tok.AccessToken)
		mustCode(t, "revoked token after a restart", err, market.EUNAUTHORIZED)
	})
}

// Expired, forged, tampered and foreign tokens are refused.
func TestTokenChecks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ string, cfg config.Config) {
		sys := open(t, cfg)
		ctx := context.Background()
		org := storetest.MustCreateOrg(t, sys.DB, market.OrgEnterprise, true)
		secret := []byte(cfg.JWTSecret)
		svc := func(c auth.Config) *auth.Service {
			if c.Secret == nil {
				c.Secret = secret
			}
			c.RefreshTTL, c.LoginLimit, c.LoginIPLimit, c.LoginPeriod = time.Hour, 100, 100, time.Minute
			return auth.New(sys.Sessions, sys.Cache, sys.Cache, c, quiet)
		}

		// Issued already expired.
		expired, err := svc(auth.Config{AccessTTL: -time.Minute}).Login(ctx, org.Admin.Account, storetest.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = sys.Auth.Authenticate(ctx, expired.AccessToken)
		mustCode(t, "expired token", err, market.EUNAUTHORIZED)

		good, err := sys.Auth.Login(ctx, org.Admin.Account, storetest.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(good.AccessToken, ".")
		actor, _ := sys.Auth.Authenticate(ctx, good.AccessToken)
		sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
			s, err := jwt.NewWithClaims(method, claims).SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		valid := jwt.MapClaims{"sub": org.Admin.ID, "sid": actor.SessionID, "iss": "techmarket",
			"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
		without := func(k string) jwt.MapClaims {
			c := jwt.MapClaims{}
			for kk, v := range valid {
				if kk != k {
					c[kk] = v
				}
			}
			return c
		}
		if _, err := sys.Auth.Authenticate(ctx, sign(jwt.SigningMethodHS256, secret, valid)); err != nil {
			t.Fatalf("a token signed as the service signs: %v", err)
		}
		for name, token := range map[string]string{
			"tampered payload": parts[0] + "." + strings.TrimRight(parts[1], "=") + "x." + parts[2],
			"other secret":     sign(jwt.SigningMethodHS256, []byte(strings.Repeat("k", 32)), valid),
			"alg none":         sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid),
			"HS512":            sign(jwt.SigningMethodHS512, secret, valid),
			"no exp":           sign(jwt.SigningMethodHS256, secret, without("exp")),
			"no session":       sign(jwt.SigningMethodHS256, secret, without("sid")),
			"other issuer":     sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": org.Admin.ID, "sid": actor.SessionID, "iss": "x", "exp": time.Now().Add(time.Hour).Unix()}),
			"not a jwt":        "not-a-jwt",
		} {
			_, err := sys.Auth.Authenticate(ctx, token)
			mustCode(t, name, err, market.EUNAUTHORIZED)
		}

		// A cache that cannot be read refuses tokens (503) rather than
		// risk letting a revoked one in.
		down := auth.New(sys.Sessions, brokenCache{sys.Cache}, sys.Cache, auth.Config{Secret: secret, AccessTTL: time.Minute}, quiet)
		_, err = down.Authenticate(ctx, good.AccessToken)
		mustCode(t, "cache down", err, market.EUNAVAILABLE)
	})
}

// brokenCache fails every read, as an unreachable Redis does.
type brokenCache struct{ cache.Cache }

func (brokenCache) Get(context.Context, string) ([]byte, error) {
	return nil, errors.New("dial tcp: connection refused")
}

// The per-account login budget is shared by every spelling of the
// account, known or not, on the shared limiter.
func TestLoginLimitPerNormalisedAccount(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ string, cfg config.Config) {
		cfg.LoginLimit = 3
		sys := open(t, cfg)
		ctx := context.Background()
		org := storetest.MustCreateOrg(t, sys.DB, market.OrgEnterprise, true)
		for _, acct := range []string{"nobody@example.com", "Nobody@Example.com", " NOBODY@EXAMPLE.COM"} {
			_, err := sys.Auth.Login(ctx, acct, "wrong-pass-1", "192.0.2.1")
			mustCode(t, "unknown account", err, market.EUNAUTHORIZED)
		}
		_, err := sys.Auth.Login(ctx, "nobody@EXAMPLE.com", "wrong-pass-1", "192.0.2.1")
		var me *market.Error
		if !errors.As(err, &me) || me.Code != market.ERATELIMIT || me.RetryAfter < 1 {
			t.Fatalf("fourth attempt on one unknown account: %v", err)
		}
		// A known account has a budget of its own, whatever it is typed as.
		for _, acct := range []string{strings.ToUpper(org.Admin.Account), org.Admin.Account, " " + org.Admin.Account} {
			if _, err := sys.Auth.Login(ctx, acct, storetest.Password, "192.0.2.2"); err != nil {
				t.Fatalf("login as %q: %v", acct, err)
			}
		}
		_, err = sys.Auth.Login(ctx, org.Admin.Account, storetest.Password, "192.0.2.3")
		mustCode(t, "fourth login of the account", err, market.ERATELIMIT)
	})
}

// Key rotation through the configuration: tokens signed with a key named
// in TECHMARKET_JWT_OLD_SECRETS still verify; once it is dropped they do
// not; a service on the old key does not accept tokens of the new one.
func TestKeyRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string, base config.Config) {
		ctx := context.Background()
		oldKey, newKey := strings.Repeat("o", 32)+"-old", strings.Repeat("n", 32)+"-new"
		withKeys := func(secret, old string) config.Config {
			env := map[string]string{"TECHMARKET_JWT_SECRET": secret, "TECHMARKET_JWT_OLD_SECRETS": old}
			c, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			cfg := base
			cfg.JWTSecret, cfg.JWTOldSecrets = c.JWTSecret, c.JWTOldSecrets
			return cfg
		}
		before := open(t, withKeys(oldKey, ""))
		org := storetest.MustCreateOrg(t, before.DB, market.OrgEnterprise, true)
		oldTok, err := before.Auth.Login(ctx, org.Admin.Account, storetest.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}

		during := open(t, withKeys(newKey, " unrelated-key-unrelated-key-0000 , "+oldKey+" "))
		if _, err := during.Auth.Authenticate(ctx, oldTok.AccessToken); err != nil {
			t.Fatalf("%s: a token of the old key during the rotation: %v", backend, err)
		}
		newTok, err := during.Auth.Refresh(ctx, oldTok.RefreshToken) // refresh tokens do not depend on the key
		if err != nil {
			t.Fatal(err)
		}
		if _, err := during.Auth.Authenticate(ctx, newTok.AccessToken); err != nil {
			t.Fatal(err)
		}
		_, err = before.Auth.Authenticate(ctx, newTok.AccessToken)
		mustCode(t, "new-key token on an instance that only knows the old key", err, market.EUNAUTHORIZED)

		after := open(t, withKeys(newKey, ""))
		_, err = after.Auth.Authenticate(ctx, oldTok.AccessToken)
		mustCode(t, "old-key token after the rotation", err, market.EUNAUTHORIZED)
		if _, err := after.Auth.Authenticate(ctx, newTok.AccessToken); err != nil {
			t.Fatal(err)
		}
	})
}
