// Command load runs a mixed workload against the techmarket binary over
// real HTTP on loopback, reports throughput and latency per class of
// request, and then checks that nothing was lost: every create the service
// answered 201 is in the database, and nothing else is.
//
// By default it builds ./cmd/techmarket, creates the platform admin with
// `techmarket admin create` on the same environment, starts `serve` and
// tears everything down afterwards:
//
//	go run ./scripts/load                                   # embedded: SQLite + in-process cache + bleve
//	go run ./scripts/load -backend mysql                    # MariaDB + Redis on 127.0.0.1, database techmarket_load_<random>
//	go run ./scripts/load -backend mysql -instances 2       # two serve processes on one database, requests round-robin
//
// or it targets servers that are already running (the admin account must
// exist; -db-dsn or -data-dir lets it count rows for the loss check):
//
//	go run ./scripts/load -urls http://127.0.0.1:8081,http://127.0.0.1:8082 \
//	    -admin-account root@example.com -admin-password '...' -db-dsn 'root@tcp(127.0.0.1:3306)/techmarket'
//
// The run is bounded by -duration and by -max-requests: workers start no
// new operation after either. The servers it starts run with
// TECHMARKET_RATE_LIMIT=-rate-limit (default 1000000 a minute: the default
// 1200 is a bucket refilled at 20 requests a second per token, or per IP
// for anonymous calls, and this load shares a dozen tokens and one IP, so
// after about a minute it would measure the limiter's 429s) and
// TECHMARKET_BCRYPT_COST=4 (setup signs in a dozen accounts; a check at the
// default cost 12 took 577 ms on the 2-core test machine). Only loopback
// addresses are accepted as targets.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/glebarez/go-sqlite"
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/liuzhou-techmarket/techmarket/internal/blackbox"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type options struct {
	backend       string
	mysqlDSN      string
	redisURL      string
	keep          bool
	duration      time.Duration
	maxRequests   int64
	workers       int
	instances     int
	url, urls     string
	dbDSN         string
	dataDir       string
	adminAccount  string
	adminPassword string
	bin           string
	orgs          int
	items         int
	rateLimit     int
	weights       string
	mdOut         string
	logLevel      string
	searchCheck   bool
}

