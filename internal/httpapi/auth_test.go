package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestAuthSession(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		org := e.NewOrg(market.OrgEnterprise, true)
		login := e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": "pass-word-1"}).JSON()
		access, refresh := login["access_token"].(string), login["refresh_token"].(string)
		if login["expires_in"] != float64(900) || access == "" || refresh == "" {
			t.Fatalf("login: %v", login)
		}
		me := e.Must(200, "GET", "/api/v1/auth/me", access, nil).JSON()
		if me["user"].(map[string]any)["account"] != org.Account || me["org"].(map[string]any)["id"] != org.ID {
			t.Fatalf("me: %v", me)
		}
		if strings.Contains(string(e.Must(200, "GET", "/api/v1/auth/me", access, nil).Body), "password") {
			t.Fatal("me leaks a password field")
		}

		// Refresh rotates: the new pair works, the old refresh token is dead.
		r2 := e.Must(200, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}).JSON()
		refresh2 := r2["refresh_token"].(string)
		if refresh2 == refresh {
			t.Fatal("refresh token did not rotate")
		}
		e.Must(401, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
		access2 := r2["access_token"].(string)
		e.Must(200, "GET", "/api/v1/auth/me", access2, nil)
		// Stored hashed, never in clear.
		if n := count(t, e, "sessions", "refresh_hash = ?", refresh2); n != 0 {
			t.Fatal("refresh token stored in clear")
		}

		// Logout ends the session: its access tokens and refresh token die.
		e.Must(204, "POST", "/api/v1/auth/logout", access2, nil)
		e.Must(401, "GET", "/api/v1/auth/me", access2, nil)
		e.Must(401, "GET", "/api/v1/auth/me", access, nil)
		e.Must(401, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh2})
		// A revoked token is refused on public routes too.
		e.Must(401, "GET", "/api/v1/demands", access2, nil)

		// Wrong password, unknown account: the same answer.
		a := e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": "wrong-pass"})
		b := e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"account": "nobody@example.com", "password": "wrong-pass"})
		if a.Str("detail") != b.Str("detail") {
			t.Fatalf("login failures differ: %q vs %q", a.Str("detail"), b.Str("detail"))
		}
		e.Must(401, "GET", "/api/v1/auth/me", "not-a-jwt", nil)
		e.Must(401, "GET", "/api/v1/auth/me", "", nil)
		e.Must(422, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account})
	})
}

// A logout on one instance is refused by another at once: revocation lives
// in the shared cache (Redis) and the database.
func TestLogoutAcrossInstances(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			cfg := apptest.Config(t, b)
			if cfg.RedisURL == "" {
				t.Skip("needs the shared Redis of the MariaDB backend: set " + apptest.RedisEnv)
			}
			a := apptest.NewWithConfig(t, cfg)
			other := apptest.NewWithConfig(t, cfg)
			org := a.NewOrg(market.OrgEnterprise, true)
			other.Must(200, "GET", "/api/v1/auth/me", org.Token, nil)
			a.Must(204, "POST", "/api/v1/auth/logout", org.Token, nil)
			other.Must(401, "GET", "/api/v1/auth/me", org.Token, nil)
		})
	}
}

func TestExpiredToken(t *testing.T) {
	// JWT times are whole seconds, so a token lives between TTL-1 and TTL
	// seconds: 3 s leaves room for the setup on a loaded machine. The org
	// stays unverified so no admin token (with the same short life) is
	// needed.
	e := apptest.New(t, "sqlite", func(c *config.Config) { c.AccessTTL = 3 * time.Second })
	org := e.NewOrg(market.OrgEnterprise, false)
	e.Must(200, "GET", "/api/v1/auth/me", org.Token, nil)
	time.Sleep(3100 * time.Millisecond)
	r := e.Must(401, "GET", "/api/v1/auth/me", org.Token, nil)
	if !strings.Contains(r.Str("detail"), "expired") {
		t.Fatalf("detail: %s", r.Body)
	}
}

func TestLoginRateLimit(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			e := apptest.New(t, b, func(c *config.Config) { c.LoginLimit = 3 })
			org := e.NewOrg(market.OrgEnterprise, true) // one successful login used
			for range 2 {
				e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": "wrong-pass"})
			}
			r := e.Must(429, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": "pass-word-1"})
			if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
				t.Fatalf("Retry-After %q", ra)
			}
			// Other accounts are not locked out by it.
			other := e.NewOrg(market.OrgEnterprise, true)
			e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": other.Account, "password": "pass-word-1"})
		})
	}
}

func TestAPIRateLimit(t *testing.T) {
	e := apptest.New(t, "sqlite", func(c *config.Config) { c.RateLimit = 5 })
	var last *apptest.Response
	for range 6 {
		last = e.Do("GET", "/api/v1/meta", "", nil)
	}
	if last.Status != 429 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("6th request: %d, Retry-After %q", last.Status, last.Header.Get("Retry-After"))
	}
}
