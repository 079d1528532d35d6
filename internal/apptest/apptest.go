// Package apptest builds the real service for end-to-end tests: the
// production wiring of internal/app over a fresh database (SQLite, or
// MariaDB when TECHMARKET_TEST_MYSQL_DSN is set) and the in-process cache
// or a real Redis (TECHMARKET_TEST_REDIS_URL) under a key prefix of its own.
// Requests go through the Fiber app itself.
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/blackbox"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// RedisEnv names the variable with the Redis URL for integration tests.
const RedisEnv = "TECHMARKET_TEST_REDIS_URL"

// Env is one running service and a client for it.
type Env struct {
	T   testing.TB
	Sys *app.System
	Srv interface {
		Test(*http.Request, ...int) (*http.Response, error)
	}
	AdminToken string
	seq        atomic.Int64
}

// Backends returns the backend combinations to test: the embedded default
// always; MariaDB + Redis when both are configured.
func Backends() []string {
	if os.Getenv(storetest.MySQLEnv) != "" {
		return []string{store.DialectSQLite, store.DialectMySQL}
	}
	return []string{store.DialectSQLite}
}

// ForEach runs fn on every configured backend.
func ForEach(t *testing.T, fn func(t *testing.T, e *Env)) {
	t.Helper()
	if os.Getenv(storetest.MySQLEnv) == "" {
		t.Logf("%s not set: MariaDB + Redis runs skipped", storetest.MySQLEnv)
	}
	// The backends share nothing, so they run side by side: a MariaDB
	// test spends most of its time waiting on commits.
	for _, b := range Backends() {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fn(t, New(t, b, nil))
		})
	}
}

// Config returns the test configuration of a backend: a fresh database and,
// with MySQL, Redis under a fresh prefix. tweak may adjust it.
func Config(tb testing.TB, backend string) config.Config {
	tb.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	cfg.DataDir = tb.TempDir()
	cfg.SearchDir = ""
	cfg.PasswordCost = 4
	// Test packages run side by side against one server: keep each
	// instance's pool small so they stay under max_connections.
	cfg.DBMaxConns = 12
	cfg.JWTSecret = "test-secret-test-secret-test-secret-0123"
	// Tests register many orgs from one address; the registration limit
	// has tests of its own that set it.
	cfg.RegisterLimit = 0
	cfg.DBDSN = storetest.DSN(tb, backend)
	if backend == store.DialectMySQL {
		if url := os.Getenv(RedisEnv); url != "" {
			cfg.RedisURL = url
			cfg.RedisPrefix = "techmarket_test_" + randHex(6) + ":"
		}
	}
	return cfg
}

// New starts a system on backend with an optional config tweak and creates
// a platform admin signed in as AdminToken.
func New(tb testing.TB, backend string, tweak func(*config.Config)) *Env {
	tb.Helper()
	cfg := Config(tb, backend)
	if tweak != nil {
		tweak(&cfg)
	}
	return NewWithConfig(tb, cfg)
}

