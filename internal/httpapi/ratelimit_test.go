package httpapi_test

import (
	"strconv"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// limitEnv starts a service that takes the client IP from X-Forwarded-For
// (the in-memory test connection's peer, 0.0.0.0, is its trusted proxy),
// so each test spends the budget of addresses of its own. Each backend
// counts in its own limiter (in process; Redis under a fresh prefix).
func limitEnv(t *testing.T, backend string, tweak func(*config.Config)) *apptest.Env {
	return apptest.New(t, backend, func(c *config.Config) {
		c.TrustedProxies = []string{"0.0.0.0"}
		tweak(c)
	})
}

// mustRetryAfter checks a 429 and returns its Retry-After in seconds.
func mustRetryAfter(t *testing.T, r *apptest.Response, max int) int {
	t.Helper()
	if r.Status != 429 {
		t.Fatalf("status %d, want 429: %s", r.Status, r.Body)
	}
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || s < 1 || s > max {
		t.Fatalf("Retry-After %q, want 1 to %d seconds", r.Header.Get("Retry-After"), max)
	}
	return s
}

// A signed-in caller has one budget, however many sessions and refreshed
// tokens it holds: signing in again does not start a fresh one.
func TestRateLimitPerUser(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			e := limitEnv(t, b, func(c *config.Config) { c.RateLimit = 6 })
			org := e.NewOrg(market.OrgEnterprise, true)
			xff := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
			login := func(ip string) map[string]any {
				return e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": org.Account, "password": orgPassword}, xff(ip)...).JSON()
			}
			a := login("198.51.100.1")
			b := login("198.51.100.2")
			ta, tb := a["access_token"].(string), b["access_token"].(string)
			// Logins are anonymous (the IP's budget); the user's six
			// requests are shared by both sessions.
			for i := range 6 {
				tok := ta
				if i%2 == 1 {
					tok = tb
				}
				e.Must(200, "GET", "/api/v1/auth/me", tok, nil, xff("198.51.100.3")...)
			}
			mustRetryAfter(t, e.Do("GET", "/api/v1/auth/me", tb, nil, xff("198.51.100.4")...), 60)
			mustRetryAfter(t, e.Do("GET", "/api/v1/auth/me", ta, nil, xff("198.51.100.5")...), 60)
			// Refreshing does not reset it either.
			fresh := e.Must(200, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": a["refresh_token"].(string)}, xff("198.51.100.6")...).JSON()
			mustRetryAfter(t, e.Do("GET", "/api/v1/auth/me", fresh["access_token"].(string), nil), 60)
			// Another user, and anonymous callers, have budgets of their own.
			e.Must(200, "GET", "/api/v1/auth/me", e.AdminToken, nil)
			e.Must(200, "GET", "/api/v1/meta", "", nil, xff("198.51.100.7")...)
		})
	}
}

// Requests refused for a bad token are counted, per IP: guessing tokens
// spends the budget of the address like any anonymous call.
func TestRateLimitCountsRefusedTokens(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			e := limitEnv(t, b, func(c *config.Config) { c.RateLimit = 5 })
			const ip = "203.0.113.7"
			for i := range 5 {
				e.Must(401, "GET", "/api/v1/demands", "guess-"+strconv.Itoa(i), nil, "X-Forwarded-For", ip)
			}
			mustRetryAfter(t, e.Do("GET", "/api/v1/demands", "guess-6", nil, "X-Forwarded-For", ip), 60)
			// The address is out of budget for anonymous calls too.
			mustRetryAfter(t, e.Do("GET", "/api/v1/meta", "", nil, "X-Forwarded-For", ip), 60)
			// Another address is not.
			e.Must(401, "GET", "/api/v1/demands", "guess-7", nil, "X-Forwarded-For", "203.0.113.8")
			e.Must(200, "GET", "/api/v1/meta", "", nil, "X-Forwarded-For", "203.0.113.8")
		})
	}
}

// Public registration has a budget of its own per IP, far below the
// general one; a refused registration creates nothing. Platform admins
// creating operator and bureau orgs are not limited by it.
func TestRegisterLimit(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			e := limitEnv(t, b, func(c *config.Config) { c.RegisterLimit = 3 })
			const ip = "192.0.2.10"
			e.Must(201, "POST", "/api/v1/orgs", "", e.Registration(market.OrgEnterprise), "X-Forwarded-For", ip)
			bad := e.Registration(market.OrgUniversity)
			bad["credit_code"] = "not-a-code"
			e.Must(422, "POST", "/api/v1/orgs", "", bad, "X-Forwarded-For", ip) // attempts count, not only successes
			e.Must(201, "POST", "/api/v1/orgs", "", e.Registration(market.OrgInstitute), "X-Forwarded-For", ip)
			before := count(t, e, "orgs", "")
			refused := e.Registration(market.OrgEnterprise)
			// One attempt per 20 minutes comes back: Retry-After says when.
			if s := mustRetryAfter(t, e.Do("POST", "/api/v1/orgs", "", refused, "X-Forwarded-For", ip), 3600); s < 60 {
				t.Fatalf("Retry-After %d s for a limit of 3 an hour", s)
			}
			if n := count(t, e, "orgs", ""); n != before {
				t.Fatalf("a refused registration changed the orgs: %d, want %d", n, before)
			}
			acct := refused["admin"].(map[string]any)["account"].(string)
			if n := count(t, e, "users", "account = ?", acct); n != 0 {
				t.Fatal("a refused registration created its admin")
			}
			// Another address registers; the admin is not limited.
			e.Must(201, "POST", "/api/v1/orgs", "", e.Registration(market.OrgEnterprise), "X-Forwarded-For", "192.0.2.11")
			for range 4 {
				e.Must(201, "POST", "/api/v1/orgs", e.AdminToken, e.Registration(market.OrgGovernment), "X-Forwarded-For", ip)
			}
			// The general limit is untouched by registrations.
			e.Must(200, "GET", "/api/v1/meta", "", nil, "X-Forwarded-For", ip)
		})
	}
}