func main() {
	var o options
	flag.StringVar(&o.backend, "backend", "embedded", "embedded (SQLite + in-process cache + bleve) or mysql (MariaDB/MySQL + Redis + bleve)")
	flag.StringVar(&o.mysqlDSN, "mysql-dsn", "root@tcp(127.0.0.1:3306)/", "MariaDB/MySQL server for -backend mysql; a fresh database techmarket_load_<random> is created on it")
	flag.StringVar(&o.redisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis for -backend mysql (empty: in-process cache, one instance only)")
	flag.BoolVar(&o.keep, "keep", false, "keep the database, the Redis keys and the data directory afterwards")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long the mixed workload runs")
	flag.Int64Var(&o.maxRequests, "max-requests", 2_000_000, "stop starting operations after this many requests")
	flag.IntVar(&o.workers, "workers", 16, "concurrent clients")
	flag.IntVar(&o.instances, "instances", 1, "serve processes to start (more than one needs -backend mysql)")
	flag.StringVar(&o.url, "url", "", "target a running server instead of starting one (loopback only)")
	flag.StringVar(&o.urls, "urls", "", "comma-separated running servers, requests sent round-robin (loopback only)")
	flag.StringVar(&o.dbDSN, "db-dsn", "", "with -url(s): MySQL DSN of the servers' database, for the loss check")
	flag.StringVar(&o.dataDir, "data-dir", "", "with -url(s): TECHMARKET_DATA_DIR of an embedded server, for the loss check")
	flag.StringVar(&o.adminAccount, "admin-account", "", "with -url(s): a platform admin (else one is created with techmarket admin create on -db-dsn or -data-dir)")
	flag.StringVar(&o.adminPassword, "admin-password", "", "its password")
	flag.StringVar(&o.bin, "bin", "", "a built techmarket binary (default: go build ./cmd/techmarket into a temporary directory)")
	flag.IntVar(&o.orgs, "orgs", 4, "enterprises and universities (each) created at setup")
	flag.IntVar(&o.items, "items", 60, "items published at setup")
	flag.IntVar(&o.rateLimit, "rate-limit", 1_000_000, "TECHMARKET_RATE_LIMIT of the servers it starts (requests per minute per token)")
	flag.StringVar(&o.weights, "weights", "70,10,15,5", "weights of browse+search, publish, deals+payments, subsidy quotes")
	flag.StringVar(&o.mdOut, "md", "", "also append the markdown report to this file")
	flag.BoolVar(&o.searchCheck, "search-check", true, "after the run, check that search finds every published achievement (skipped with several -urls: each embedded index is per instance)")
	flag.StringVar(&o.logLevel, "log-level", "info", "TECHMARKET_LOG_LEVEL of the servers it starts (their logs go to files)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Classes of the workload.
const (
	classBrowse = iota
	classPublish
	classDeals
	classSubsidy
	nClasses
)

var classNames = [nClasses]string{"browse + search", "publish", "deals + payments", "subsidy quotes"}

// target is what the workload runs against.
type target struct {
	urls          []string
	servers       []*blackbox.Server
	db            *sql.DB
	dialect       string
	desc          string
	adminAccount  string
	adminPassword string
	notes         []string
	cleanups      []func()
}

func (t *target) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

func run(ctx context.Context, o options) (int, error) {
	weights, err := parseWeights(o.weights)
	if err != nil {
		return 2, err
	}
	if o.workers < 1 || o.duration <= 0 || o.maxRequests < 1 || o.orgs < 1 || o.items < 3 {
		return 2, errors.New("-workers, -duration, -max-requests and -orgs must be positive, -items at least 3")
	}
	t := &target{}
	defer t.cleanup()
	if o.url != "" || o.urls != "" {
		err = external(ctx, o, t)
	} else {
		err = selfStart(ctx, o, t)
	}
	if err != nil {
		return 1, err
	}
	c, err := blackbox.NewClient(t.urls, o.workers+4)
	if err != nil {
		return 2, err
	}
	// Cleanups run last in, first out: hang up before the servers stop,
	// or a connection opened but never used holds their shutdown.
	t.cleanups = append(t.cleanups, c.HTTP.CloseIdleConnections)

	var before counts
	if t.db != nil {
		if before, err = countRows(ctx, t.db); err != nil {
			return 1, fmt.Errorf("count rows before: %w", err)
		}
	}
	tl := &tally{}
	fmt.Printf("setup: orgs, %d published items, subsidy policy, deals to quote …\n", o.items)
	setupStart := time.Now()
	w, err := setup(ctx, c, o, t, tl)
	if err != nil {
		return 1, fmt.Errorf("setup: %w", err)
	}
	fmt.Printf("setup done in %.1fs\n", time.Since(setupStart).Seconds())
	if !w.subsidy {
		weights[classSubsidy] = 0
		t.notes = append(t.notes, w.subsidyNote)
	}

	fmt.Printf("running %s with %d workers over %d instance(s) …\n", o.duration, o.workers, len(t.urls))
	cpu0 := cpuSnapshot(t)
	res := runLoad(ctx, c, w, tl, o, weights)
	cpu1 := cpuSnapshot(t)

	var out strings.Builder
	header(&out, o, t, weights)
	res.write(&out, weights)
	writeCPU(&out, cpu0, cpu1, res.wall, res.requests())

	lost := 0
	fmt.Println("checking what the service stored …")
	checks := postChecks(ctx, c, w, t, tl, before, o.searchCheck)
	writeChecks(&out, checks)
	for _, ch := range checks {
		if !ch.ok {
			lost++
		}
	}
	if len(t.notes) > 0 {
		out.WriteString("\nNotes:\n\n")
		for _, n := range t.notes {
			fmt.Fprintf(&out, "- %s\n", n)
		}
	}
	fmt.Print("\n" + out.String())
	if o.mdOut != "" {
		if f, err := os.OpenFile(o.mdOut, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			_, _ = f.WriteString(out.String() + "\n")
			f.Close()
		}
	}
	for _, s := range t.servers {
		if s.Exited() {
			fmt.Fprintf(os.Stderr, "%s exited during the run:\n%s\n", s.Name, s.LogTail(20))
			return 1, errors.New("a server died")
		}
	}
	if lost > 0 {
		return 3, fmt.Errorf("%d consistency check(s) failed: see the table above", lost)
	}
	return 0, nil
}

func parseWeights(s string) ([nClasses]int, error) {
	var w [nClasses]int
	parts := strings.Split(s, ",")
	if len(parts) != nClasses {
		return w, fmt.Errorf("-weights wants %d numbers", nClasses)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return w, fmt.Errorf("-weights: %q", p)
		}
		w[i] = n
	}
	return w, nil
}

// selfStart builds the binary, prepares a fresh database, creates the
// admin and starts the servers.
func selfStart(ctx context.Context, o options, t *target) error {
	work, err := os.MkdirTemp("", "techmarket-load-")
	if err != nil {
		return err
	}
	t.cleanups = append(t.cleanups, func() {
		if o.keep {
			fmt.Println("kept", work)
			return
		}
		_ = os.RemoveAll(work)
	})
	bin := o.bin
	if bin == "" {
		fmt.Println("building ./cmd/techmarket …")
		if bin, err = blackbox.Build(ctx, work); err != nil {
			return err
		}
	}
	vars := map[string]string{
		"TECHMARKET_JWT_SECRET":     blackbox.RandHex(32),
		"TECHMARKET_BCRYPT_COST":    "4",
		"TECHMARKET_RATE_LIMIT":     strconv.Itoa(o.rateLimit),
		"TECHMARKET_LOGIN_IP_LIMIT": "100000",
		"TECHMARKET_REGISTER_LIMIT": "0", // every org registers from this one address
		"TECHMARKET_ACCESS_TTL":     "2h",
		"TECHMARKET_LOG_LEVEL":      o.logLevel,
	}
	if u := os.Getenv("TECHMARKET_MEILI_URL"); u != "" {
		vars["TECHMARKET_MEILI_URL"], vars["TECHMARKET_MEILI_KEY"] = u, os.Getenv("TECHMARKET_MEILI_KEY")
		vars["TECHMARKET_MEILI_INDEX_PREFIX"] = "techmarket_load_" + blackbox.RandHex(3) + "_"
		t.notes = append(t.notes, "search: Meilisearch at "+u)
	}
	dataDir := func(i int) string { return filepath.Join(work, fmt.Sprintf("instance-%d", i)) }
	switch o.backend {
	case "embedded":
		if o.instances != 1 {
			return errors.New("the embedded default is one process: -instances > 1 needs -backend mysql")
		}
		dataDir = func(int) string { return filepath.Join(work, "data") }
		t.desc = "embedded (SQLite + in-process cache + bleve)"
		t.dialect = "sqlite"
	case "mysql":
		mdb, err := blackbox.CreateMySQLDatabase(ctx, o.mysqlDSN, "techmarket_load_")
		if err != nil {
			return err
		}
		t.db, t.dialect = mdb.DB, "mysql"
		vars["TECHMARKET_DB_DSN"] = mdb.DSN
		var version string
		_ = mdb.DB.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version)
		t.desc = "MySQL " + version
		prefix := strings.TrimPrefix(mdb.Name, "techmarket_") + ":"
		if o.redisURL != "" {
			vars["TECHMARKET_REDIS_URL"], vars["TECHMARKET_REDIS_PREFIX"] = o.redisURL, prefix
			t.desc += " + Redis + bleve per instance"
		} else {
			if o.instances > 1 {
				return errors.New("several instances need a shared Redis (-redis-url)")
			}
			t.desc += " + in-process cache + bleve"
		}
		t.cleanups = append(t.cleanups, func() {
			if o.keep {
				fmt.Printf("kept database %s and Redis prefix %s\n", mdb.Name, prefix)
				mdb.Close()
				return
			}
			if err := mdb.Drop(); err != nil {
				fmt.Fprintln(os.Stderr, "drop database:", err)
			}
			if o.redisURL != "" {
				if _, err := blackbox.DeleteRedisPrefix(context.Background(), o.redisURL, prefix); err != nil {
					fmt.Fprintln(os.Stderr, "delete Redis keys:", err)
				}
			}
		})
	default:
		return fmt.Errorf("-backend %q: want embedded or mysql", o.backend)
	}

	t.adminAccount, t.adminPassword = "load-admin-"+blackbox.RandHex(3)+"@example.com", "load-admin-pass-1"
	adminEnv := copyVars(vars)
	adminEnv["TECHMARKET_DATA_DIR"] = dataDir(0)
	if o.backend == "mysql" {
		adminEnv["TECHMARKET_DATA_DIR"] = filepath.Join(work, "admin")
	}
	if _, err := blackbox.Command(ctx, bin, blackbox.Env(adminEnv), "admin", "create", "--account", t.adminAccount, "--password", t.adminPassword); err != nil {
		return err
	}
	for i := range o.instances {
		env := copyVars(vars)
		env["TECHMARKET_DATA_DIR"] = dataDir(i)
		s, err := blackbox.Start(bin, blackbox.Env(env), fmt.Sprintf("instance %d", i), filepath.Join(work, fmt.Sprintf("instance-%d.log", i)))
		if err != nil {
			return err
		}
		t.servers = append(t.servers, s)
		t.urls = append(t.urls, s.URL)
		t.cleanups = append(t.cleanups, func() {
			if err := s.Stop(25 * time.Second); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		})
	}
	for _, s := range t.servers {
		if err := s.WaitHealthy(90 * time.Second); err != nil {
			return err
		}
	}
	if o.backend == "embedded" {
		db, err := openSQLite(filepath.Join(dataDir(0), "techmarket.db"))
		if err != nil {
			return err
		}
		t.db = db
		t.cleanups = append(t.cleanups, func() { db.Close() })
	}
	return nil
}

// external targets running servers.
func external(ctx context.Context, o options, t *target) error {
	if o.urls != "" {
		t.urls = strings.Split(o.urls, ",")
	} else {
		t.urls = []string{o.url}
	}
	t.desc = "running server(s)"
	adminEnv := map[string]string{"TECHMARKET_BCRYPT_COST": "4"}
	switch {
	case o.dbDSN != "":
		mc, err := gomysql.ParseDSN(o.dbDSN)
		if err != nil {
			return err
		}
		mc.ParseTime = true
		db, err := sql.Open("mysql", mc.FormatDSN())
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(4)
		t.db, t.dialect = db, "mysql"
		t.cleanups = append(t.cleanups, func() { db.Close() })
		adminEnv["TECHMARKET_DB_DSN"] = o.dbDSN
	case o.dataDir != "":
		db, err := openSQLite(filepath.Join(o.dataDir, "techmarket.db"))
		if err != nil {
			return err
		}
		t.db, t.dialect = db, "sqlite"
		t.cleanups = append(t.cleanups, func() { db.Close() })
		adminEnv["TECHMARKET_DATA_DIR"] = o.dataDir
	default:
		t.notes = append(t.notes, "no -db-dsn or -data-dir: the database counts were not checked")
	}
	t.adminAccount, t.adminPassword = o.adminAccount, o.adminPassword
	if t.adminAccount != "" {
		return nil
	}
	if t.db == nil {
		return errors.New("with -url(s), give -admin-account/-admin-password, or -db-dsn/-data-dir to create one")
	}
	work, err := os.MkdirTemp("", "techmarket-load-admin-")
	if err != nil {
		return err
	}
	t.cleanups = append(t.cleanups, func() { _ = os.RemoveAll(work) })
	bin := o.bin
	if bin == "" {
		if bin, err = blackbox.Build(ctx, work); err != nil {
			return err
		}
	}
	// The one-shot command opens its own search index: keep it away from
	// the server's.
	adminEnv["TECHMARKET_SEARCH_DIR"] = filepath.Join(work, "search")
	if adminEnv["TECHMARKET_DATA_DIR"] == "" {
		adminEnv["TECHMARKET_DATA_DIR"] = filepath.Join(work, "data")
	}
	t.adminAccount, t.adminPassword = "load-admin-"+blackbox.RandHex(3)+"@example.com", "load-admin-pass-1"
	_, err = blackbox.Command(ctx, bin, blackbox.Env(adminEnv), "admin", "create", "--account", t.adminAccount, "--password", t.adminPassword)
	return err
}

func openSQLite(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	return db, db.Ping()
}

func copyVars(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// ── setup ───────────────────────────────────────────────────────────────

type itemRef struct {
	id    string
	owner blackbox.Org
}

type dealRef struct {
	id, market string
	buyer      blackbox.Org
}

// world is what setup made and the workload uses.
type world struct {
	tag                       string
	adminToken                string
	opL, opG, gov             blackbox.Org
	enterprises, universities []blackbox.Org
	signedAt                  time.Time
	subsidy                   bool
	subsidyNote               string
	policyID                  string
	mu                        sync.RWMutex
	achievements, demands     []itemRef
	quoteDeals                []dealRef
	seq                       atomic.Int64
	setupItems                int
}

func (w *world) operator(mkt string) blackbox.Org {
	if mkt == market.MarketGuizhong {
		return w.opG
	}
	return w.opL
}

// tally counts what the service acknowledged, to compare with the
// database. unknown counts requests whose answer never came (the write
// may or may not have happened).
type tally struct {
	items, itemsUnknown           atomic.Int64
	published, publishedUnknown   atomic.Int64
	deals, dealsUnknown           atomic.Int64
	payments, paymentsUnknown     atomic.Int64
	paidFen                       atomic.Int64
	registered, registeredUnknown atomic.Int64
	replays, replayMismatch       atomic.Int64
}

func setup(ctx context.Context, c *blackbox.Client, o options, t *target, tl *tally) (*world, error) {
	w := &world{tag: blackbox.RandHex(3)}
	now := time.Now().UTC()
	w.signedAt = now.Add(-time.Hour)
	if w.signedAt.Year() != now.Year() {
		w.signedAt = now.Add(-time.Second)
	}
	var err error
	if w.adminToken, _, err = c.Login(ctx, t.adminAccount, t.adminPassword); err != nil {
		return nil, err
	}
	if w.opL, err = c.NewOrg(ctx, w.adminToken, market.OrgOperator, market.MarketLiuzhou); err != nil {
		return nil, err
	}
	if w.opG, err = c.NewOrg(ctx, w.adminToken, market.OrgOperator, market.MarketGuizhong); err != nil {
		return nil, err
	}
	if w.gov, err = c.NewOrg(ctx, w.adminToken, market.OrgGovernment, ""); err != nil {
		return nil, err
	}
	for i := range o.orgs {
		e, err := c.NewOrg(ctx, w.adminToken, market.OrgEnterprise, "")
		if err != nil {
			return nil, err
		}
		kind := market.OrgUniversity
		if i%3 == 2 {
			kind = market.OrgInstitute
		}
		u, err := c.NewOrg(ctx, w.adminToken, kind, "")
		if err != nil {
			return nil, err
		}
		w.enterprises, w.universities = append(w.enterprises, e), append(w.universities, u)
	}
	// Published items, in parallel over a few clients.
	var wg sync.WaitGroup
	errs := make(chan error, o.items)
	next := atomic.Int64{}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= o.items {
					return
				}
				kind := "achievements"
				if n%3 == 2 {
					kind = "demands"
				}
				if _, err := w.publish(ctx, c, tl, kind, n, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	w.setupItems = o.items
	if err := w.setupSubsidy(ctx, c, tl); err != nil {
		return nil, err
	}
	return w, nil
}

// publish creates, submits and approves (or, when reject, rejects) an
// item; rec, when set, records each request under the publish class.
func (w *world) publish(ctx context.Context, c *blackbox.Client, tl *tally, kind string, n int, wk *worker) (bool, error) {
	var owner blackbox.Org
	var body map[string]any
	if kind == "achievements" {
		owner, body = w.universities[n%len(w.universities)], blackbox.AchievementBody(n, w.tag)
	} else {
		owner, body = w.enterprises[n%len(w.enterprises)], blackbox.DemandBody(n, w.tag)
	}
	send := func(ep, method, path, token string, body any, want int) *blackbox.Response {
		if wk != nil {
			return wk.call(classPublish, ep, method, path, token, body, want)
		}
		return c.Do(ctx, method, path, token, body)
	}
	r := send("POST /"+kind, "POST", "/api/v1/"+kind, owner.Token, body, 201)
	switch {
	case r.Err != nil:
		tl.itemsUnknown.Add(1)
		return false, r.Expect(201)
	case r.Status != 201:
		return false, r.Expect(201)
	}
	tl.items.Add(1)
	id := r.Str("id")
	if r := send("POST /"+kind+"/{id}/submit", "POST", "/api/v1/"+kind+"/"+id+"/submit", owner.Token, nil, 200); r.Status != 200 {
		return false, r.Expect(200)
	}
	op := w.opL
	if n%2 == 1 {
		op = w.opG
	}
	reject := wk != nil && wk.rnd.IntN(10) == 0
	review := map[string]string{"decision": "approve"}
	if reject {
		review = map[string]string{"decision": "reject", "reason": "资料不全，请补充专利证书"}
	}
	r = send("POST /"+kind+"/{id}/review", "POST", "/api/v1/"+kind+"/"+id+"/review", op.Token, review, 200)
	if r.Status != 200 {
		if r.Err != nil && !reject {
			tl.publishedUnknown.Add(1)
		}
		return false, r.Expect(200)
	}
	if reject {
		return false, nil
	}
	tl.published.Add(1)
	w.mu.Lock()
	if kind == "achievements" {
		w.achievements = append(w.achievements, itemRef{id, owner})
	} else {
		w.demands = append(w.demands, itemRef{id, owner})
	}
	w.mu.Unlock()
	return true, nil
}

// setupSubsidy creates a policy and a few paid, registered deals to quote,
// or notes why the subsidy class cannot run.
func (w *world) setupSubsidy(ctx context.Context, c *blackbox.Client, tl *tally) error {
	y := strconv.Itoa(w.signedAt.Year())
	r := c.Do(ctx, "POST", "/api/v1/subsidy-policies", w.gov.Token, map[string]any{
		"name": "柳州市技术交易后补助（压测 " + w.tag + "）", "year": w.signedAt.Year(),
		"tiers": []map[string]any{
			{"up_to_fen": 10_000_000, "rate_bp": 100}, {"up_to_fen": 100_000_000, "rate_bp": 50}, {"up_to_fen": nil, "rate_bp": 10}},
		"per_transaction_cap_fen": 50_000_000, "annual_cap_per_org_fen": 200_000_000, "budget_fen": 10_000_000_000,
		"min_tech_amount_fen": 0, "eligible_contract_types": []string{"development", "transfer", "license", "consulting", "service"},
		"require_registered": true, "require_local_buyer": true, "base": "lesser", "auto_apply": false,
		"effective_from": y + "-01-01", "effective_to": y + "-12-31",
	})
	switch {
	case r.NoRoute():
		w.subsidyNote = "subsidy quotes skipped: POST /subsidy-policies is not routed by this build (404 no route); its weight went to the other classes"
		return nil
	case r.Status != 201:
		w.subsidyNote = "subsidy quotes skipped: creating the policy answered " + r.Brief()
		return nil
	}
	w.policyID = r.Str("id")
	for i := range 8 {
		buyer, seller := w.enterprises[i%len(w.enterprises)], w.universities[i%len(w.universities)]
		mkt := market.MarketLiuzhou
		if i%2 == 1 {
			mkt = market.MarketGuizhong
		}
		no := fmt.Sprintf("LOAD-%s-Q%03d", w.tag, i)
		r := c.Do(ctx, "POST", "/api/v1/transactions", buyer.Token, blackbox.DealBody(mkt, market.ChannelOnline, no, buyer.ID, seller.ID, 2_000_000*int64(i+1), 1_500_000*int64(i+1), w.signedAt))
		if err := r.Expect(201); err != nil {
			return err
		}
		tl.deals.Add(1)
		id := r.Str("id")
		amount := 1_500_000 * int64(i+1)
		if err := c.Do(ctx, "POST", "/api/v1/transactions/"+id+"/payments", buyer.Token, payment(amount, "VQ-"+no, w.signedAt)).Expect(201); err != nil {
			return err
		}
		tl.payments.Add(1)
		tl.paidFen.Add(amount)
		if err := c.Do(ctx, "POST", "/api/v1/transactions/"+id+"/register", w.operator(mkt).Token, registration("REGQ-"+no)).Expect(200); err != nil {
			return err
		}
		tl.registered.Add(1)
		w.quoteDeals = append(w.quoteDeals, dealRef{id, mkt, buyer})
	}
	q := c.Do(ctx, "POST", "/api/v1/subsidies/quote", w.gov.Token, map[string]string{"transaction_id": w.quoteDeals[0].id, "policy_id": w.policyID})
	switch {
	case q.NoRoute():
		w.subsidyNote = "subsidy quotes skipped: POST /subsidies/quote is not routed by this build"
		return nil
	case q.Status != 200:
		w.subsidyNote = "subsidy quotes skipped: a quote answered " + q.Brief()
		return nil
	}
	w.subsidy = true
	return nil
}

func payment(amount int64, voucher string, after time.Time) map[string]any {
	at := time.Now().UTC().Add(-time.Minute)
	if at.Before(after) {
		at = after
	}
	return map[string]any{"amount_fen": amount, "paid_at": at.Format(time.RFC3339), "voucher_no": voucher}
}

func registration(no string) map[string]any {
	return map[string]any{"registration_no": no, "registered_at": time.Now().UTC().Add(-time.Second).Format(time.RFC3339)}
}

// ── the workload ────────────────────────────────────────────────────────

// stats are the requests of one class or endpoint.
type stats struct {
	lat      []time.Duration
	statuses map[int]int
	errs     map[int]int // unexpected statuses; 0 is a transport error
	sample   string      // the first unexpected answer
}

func newStats() *stats { return &stats{statuses: map[int]int{}, errs: map[int]int{}} }

func (s *stats) add(r *blackbox.Response, want []int) {
	s.lat = append(s.lat, r.Latency)
	s.statuses[r.Status]++
	if !slices.Contains(want, r.Status) {
		s.errs[r.Status]++
		if s.sample == "" {
			s.sample = r.Method + " " + r.Path + " → " + r.Brief()
		}
	}
}

func (s *stats) merge(o *stats) {
	s.lat = append(s.lat, o.lat...)
	for k, v := range o.statuses {
		s.statuses[k] += v
	}
	for k, v := range o.errs {
		s.errs[k] += v
	}
	if s.sample == "" {
		s.sample = o.sample
	}
}

type worker struct {
	ctx      context.Context
	c        *blackbox.Client
	w        *world
	tl       *tally
	rnd      *rand.Rand
	issued   *atomic.Int64
	classes  [nClasses]*stats
	byEP     map[string]*stats
	epClass  map[string]int
	etags    map[string]string
	id       int
	weights  [nClasses]int
	totalWgt int
}

func (wk *worker) call(cls int, ep, method, path, token string, body any, want ...int) *blackbox.Response {
	var headers []string
	if b, ok := body.(headerBody); ok {
		body, headers = b.body, b.headers
	}
	wk.issued.Add(1)
	r := wk.c.Do(wk.ctx, method, path, token, body, headers...)
	wk.classes[cls].add(r, want)
	s := wk.byEP[ep]
	if s == nil {
		s = newStats()
		wk.byEP[ep] = s
		wk.epClass[ep] = cls
	}
	s.add(r, want)
	return r
}

// headerBody carries extra headers with a body through call.
type headerBody struct {
	body    any
	headers []string
}

func (wk *worker) pick() int {
	x := wk.rnd.IntN(wk.totalWgt)
	for c, wt := range wk.weights {
		if x < wt {
			return c
		}
		x -= wt
	}
	return classBrowse
}

func pickOne[T any](rnd *rand.Rand, s []T) T { return s[rnd.IntN(len(s))] }

func (wk *worker) browse() {
	w, rnd := wk.w, wk.rnd
	w.mu.RLock()
	ach, dem := pickOne(rnd, w.achievements), itemRef{}
	if len(w.demands) > 0 {
		dem = pickOne(rnd, w.demands)
	}
	w.mu.RUnlock()
	topic := pickOne(rnd, blackbox.Topics)
	anyToken := func() string {
		if rnd.IntN(2) == 0 {
			return ""
		}
		return pickOne(rnd, w.enterprises).Token
	}
	switch x := rnd.IntN(100); {
	case x < 22:
		q := url.Values{"q": {pickOne(rnd, blackbox.Queries)}, "limit": {"10"}}
		if rnd.IntN(3) == 0 {
			q.Set("industry", topic.Industry)
		}
		if rnd.IntN(5) == 0 {
			q.Set("maturity", pickOne(rnd, blackbox.Maturities)+","+pickOne(rnd, blackbox.Maturities))
		}
		if rnd.IntN(6) == 0 {
			q.Set("max_fen", "50000000")
		}
		if rnd.IntN(6) == 0 {
			q.Set("sort", pickOne(rnd, []string{"newest", "price_asc", "price_desc"}))
		}
		if rnd.IntN(5) == 0 {
			q.Set("page", "2")
		}
		wk.call(classBrowse, "GET /search/achievements", "GET", "/api/v1/search/achievements?"+q.Encode(), anyToken(), nil, 200)
	case x < 32:
		q := url.Values{"q": {pickOne(rnd, blackbox.Queries)}, "limit": {"10"}}
		if rnd.IntN(3) == 0 {
			q.Set("mode", pickOne(rnd, blackbox.Modes))
		}
		if rnd.IntN(4) == 0 {
			q.Set("region_code", pickOne(rnd, blackbox.Regions))
		}
		wk.call(classBrowse, "GET /search/demands", "GET", "/api/v1/search/demands?"+q.Encode(), anyToken(), nil, 200)
	case x < 45:
		q := url.Values{"limit": {"20"}}
		if rnd.IntN(2) == 0 {
			q.Set("industry", topic.Industry)
		}
		r := wk.call(classBrowse, "GET /achievements", "GET", "/api/v1/achievements?"+q.Encode(), anyToken(), nil, 200)
		if cur, _ := r.JSON()["next_cursor"].(string); cur != "" && rnd.IntN(3) == 0 {
			q.Set("cursor", cur)
			wk.call(classBrowse, "GET /achievements", "GET", "/api/v1/achievements?"+q.Encode(), anyToken(), nil, 200)
		}
	case x < 53:
		q := url.Values{"limit": {"20"}}
		if rnd.IntN(2) == 0 {
			q.Set("region_code", pickOne(rnd, blackbox.Regions))
		}
		wk.call(classBrowse, "GET /demands", "GET", "/api/v1/demands?"+q.Encode(), anyToken(), nil, 200)
	case x < 73:
		wk.getItem("achievements", ach.id, anyToken())
	case x < 83:
		if dem.id == "" {
			wk.getItem("achievements", ach.id, anyToken())
			return
		}
		wk.getItem("demands", dem.id, anyToken())
	case x < 89:
		wk.call(classBrowse, "GET /achievements/{id}/matches", "GET", "/api/v1/achievements/"+ach.id+"/matches?limit=10", ach.owner.Token, nil, 200)
	case x < 95:
		if dem.id == "" {
			return
		}
		tok := dem.owner.Token
		if rnd.IntN(2) == 0 {
			tok = w.operator(pickOne(rnd, []string{market.MarketLiuzhou, market.MarketGuizhong})).Token
		}
		wk.call(classBrowse, "GET /demands/{id}/matches", "GET", "/api/v1/demands/"+dem.id+"/matches?limit=10", tok, nil, 200)
	default:
		wk.call(classBrowse, "GET /meta", "GET", "/api/v1/meta", "", nil, 200)
	}
}

// getItem reads an item, sending If-None-Match with the ETag it saw last
// time for that item about half the time, as the mobile app does.
func (wk *worker) getItem(kind, id, token string) {
	path := "/api/v1/" + kind + "/" + id
	var b any
	if et := wk.etags[path+token]; et != "" && wk.rnd.IntN(2) == 0 {
		b = headerBody{nil, []string{"If-None-Match", et}}
	}
	r := wk.call(classBrowse, "GET /"+kind+"/{id}", "GET", path, token, b, 200, 304)
	if et := r.Header.Get("ETag"); et != "" && len(wk.etags) < 10_000 {
		wk.etags[path+token] = et
	}
}

func (wk *worker) publishOp() {
	kind := "achievements"
	if wk.rnd.IntN(5) < 2 {
		kind = "demands"
	}
	_, _ = wk.w.publish(wk.ctx, wk.c, wk.tl, kind, int(wk.w.seq.Add(1))+wk.w.setupItems, wk)
}

func (wk *worker) dealOp() {
	w, rnd, tl := wk.w, wk.rnd, wk.tl
	mkt := pickOne(rnd, []string{market.MarketLiuzhou, market.MarketGuizhong})
	buyer, seller := pickOne(rnd, w.enterprises), pickOne(rnd, w.universities)
	channel, creator := market.ChannelOffline, w.operator(mkt).Token
	if rnd.IntN(2) == 0 {
		channel, creator = market.ChannelOnline, buyer.Token
	}
	n := w.seq.Add(1)
	no := fmt.Sprintf("LOAD-%s-%d-%d", w.tag, wk.id, n)
	body, _ := json.Marshal(blackbox.DealBody(mkt, channel, no, buyer.ID, seller.ID, 1_000_000, 800_000, w.signedAt))
	var first any = body
	key := ""
	if rnd.IntN(10) == 0 {
		key = "load-" + blackbox.RandHex(8)
		first = headerBody{body, []string{"Idempotency-Key", key}}
	}
	r := wk.call(classDeals, "POST /transactions", "POST", "/api/v1/transactions", creator, first, 201)
	switch {
	case r.Err != nil:
		tl.dealsUnknown.Add(1)
		return
	case r.Status != 201:
		return
	}
	tl.deals.Add(1)
	id := r.Str("id")
	if key != "" {
		// The client retries as if the answer had been lost.
		r2 := wk.call(classDeals, "POST /transactions (replay)", "POST", "/api/v1/transactions", creator, headerBody{body, []string{"Idempotency-Key", key}}, 201)
		switch {
		case r2.Err != nil, r2.Status == 429, r2.Status >= 500:
			// Not answered: says nothing about idempotency.
		case r2.Status == 201 && r2.Replayed() && string(r2.Body) == string(r.Body):
			tl.replays.Add(1)
		default:
			tl.replayMismatch.Add(1)
			if r2.Status == 201 && !r2.Replayed() {
				tl.deals.Add(1) // it made a second deal: count what the database holds
			}
		}
	}
	for j := range 1 + rnd.IntN(3) {
		const amount = 300_000
		r := wk.call(classDeals, "POST /transactions/{id}/payments", "POST", "/api/v1/transactions/"+id+"/payments", creator,
			payment(amount, fmt.Sprintf("V-%d-%d", n, j), w.signedAt), 201)
		switch {
		case r.Err != nil:
			tl.paymentsUnknown.Add(1)
		case r.Status == 201:
			tl.payments.Add(1)
			tl.paidFen.Add(amount)
		}
	}
	if rnd.IntN(10) < 7 {
		r := wk.call(classDeals, "POST /transactions/{id}/register", "POST", "/api/v1/transactions/"+id+"/register", w.operator(mkt).Token,
			registration(fmt.Sprintf("REG-%s-%d-%d", w.tag, wk.id, n)), 200)
		switch {
		case r.Err != nil:
			tl.registeredUnknown.Add(1)
		case r.Status == 200:
			tl.registered.Add(1)
		}
	}
	if rnd.IntN(2) == 0 {
		wk.call(classDeals, "GET /transactions/{id}", "GET", "/api/v1/transactions/"+id, creator, nil, 200)
	}
	if rnd.IntN(5) == 0 {
		wk.call(classDeals, "GET /transactions", "GET", "/api/v1/transactions?limit=20&market="+mkt, w.operator(mkt).Token, nil, 200)
	}
	w.mu.Lock()
	if len(w.quoteDeals) < 5000 {
		w.quoteDeals = append(w.quoteDeals, dealRef{id, mkt, buyer})
	}
	w.mu.Unlock()
}

func (wk *worker) subsidyOp() {
	w := wk.w
	w.mu.RLock()
	d := pickOne(wk.rnd, w.quoteDeals)
	w.mu.RUnlock()
	tok := d.buyer.Token
	if wk.rnd.IntN(2) == 0 {
		tok = w.gov.Token
	}
	wk.call(classSubsidy, "POST /subsidies/quote", "POST", "/api/v1/subsidies/quote", tok,
		map[string]string{"transaction_id": d.id, "policy_id": w.policyID}, 200)
}

// result is the merged record of a run.
type result struct {
	wall    time.Duration
	classes [nClasses]*stats
	byEP    map[string]*stats
	epClass map[string]int
	ops     int64
}

func runLoad(ctx context.Context, c *blackbox.Client, w *world, tl *tally, o options, weights [nClasses]int) *result {
	total := 0
	for _, x := range weights {
		total += x
	}
	var issued, ops atomic.Int64
	deadline := time.Now().Add(o.duration)
	workers := make([]*worker, o.workers)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		wk := &worker{ctx: ctx, c: c, w: w, tl: tl, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))),
			issued: &issued, byEP: map[string]*stats{}, epClass: map[string]int{}, etags: map[string]string{},
			id: i, weights: weights, totalWgt: total}
		for k := range wk.classes {
			wk.classes[k] = newStats()
		}
		workers[i] = wk
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) && issued.Load() < o.maxRequests {
				ops.Add(1)
				switch wk.pick() {
				case classBrowse:
					wk.browse()
				case classPublish:
					wk.publishOp()
				case classDeals:
					wk.dealOp()
				case classSubsidy:
					wk.subsidyOp()
				}
			}
		}()
	}
	wg.Wait()
	res := &result{wall: time.Since(start), byEP: map[string]*stats{}, epClass: map[string]int{}, ops: ops.Load()}
	for k := range res.classes {
		res.classes[k] = newStats()
	}
	for _, wk := range workers {
		for k, s := range wk.classes {
			res.classes[k].merge(s)
		}
		for ep, s := range wk.byEP {
			if res.byEP[ep] == nil {
				res.byEP[ep] = newStats()
			}
			res.byEP[ep].merge(s)
			res.epClass[ep] = wk.epClass[ep]
		}
	}
	return res
}

