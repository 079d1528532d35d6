// Command dealsload measures deal writes on MariaDB/MySQL over real HTTP on
// loopback: creating transactions and adding payments (to one hot deal,
// and spread over many), reporting throughput and latency percentiles. It
// runs the production wiring (internal/app) in process against a fresh
// database it creates and drops, so the numbers include routing, JSON,
// auth, idempotency-free writes, the audit chain and the commit.
//
//	go run ./scripts/dealsload -dsn 'root@tcp(127.0.0.1:3306)/' -redis redis://127.0.0.1:6379/0
//
// With -compare-flush it runs a second time with
// innodb_flush_log_at_trx_commit=2 (redo written at commit, synced once a
// second) and restores the server's value afterwards, to show what the
// durable default's fsync costs. It also times raw single-row commits at
// each setting. Do not use -compare-flush on a server others rely on.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/blackbox"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func main() {
	dsn := flag.String("dsn", "root@tcp(127.0.0.1:3306)/", "MariaDB/MySQL server DSN (a fresh database is created on it)")
	redisURL := flag.String("redis", "", "Redis URL (empty: in-process cache)")
	workers := flag.Int("workers", 16, "concurrent clients")
	n := flag.Int("n", 2000, "requests per phase")
	compare := flag.Bool("compare-flush", false, "rerun with innodb_flush_log_at_trx_commit=2, then restore it")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (client and server) here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "dealsload:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*dsn, *redisURL, *workers, *n, *compare); err != nil {
		fmt.Fprintln(os.Stderr, "dealsload:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(serverDSN, redisURL string, workers, n int, compare bool) error {
	admin, err := sql.Open("mysql", serverDSN)
	if err != nil {
		return err
	}
	defer admin.Close()
	admin.SetMaxOpenConns(1) // SET GLOBAL and the raw commit test on one session
	var version, flush, flushMethod, syncBinlog, logBin string
	_ = admin.QueryRow("SELECT VERSION()").Scan(&version)
	_ = admin.QueryRow("SELECT @@innodb_flush_log_at_trx_commit, @@innodb_flush_method, @@sync_binlog, @@log_bin").
		Scan(&flush, &flushMethod, &syncBinlog, &logBin)
	fmt.Printf("server %s: innodb_flush_log_at_trx_commit=%s innodb_flush_method=%s sync_binlog=%s log_bin=%s\n",
		version, flush, flushMethod, syncBinlog, logBin)
	fmt.Printf("workers %d, %d requests per phase; client and server share this host's %d CPUs\n\n", workers, n, runtime.NumCPU())

	settings := []string{flush}
	if compare && flush != "2" {
		settings = append(settings, "2")
		// Put the durable setting back whatever happens, Ctrl-C included.
		restore := func() {
			if _, err := admin.Exec("SET GLOBAL innodb_flush_log_at_trx_commit = " + flush); err != nil {
				fmt.Fprintln(os.Stderr, "RESTORE FAILED: set innodb_flush_log_at_trx_commit back to", flush, "by hand:", err)
			}
		}
		defer restore()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		go func() { <-sig; restore(); os.Exit(130) }()
	}
	for _, s := range settings {
		if _, err := admin.Exec("SET GLOBAL innodb_flush_log_at_trx_commit = " + s); err != nil {
			return fmt.Errorf("set flush %s: %w", s, err)
		}
		fmt.Printf("── innodb_flush_log_at_trx_commit=%s ──\n", s)
		if err := rawCommits(admin, 500); err != nil {
			return err
		}
		if err := httpPhases(serverDSN, redisURL, workers, n); err != nil {
			return err
		}
		fmt.Println()
	}
	return nil
}

// rawCommits times serial autocommitted single-row inserts: one redo log
// write (and, at setting 1, one fsync) each.
func rawCommits(db *sql.DB, n int) error {
	name := "dealsload_raw_" + randHex(4)
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		return err
	}
	defer db.Exec("DROP DATABASE " + name)
	if _, err := db.Exec("CREATE TABLE " + name + ".t (id BIGINT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"); err != nil {
		return err
	}
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	for i := range n {
		t := time.Now()
		if _, err := db.Exec("INSERT INTO "+name+".t VALUES (?, ?)", i, "x"); err != nil {
			return err
		}
		lat = append(lat, time.Since(t))
	}
	report("raw INSERT commit, serial", lat, time.Since(start))
	return nil
}

