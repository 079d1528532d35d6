package httpapi_test

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

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

// upperTransactionBody is a deal body whose contract_no is already as the store
// normalises it (upper case), so the database can be searched for it.
func upperTransactionBody(p parties) map[string]any {
	body := transactionBody(p, market.MarketLiuzhou, market.ChannelOffline)
	body["contract_no"] = strings.ToUpper(body["contract_no"].(string))
	return body
}

// checkRedisDown checks what must hold while the service cannot reach
// Redis, however it went away (a cut link, a killed server): anonymous
// reads are still served; anything that needs the revocation list fails
// closed with a 503 rather than letting a revoked token in; a POST with an
// Idempotency-Key is refused with a 503 and creates nothing; /readyz says
// the cache is down.
func checkRedisDown(t *testing.T, e *apptest.Env, p parties) {
	t.Helper()
	if n := len(e.Must(200, "GET", "/api/v1/demands", "", nil).Items()); n != 1 {
		t.Fatalf("anonymous read while Redis is down: %d items", n)
	}
	e.Must(200, "GET", "/api/v1/meta", "", nil)
	for _, r := range []*apptest.Response{
		e.Must(503, "GET", "/api/v1/auth/me", p.buyer.Token, nil),
		e.Must(503, "POST", "/api/v1/auth/logout", p.buyer.Token, nil),
	} {
		if r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("not a problem: %s", r.Body)
		}
	}
	body := upperTransactionBody(p)
	r := e.Do("POST", "/api/v1/transactions", p.opL.Token, body, "Idempotency-Key", uniqueNo("down"))
	if r.Status != 503 || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("POST with an Idempotency-Key while Redis is down: %d %s", r.Status, r.Body)
	}
	if n := count(t, e, "transactions", "contract_no = ?", body["contract_no"]); n != 0 {
		t.Fatalf("the refused POST created %d deals", n)
	}
	if ready := e.Must(503, "GET", "/readyz", "", nil).JSON(); ready["checks"].(map[string]any)["cache"] != "down" {
		t.Fatalf("readyz: %v", ready)
	}
}

// checkRedisBack checks that the service recovers by itself once Redis
// answers again: tokens work, idempotency keys are honoured, /readyz is ok.
func checkRedisBack(t *testing.T, e *apptest.Env, p parties) {
	t.Helper()
	eventually(t, "authenticated requests after Redis returns", func() bool {
		return e.Do("GET", "/api/v1/auth/me", p.buyer.Token, nil).Status == 200
	})
	body := upperTransactionBody(p)
	key := uniqueNo("back")
	first := e.Must(201, "POST", "/api/v1/transactions", p.opL.Token, body, "Idempotency-Key", key)
	replay := e.Must(201, "POST", "/api/v1/transactions", p.opL.Token, body, "Idempotency-Key", key)
	if !bytes.Equal(first.Body, replay.Body) || replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay after recovery: %s / %s", first.Body, replay.Body)
	}
	if n := count(t, e, "transactions", "contract_no = ?", body["contract_no"]); n != 1 {
		t.Fatalf("%d deals after a POST and its replay", n)
	}
	e.Must(200, "GET", "/readyz", "", nil)
}

// Redis unreachable (the link cut by a proxy): see checkRedisDown.
func TestRedisDown(t *testing.T) {
	e, _, link := proxied(t)
	p := newParties(e)
	e.Publish("demands", p.buyer, p.opL, apptest.Demand())

	link.Down()
	checkRedisDown(t, e, p)
	link.Up()
	checkRedisBack(t, e, p)
}

// redisProcess is a private redis-server the test starts, kills and
// restarts on the same port, without persistence.
type redisProcess struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
}

// startRedis starts a private redis-server on a free loopback port; the
// test is skipped when there is no redis-server on PATH.
func startRedis(t *testing.T) *redisProcess {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not on PATH: the test that kills a real Redis is skipped")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &redisProcess{t: t, addr: ln.Addr().String()}
	ln.Close()
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *redisProcess) start() {
	r.t.Helper()
	_, port, _ := net.SplitHostPort(r.addr)
	r.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--dir", r.t.TempDir(), "--daemonize", "no", "--loglevel", "warning")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s did not answer", r.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops the server at once (SIGKILL), as a crash would.
func (r *redisProcess) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// do runs one command on the server.
func (r *redisProcess) do(args ...any) error {
	c := redis.NewClient(&redis.Options{Addr: r.addr})
	defer c.Close()
	return c.Do(context.Background(), args...).Err()
}

// Redis stopped for real: the service runs on a private redis-server,
// which first refuses writes (maxmemory reached: reads work, so tokens are
// checked, but an idempotency key cannot be claimed), then is killed, then
// restarted empty on the same port. Nothing is stubbed.
func TestRedisProcessKilled(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(backend, func(t *testing.T) {
			rs := startRedis(t)
			cfg := apptest.Config(t, backend)
			cfg.RedisURL, cfg.RedisPrefix = "redis://"+rs.addr+"/0", "techmarket_test_"+uniqueNo("kill")+":"
			e := apptest.NewWithConfig(t, cfg)
			p := newParties(e)
			e.Publish("demands", p.buyer, p.opL, apptest.Demand())

			// Writes refused: the idempotency layer itself fails closed,
			// while the same request without a key goes through.
			if err := rs.do("CONFIG", "SET", "maxmemory", "1"); err != nil {
				t.Fatal(err)
			}
			e.Must(200, "GET", "/api/v1/auth/me", p.buyer.Token, nil)
			body := upperTransactionBody(p)
			r := e.Must(503, "POST", "/api/v1/transactions", p.opL.Token, body, "Idempotency-Key", uniqueNo("oom"))
			if r.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(r.Str("detail"), "idempotency") {
				t.Fatalf("POST with a key while Redis refuses writes: %s", r.Body)
			}
			if n := count(t, e, "transactions", "contract_no = ?", body["contract_no"]); n != 0 {
				t.Fatalf("the refused POST created %d deals", n)
			}
			e.Must(201, "POST", "/api/v1/transactions", p.opL.Token, body)
			if err := rs.do("CONFIG", "SET", "maxmemory", "0"); err != nil {
				t.Fatal(err)
			}

			rs.kill()
			checkRedisDown(t, e, p)
			rs.start()
			checkRedisBack(t, e, p)
		})
	}
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