// NewWithConfig starts a system on an explicit configuration.
func NewWithConfig(tb testing.TB, cfg config.Config) *Env {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("TECHMARKET_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return NewWithLogger(tb, cfg, log)
}

// NewWithLogger starts a system on an explicit configuration that logs to
// log, so a test can read what the service writes to its logs (the
// production logger is app.NewLogger).
func NewWithLogger(tb testing.TB, cfg config.Config, log *slog.Logger) *Env {
	tb.Helper()
	if cfg.SearchDir == "" {
		// The embedded index belongs to one process: instances sharing a
		// database each get their own.
		cfg.SearchDir = tb.TempDir()
	}
	sys, err := app.Open(context.Background(), cfg, log)
	if err != nil {
		tb.Fatalf("open system: %v", err)
	}
	tb.Cleanup(func() {
		sys.Close()
	})
	e := &Env{T: tb, Sys: sys, Srv: sys.Server().App}
	account := fmt.Sprintf("admin-%s@example.com", randHex(4))
	if _, err := sys.Orgs.CreatePlatformAdmin(context.Background(), market.NewUser{Account: account, Password: "admin-pass-1", Name: "平台管理员"}); err != nil {
		tb.Fatal(err)
	}
	e.AdminToken = e.Login(account, "admin-pass-1")
	return e
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Response is a decoded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r *Response) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Str returns a top-level string field of the body.
func (r *Response) Str(field string) string {
	s, _ := r.JSON()[field].(string)
	return s
}

// Items returns the "items" list of a list answer.
func (r *Response) Items() []map[string]any {
	var m struct {
		Items []map[string]any `json:"items"`
	}
	_ = json.Unmarshal(r.Body, &m)
	return m.Items
}

// Do sends a request. body may be nil, a string (sent as is) or a value
// (sent as JSON). headers are pairs of name, value.
func (e *Env) Do(method, path, token string, body any, headers ...string) *Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.Srv.Test(req, -1)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Must sends a request and fails the test unless the status is want.
func (e *Env) Must(want int, method, path, token string, body any, headers ...string) *Response {
	e.T.Helper()
	r := e.Do(method, path, token, body, headers...)
	if r.Status != want {
		e.T.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// Login signs in and returns the access token.
func (e *Env) Login(account, password string) string {
	e.T.Helper()
	r := e.Must(200, "POST", "/api/v1/auth/login", "", map[string]string{"account": account, "password": password})
	return r.Str("access_token")
}

// Org is a registered org with its admin's token.
type Org struct {
	ID      string
	Account string
	Token   string
}

// Registration returns a valid registration body of kind.
func (e *Env) Registration(kind string) map[string]any {
	n := e.seq.Add(1)
	reg := map[string]any{
		"kind": kind, "name": fmt.Sprintf("测试%s单位%d", kind, n), "credit_code": blackbox.CreditCode(),
		"region_code": "450206", "contact_name": "联系人", "contact_phone": "0772-1234567",
		"admin": map[string]any{"account": fmt.Sprintf("u%d-%s@example.com", n, randHex(3)), "password": "pass-word-1", "name": "管理员"},
	}
	if kind == market.OrgOperator {
		reg["market"] = market.MarketLiuzhou
	}
	return reg
}

// NewOrg registers an org of kind (operators and government through the
// admin), verifies it when verified is true, and signs its admin in.
func (e *Env) NewOrg(kind string, verified bool, edit ...func(map[string]any)) Org {
	e.T.Helper()
	reg := e.Registration(kind)
	for _, f := range edit {
		f(reg)
	}
	token := ""
	if kind == market.OrgOperator || kind == market.OrgGovernment {
		token = e.AdminToken
	}
	r := e.Must(201, "POST", "/api/v1/orgs", token, reg)
	o := Org{ID: r.Str("id"), Account: reg["admin"].(map[string]any)["account"].(string)}
	if verified && r.JSON()["verified"] != true {
		e.Must(200, "POST", "/api/v1/orgs/"+o.ID+"/verify", e.AdminToken, nil)
	}
	o.Token = e.Login(o.Account, "pass-word-1")
	return o
}

// Demand returns a valid demand body.
func Demand() map[string]any {
	return map[string]any{
		"title": "汽车车身轻量化技术需求", "description": "我公司需要降低整备质量的车身减重方案，目标减重百分之十以上。",
		"industry": "automotive", "keywords": []string{"减重", "车身"}, "cooperation_modes": []string{"transfer", "joint_development"},
		"budget_min_fen": 10000000, "budget_max_fen": 50000000, "deadline": "2030-12-31", "region_code": "450206",
		"contact": map[string]string{"name": "王工", "phone": "13877200000"},
	}
}

// Achievement returns a valid achievement body.
func Achievement() map[string]any {
	return map[string]any{
		"title": "碳纤维复合材料车身轻量化技术", "summary": "采用碳纤维增强复合材料替代钢制部件，实现车身轻量化。",
		"industry": "automotive", "keywords": []string{"轻量化", "碳纤维"}, "maturity": "pilot",
		"transfer_modes": []string{"transfer", "license"}, "asking_price_fen": 30000000,
		"patent_numbers": []string{"ZL202310000001.X"}, "inventors": []string{"李教授"}, "region_code": "450205",
		"contact": map[string]string{"name": "李老师", "phone": "0772-2685000"},
	}
}

// Publish creates, submits and approves an item of kind ("demands" or
// "achievements") owned by owner, returning its id.
func (e *Env) Publish(path string, owner Org, operator Org, body map[string]any) string {
	e.T.Helper()
	id := e.Must(201, "POST", "/api/v1/"+path, owner.Token, body).Str("id")
	e.Must(200, "POST", "/api/v1/"+path+"/"+id+"/submit", owner.Token, nil)
	e.Must(200, "POST", "/api/v1/"+path+"/"+id+"/review", operator.Token, map[string]string{"decision": "approve"})
	return id
}

// DrainOutbox applies every pending search outbox entry now, so a test
// sees the index as the worker would leave it.
func (e *Env) DrainOutbox() {
	e.T.Helper()
	for {
		n, err := e.Sys.Outbox.Drain(context.Background())
		if err != nil {
			e.T.Fatalf("drain outbox: %v", err)
		}
		if n == 0 {
			return
		}
	}
}