// httpPhases starts the service on a fresh database and measures it.
func httpPhases(serverDSN, redisURL string, workers, n int) error {
	ctx := context.Background()
	dbName := "dealsload_" + randHex(4)
	admin, _ := sql.Open("mysql", serverDSN)
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + dbName + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return err
	}
	defer admin.Exec("DROP DATABASE " + dbName)
	mc, err := gomysql.ParseDSN(serverDSN)
	if err != nil {
		return err
	}
	mc.DBName = dbName

	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		return err
	}
	dir, _ := os.MkdirTemp("", "dealsload")
	defer os.RemoveAll(dir)
	cfg.DataDir, cfg.DBDSN, cfg.RedisURL, cfg.RedisPrefix = dir, mc.FormatDSN(), redisURL, "dealsload_"+randHex(4)+":"
	cfg.SearchDir, cfg.FilesDir = filepath.Join(dir, "search"), filepath.Join(dir, "files")
	cfg.RateLimit, cfg.RegisterLimit, cfg.PasswordCost, cfg.JWTSecret = 0, 0, 4, "dealsload-secret-dealsload-secret-0123"
	sys, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer sys.Close()
	srv := sys.Server()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = srv.App.Listener(ln) }()
	defer srv.Shutdown(ctx)

	c := &client{base: "http://" + ln.Addr().String() + "/api/v1", http: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}, Timeout: time.Minute}}
	if _, err := sys.Orgs.CreatePlatformAdmin(ctx, market.NewUser{Account: "bench@example.com", Password: "bench-pass-1", Name: "bench"}); err != nil {
		return err
	}
	adminTok, err := c.login("bench@example.com")
	if err != nil {
		return err
	}
	buyer, err := c.org(adminTok, market.OrgEnterprise, "")
	if err != nil {
		return err
	}
	seller, err := c.org(adminTok, market.OrgUniversity, "")
	if err != nil {
		return err
	}
	op, err := c.org(adminTok, market.OrgOperator, market.MarketLiuzhou)
	if err != nil {
		return err
	}
	signed := time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	deal := func(i int, amount int64) map[string]any {
		return map[string]any{"market": "liuzhou", "channel": "offline", "contract_type": "transfer",
			"contract_no": fmt.Sprintf("LOAD-%s-%06d", dbName, i), "title": "压测技术转让合同",
			"buyer_org_id": buyer.id, "seller_org_id": seller.id,
			"contract_amount_fen": amount, "tech_amount_fen": amount, "signed_at": signed}
	}
	var ids []string
	var idsMu sync.Mutex
	if err := phase("POST /transactions", workers, n, func(i int) error {
		id, err := c.post(op.token, "/transactions", deal(i, 1_000_000), 201)
		idsMu.Lock()
		ids = append(ids, id)
		idsMu.Unlock()
		return err
	}); err != nil {
		return err
	}
	// Every worker pays into the same deal at once; the deal changes every
	// perHot payments so answers (which list every payment) stay the size
	// of a real deal's instead of growing with n.
	const perHot = 50
	hot := make([]string, n/perHot+1)
	for i := range hot {
		if hot[i], err = c.post(op.token, "/transactions", deal(n+1+i, market.MaxAmountFen), 201); err != nil {
			return err
		}
	}
	pay := func(i int) map[string]any {
		return map[string]any{"amount_fen": 100, "paid_at": signed, "voucher_no": fmt.Sprintf("V-%06d", i)}
	}
	if err := phase("POST /payments, one hot deal", workers, n, func(i int) error {
		_, err := c.post(op.token, "/transactions/"+hot[i/perHot]+"/payments", pay(i), 201)
		return err
	}); err != nil {
		return err
	}
	return phase("POST /payments, spread over deals", workers, n, func(i int) error {
		_, err := c.post(op.token, "/transactions/"+ids[i%len(ids)]+"/payments", pay(i), 201)
		return err
	})
}

// phase runs n calls of do over workers goroutines and reports them.
func phase(name string, workers, n int, do func(i int) error) error {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				if err := do(i); err != nil {
					once.Do(func() { firstErr = err })
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	report(name, lat, time.Since(start))
	return firstErr
}

func report(name string, lat []time.Duration, wall time.Duration) {
	s := slices.Clone(lat)
	slices.Sort(s)
	pct := func(p float64) time.Duration { return s[min(len(s)-1, int(float64(len(s))*p))] }
	fmt.Printf("  %-36s %7.0f req/s   p50 %6.2f ms   p99 %6.2f ms   max %6.2f ms   (n=%d)\n",
		name, float64(len(s))/wall.Seconds(), ms(pct(0.50)), ms(pct(0.99)), ms(s[len(s)-1]), len(s))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type client struct {
	base string
	http *http.Client
}

type account struct{ id, token string }

func (c *client) do(token, method, path string, body any, want int) (map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, rb)
	}
	var m map[string]any
	_ = json.Unmarshal(rb, &m)
	return m, nil
}

func (c *client) post(token, path string, body any, want int) (string, error) {
	m, err := c.do(token, "POST", path, body, want)
	if err != nil {
		return "", err
	}
	id, _ := m["id"].(string)
	return id, nil
}

func (c *client) login(acct string) (string, error) {
	m, err := c.do("", "POST", "/auth/login", map[string]string{"account": acct, "password": "bench-pass-1"}, 200)
	if err != nil {
		return "", err
	}
	tok, _ := m["access_token"].(string)
	if tok == "" {
		return "", errors.New("login: no access token")
	}
	return tok, nil
}

// org registers a verified org of kind (through the admin) and signs in.
func (c *client) org(adminTok, kind, mkt string) (account, error) {
	acct := fmt.Sprintf("%s-%s@example.com", kind, randHex(3))
	reg := map[string]any{"kind": kind, "name": "压测" + kind + randHex(2), "credit_code": blackbox.CreditCode(),
		"region_code": "450206", "contact_name": "联系人", "contact_phone": "0772-1234567",
		"admin": map[string]any{"account": acct, "password": "bench-pass-1", "name": "管理员"}}
	if mkt != "" {
		reg["market"] = mkt
	}
	tok := ""
	if kind == market.OrgOperator {
		tok = adminTok
	}
	id, err := c.post(tok, "/orgs", reg, 201)
	if err != nil {
		return account{}, err
	}
	if kind != market.OrgOperator {
		if _, err := c.post(adminTok, "/orgs/"+id+"/verify", nil, 200); err != nil {
			return account{}, err
		}
	}
	t, err := c.login(acct)
	return account{id, t}, err
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