func (r *result) requests() int {
	n := 0
	for _, s := range r.classes {
		n += len(s.lat)
	}
	return n
}

// ── report ──────────────────────────────────────────────────────────────

func header(out io.Writer, o options, t *target, weights [nClasses]int) {
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	fmt.Fprintf(out, "### %s, %d instance(s), %d workers, %s\n\n", t.desc, len(t.urls), o.workers, o.duration)
	fmt.Fprintf(out, "%s · %d CPUs (%s) · load client on the same host · weights browse/publish/deals/subsidy = %v\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), model, weights)
}

func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := int(float64(len(s))*p+0.999999) - 1
	return s[max(0, min(len(s)-1, i))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

func errText(s *stats) string {
	if len(s.errs) == 0 {
		return "0"
	}
	var codes []int
	n := 0
	for k, v := range s.errs {
		codes = append(codes, k)
		n += v
	}
	sort.Ints(codes)
	var parts []string
	for _, k := range codes {
		name := strconv.Itoa(k)
		if k == 0 {
			name = "transport"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, s.errs[k]))
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}

func (r *result) write(out io.Writer, weights [nClasses]int) {
	total := 0
	for _, x := range weights {
		total += x
	}
	all := newStats()
	fmt.Fprintln(out, "| class | weight | requests | req/s | p50 ms | p99 ms | errors (by status) |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | --- |")
	for k, s := range r.classes {
		all.merge(s)
		slices.Sort(s.lat)
		if weights[k] == 0 {
			fmt.Fprintf(out, "| %s | 0 | skipped | | | | |\n", classNames[k])
			continue
		}
		fmt.Fprintf(out, "| %s | %d%% | %d | %.0f | %s | %s | %s |\n", classNames[k], weights[k]*100/total, len(s.lat),
			float64(len(s.lat))/r.wall.Seconds(), ms(pct(s.lat, .50)), ms(pct(s.lat, .99)), errText(s))
	}
	slices.Sort(all.lat)
	fmt.Fprintf(out, "| **overall** | | **%d** | **%.0f** | **%s** | **%s** | %s |\n\n", len(all.lat),
		float64(len(all.lat))/r.wall.Seconds(), ms(pct(all.lat, .50)), ms(pct(all.lat, .99)), errText(all))
	fmt.Fprintf(out, "%d operations in %.1f s (%.0f ops/s); an operation is one browse request, or a publish (create + submit + review), or a deal (create, 1–3 payments, 70%% registered, reads), or one quote.\n\n",
		r.ops, r.wall.Seconds(), float64(r.ops)/r.wall.Seconds())

	eps := make([]string, 0, len(r.byEP))
	for ep := range r.byEP {
		eps = append(eps, ep)
	}
	sort.Slice(eps, func(i, j int) bool {
		if r.epClass[eps[i]] != r.epClass[eps[j]] {
			return r.epClass[eps[i]] < r.epClass[eps[j]]
		}
		return eps[i] < eps[j]
	})
	fmt.Fprintln(out, "<details><summary>per endpoint</summary>")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| endpoint | requests | p50 ms | p99 ms | max ms | statuses | errors |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | --- | --- |")
	var samples []string
	for _, ep := range eps {
		s := r.byEP[ep]
		slices.Sort(s.lat)
		var st []string
		var codes []int
		for k := range s.statuses {
			codes = append(codes, k)
		}
		sort.Ints(codes)
		for _, k := range codes {
			st = append(st, fmt.Sprintf("%d×%d", k, s.statuses[k]))
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s | %s | %s | %s |\n", ep, len(s.lat), ms(pct(s.lat, .5)), ms(pct(s.lat, .99)),
			ms(s.lat[len(s.lat)-1]), strings.Join(st, " "), errText(s))
		if s.sample != "" {
			samples = append(samples, s.sample)
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "</details>")
	fmt.Fprintln(out)
	if len(samples) > 0 {
		fmt.Fprintln(out, "First unexpected answer per endpoint:")
		fmt.Fprintln(out)
		for _, s := range samples {
			fmt.Fprintf(out, "- `%s`\n", strings.ReplaceAll(s, "`", "'"))
		}
		fmt.Fprintln(out)
	}
}

// ── CPU accounting ──────────────────────────────────────────────────────

type cpuSample map[string]float64 // process label → CPU seconds

// machineKey holds the whole machine's busy time in a sample.
const machineKey = "\x00machine"

func procCPU(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100, true // USER_HZ is 100 on Linux
}

// cpuSnapshot reads the CPU time of the servers, of this process and of
// the database and cache servers on this machine.
func cpuSnapshot(t *target) cpuSample {
	s := cpuSample{}
	for _, srv := range t.servers {
		if v, ok := procCPU(srv.Pid()); ok {
			s["techmarket serve ("+srv.Name+")"] = v
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s["load client (this process)"] = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		busy := 0.0
		for i, v := range f[1:] {
			x, _ := strconv.ParseFloat(v, 64)
			if i != 3 && i != 4 && i < 7 { // user to softirq but idle and iowait; steal is not ours, guest is inside user
				busy += x
			}
		}
		s[machineKey] = busy / 100
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil {
			continue
		}
		switch name := strings.TrimSpace(string(comm)); name {
		case "techmarket":
			// Servers this run did not start (-url, -urls).
			if len(t.servers) == 0 {
				if v, ok := procCPU(pid); ok {
					s[fmt.Sprintf("techmarket (pid %d)", pid)] = v
				}
			}
		case "mariadbd", "mysqld", "redis-server", "meilisearch":
			if t.dialect == "sqlite" {
				continue // not part of this stack: other people's tests, counted under "other processes"
			}
			if v, ok := procCPU(pid); ok {
				s[name] += v
			}
		}
	}
	return s
}

func writeCPU(out io.Writer, a, b cpuSample, wall time.Duration, requests int) {
	var names []string
	for k := range b {
		names = append(names, k)
	}
	sort.Strings(names)
	names = slices.DeleteFunc(names, func(n string) bool { return n == machineKey })
	fmt.Fprintf(out, "CPU used during the %.1f s of load (%d cores = %.0f CPU-seconds available):\n\n", wall.Seconds(), runtime.NumCPU(), wall.Seconds()*float64(runtime.NumCPU()))
	fmt.Fprintln(out, "| process | CPU s | cores busy |")
	fmt.Fprintln(out, "| --- | ---: | ---: |")
	sum := 0.0
	for _, n := range names {
		d := b[n] - a[n]
		sum += d
		fmt.Fprintf(out, "| %s | %.1f | %.2f |\n", n, d, d/wall.Seconds())
	}
	fmt.Fprintf(out, "| all of the above | %.1f | %.2f |\n", sum, sum/wall.Seconds())
	service := 0.0 // the servers, the database and the cache: not the client
	for _, n := range names {
		if !strings.HasPrefix(n, "load client") {
			service += b[n] - a[n]
		}
	}
	if m := b[machineKey] - a[machineKey]; m > 0 {
		fmt.Fprintf(out, "| other processes on the machine (other engineers' builds and tests) | %.1f | %.2f |\n", max(0, m-sum), max(0, m-sum)/wall.Seconds())
		fmt.Fprintf(out, "| whole machine (/proc/stat, steal excluded) | %.1f | %.2f |\n", m, m/wall.Seconds())
	}
	if service > 0 {
		fmt.Fprintf(out, "\nCost: %.2f ms of CPU per request in the service stack (servers + database + cache), i.e. %.0f requests per CPU-second: the figure to compare when other processes share the cores.\n",
			service*1000/float64(requests), float64(requests)/service)
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(out, "\nLoad average at the end: %s\n", strings.Join(strings.Fields(string(la))[:3], " "))
	}
	fmt.Fprintln(out)
}

// ── after the run ───────────────────────────────────────────────────────

type counts struct {
	items, published, deals, payments, registered int64
	paidFen                                       int64
}

func countRows(ctx context.Context, db *sql.DB) (counts, error) {
	var c counts
	for _, q := range []struct {
		sql string
		dst *int64
	}{
		{"SELECT COUNT(*) FROM items", &c.items},
		{"SELECT COUNT(*) FROM items WHERE status = 'published'", &c.published},
		{"SELECT COUNT(*) FROM transactions", &c.deals},
		{"SELECT COUNT(*) FROM payments", &c.payments},
		{"SELECT COALESCE(SUM(amount_fen), 0) FROM payments", &c.paidFen},
		{"SELECT COUNT(*) FROM transactions WHERE registration_no IS NOT NULL", &c.registered},
	} {
		if err := db.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return c, fmt.Errorf("%s: %w", q.sql, err)
		}
	}
	return c, nil
}

type check struct {
	what     string
	acked    string
	unknown  int64
	observed string
	ok       bool
}

// within reports whether the database delta lies between what was
// acknowledged and that plus the requests whose answer never came.
func within(what string, acked, unknown, delta int64) check {
	return check{what, strconv.FormatInt(acked, 10), unknown, strconv.FormatInt(delta, 10), delta >= acked && delta <= acked+unknown}
}

func postChecks(ctx context.Context, c *blackbox.Client, w *world, t *target, tl *tally, before counts, searchCheck bool) []check {
	var out []check
	if t.db != nil {
		after, err := countRows(ctx, t.db)
		if err != nil {
			return []check{{what: "count rows", observed: err.Error()}}
		}
		out = append(out,
			within("items created (POST /demands, /achievements → 201)", tl.items.Load(), tl.itemsUnknown.Load(), after.items-before.items),
			within("items published (review approve → 200)", tl.published.Load(), tl.publishedUnknown.Load(), after.published-before.published),
			within("transactions (POST /transactions → 201, replays not counted)", tl.deals.Load(), tl.dealsUnknown.Load(), after.deals-before.deals),
			within("payments (POST …/payments → 201)", tl.payments.Load(), tl.paymentsUnknown.Load(), after.payments-before.payments),
			within("registrations (POST …/register → 200)", tl.registered.Load(), tl.registeredUnknown.Load(), after.registered-before.registered),
		)
		if tl.paymentsUnknown.Load() == 0 {
			out = append(out, within("sum of payments, fen", tl.paidFen.Load(), 0, after.paidFen-before.paidFen))
		}
		var bad, over int64
		_ = t.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM transactions t WHERE t.paid_fen <>
			(SELECT COALESCE(SUM(p.amount_fen), 0) FROM payments p WHERE p.transaction_id = t.id)`).Scan(&bad)
		_ = t.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM transactions WHERE paid_fen > contract_amount_fen`).Scan(&over)
		out = append(out,
			check{"deals whose paid_fen differs from their payments", "0", 0, strconv.FormatInt(bad, 10), bad == 0},
			check{"deals paid past their contract amount", "0", 0, strconv.FormatInt(over, 10), over == 0})

		// Search follows the database through the outbox; with one
		// embedded index per instance only a single instance's view is
		// complete, so check it when there is one instance.
		if !searchCheck {
			t.notes = append(t.notes, "search completeness not checked (-search-check=false)")
		} else if len(t.urls) == 1 || os.Getenv("TECHMARKET_MEILI_URL") != "" {
			var pub int64
			_ = t.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM items WHERE kind = 'achievement' AND status = 'published'").Scan(&pub)
			var total int64
			start := time.Now()
			for time.Since(start) < 20*time.Second {
				r := c.DoAt(ctx, 0, "GET", "/api/v1/search/achievements?limit=1", "", nil)
				var m struct {
					Total int64 `json:"total"`
				}
				_ = json.Unmarshal(r.Body, &m)
				if total = m.Total; total == pub {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			out = append(out, check{fmt.Sprintf("published achievements found by search (after %.1fs)", time.Since(start).Seconds()),
				strconv.FormatInt(pub, 10) + " in DB", 0, strconv.FormatInt(total, 10), total == pub})
		} else {
			t.notes = append(t.notes, "search completeness not checked: each instance has its own embedded index, and the outbox applies a change to one of them")
		}
	}
	out = append(out, check{"Idempotency-Key replays answered identically", strconv.FormatInt(tl.replays.Load()+tl.replayMismatch.Load(), 10), 0,
		strconv.FormatInt(tl.replays.Load(), 10), tl.replayMismatch.Load() == 0})
	r := c.Do(ctx, "GET", "/api/v1/audit/verify", w.adminToken, nil)
	ok, _ := r.JSON()["ok"].(bool)
	checked, _ := r.JSON()["checked"].(float64)
	out = append(out, check{"audit chain verifies (GET /audit/verify)", "ok", 0, fmt.Sprintf("%v, %d events", ok, int64(checked)), ok && r.Status == 200})
	return out
}

func writeChecks(out io.Writer, checks []check) {
	fmt.Fprintln(out, "Nothing is lost — acknowledged writes against the database (deltas over the run, setup included):")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| check | acknowledged | no answer | database | ok |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | :---: |")
	for _, c := range checks {
		mark := "yes"
		if !c.ok {
			mark = "**NO**"
		}
		fmt.Fprintf(out, "| %s | %s | %d | %s | %s |\n", c.what, c.acked, c.unknown, c.observed, mark)
	}
	fmt.Fprintln(out)
}
