package httpapi_test

import (
	"net/url"
	"os"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// proxied starts the production stack with MariaDB and Redis reached
// through proxies the test can cut.
func proxied(t *testing.T) (*apptest.Env, *apptest.Proxy, *apptest.Proxy) {
	t.Helper()
	if os.Getenv(storetest.MySQLEnv) == "" || os.Getenv(apptest.RedisEnv) == "" {
		t.Skipf("%s and %s must be set: degraded-mode tests need the real servers", storetest.MySQLEnv, apptest.RedisEnv)
	}
	cfg := apptest.Config(t, "mysql")
	dsn, err := gomysql.ParseDSN(cfg.DBDSN)
	if err != nil {
		t.Fatal(err)
	}
	dbProxy := apptest.NewProxy(t, dsn.Addr)
	dsn.Addr = dbProxy.Addr
	cfg.DBDSN = dsn.FormatDSN()
	u, err := url.Parse(cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	redisProxy := apptest.NewProxy(t, u.Host)
	u.Host = redisProxy.Addr
	cfg.RedisURL = u.String()
	return apptest.NewWithConfig(t, cfg), dbProxy, redisProxy
}

// eventually retries until fn reports true or a few seconds pass: pools
// notice a restored server on their next dial.
func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Redis down: anonymous reads are still served; anything that needs the
// revocation list fails closed with a 503 rather than letting a revoked
// token in. Recovery is automatic.
func TestRedisDown(t *testing.T) {
	e, _, redis := proxied(t)
	ent := e.NewOrg(market.OrgEnterprise, true)
	op := e.NewOrg(market.OrgOperator, true)
	e.Publish("demands", ent, op, apptest.Demand())

	redis.Down()
	if n := len(e.Must(200, "GET", "/api/v1/demands", "", nil).Items()); n != 1 {
		t.Fatalf("anonymous read while Redis is down: %d items", n)
	}
	e.Must(200, "GET", "/api/v1/meta", "", nil)
	r := e.Must(503, "GET", "/api/v1/auth/me", ent.Token, nil)
	if r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("not a problem: %s", r.Body)
	}
	e.Must(503, "POST", "/api/v1/auth/logout", ent.Token, nil)
	if ready := e.Must(503, "GET", "/readyz", "", nil).JSON(); ready["checks"].(map[string]any)["cache"] != "down" {
		t.Fatalf("readyz: %v", ready)
	}

	redis.Up()
	eventually(t, "authenticated requests after Redis returns", func() bool {
		return e.Do("GET", "/api/v1/auth/me", ent.Token, nil).Status == 200
	})
	e.Must(200, "GET", "/readyz", "", nil)
}

// Database down: /readyz fails, requests answer 503 problems, nothing
// panics, and the service recovers on its own.
func TestDatabaseDown(t *testing.T) {
	e, db, _ := proxied(t)
	ent := e.NewOrg(market.OrgEnterprise, true)

	db.Down()
	if ready := e.Must(503, "GET", "/readyz", "", nil).JSON(); ready["checks"].(map[string]any)["database"] != "down" {
		t.Fatalf("readyz: %v", ready)
	}
	for _, req := range []struct{ method, path, token string }{
		{"GET", "/api/v1/demands", ""},
		{"GET", "/api/v1/auth/me", ent.Token},
		{"POST", "/api/v1/demands", ent.Token},
	} {
		var body any
		if req.method == "POST" {
			body = apptest.Demand()
		}
		r := e.Do(req.method, req.path, req.token, body)
		if r.Status != 503 || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s %s while the database is down: %d %s", req.method, req.path, r.Status, r.Body)
		}
	}
	e.Must(200, "GET", "/healthz", "", nil)

	db.Up()
	eventually(t, "reads after the database returns", func() bool {
		return e.Do("GET", "/api/v1/demands", "", nil).Status == 200
	})
	e.Must(201, "POST", "/api/v1/demands", ent.Token, apptest.Demand())
	e.Must(200, "GET", "/readyz", "", nil)
}

// Search engine down: search answers a 503 problem at once, while
// publishing still works and leaves its change in the outbox for when the
// engine returns (the catch-up itself is TestWorkerCatchesUpAfterOutage).
func TestSearchEngineDown(t *testing.T) {
	e := apptest.New(t, "sqlite", nil)
	ent := e.NewOrg(market.OrgEnterprise, true)
	op := e.NewOrg(market.OrgOperator, true)
	if err := e.Sys.Search.Close(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := e.Must(503, "GET", "/api/v1/search/demands?q=减重", "", nil)
	if r.Header.Get("Content-Type") != "application/problem+json" || time.Since(start) > 2*time.Second {
		t.Fatalf("search while the engine is down: %s after %s", r.Body, time.Since(start))
	}
	if ready := e.Must(503, "GET", "/readyz", "", nil).JSON(); ready["checks"].(map[string]any)["search"] != "down" {
		t.Fatalf("readyz: %v", ready)
	}
	id := e.Publish("demands", ent, op, apptest.Demand())
	if n := count(t, e, "search_outbox", "item_id = ?", id); n == 0 {
		t.Fatal("the published demand left nothing in the outbox")
	}
}
