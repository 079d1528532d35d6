// Command exportbench measures catalog exports on the embedded default
// (SQLite). The first run seeds -n published demands into -dir (straight
// into the items table, which takes seconds instead of the minutes the API
// would), then compiles and publishes a catalog of them through the API,
// timing the snapshot. Every run downloads the chosen formats over real
// HTTP and reports time, size and the Go heap at its peak while the export
// streams. Run one format per process under /usr/bin/time -v to see the
// whole process's peak RSS:
//
//	go run ./scripts/exportbench -dir /tmp/eb -n 20000 -format none   # seed and publish
//	go build -o /tmp/exportbench ./scripts/exportbench
//	/usr/bin/time -v /tmp/exportbench -dir /tmp/eb -format xlsx
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "exportbench:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "/tmp/exportbench", "data directory (SQLite); seeded on first use")
	n := flag.Int("n", 20000, "published demands to seed")
	format := flag.String("format", "all", "csv, xlsx, json, all or none")
	gzip := flag.Bool("gzip", false, "ask for a gzip-compressed download, as browsers do")
	draft := flag.Bool("draft", false, "export a new draft (the operator's live preview) instead of the published catalog")
	flag.Parse()

	env := map[string]string{"TECHMARKET_DATA_DIR": *dir, "TECHMARKET_BCRYPT_COST": "4",
		"TECHMARKET_JWT_SECRET": "exportbench-secret-exportbench-secret", "TECHMARKET_LOG_LEVEL": "error"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	ctx := context.Background()
	sys, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer sys.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := sys.Server()
	go func() { _ = srv.App.Listener(ln) }()
	defer srv.App.Shutdown()
	base := "http://" + ln.Addr().String() + "/api/v1"

	idFile := filepath.Join(*dir, "catalog.id")
	id, err := os.ReadFile(idFile)
	if errors.Is(err, os.ErrNotExist) {
		if id, err = seed(ctx, sys, base, *n); err != nil {
			return err
		}
		err = os.WriteFile(idFile, id, 0o600)
	}
	if err != nil {
		return err
	}
	token := ""
	if *draft {
		if token, err = login(base, "bench-op@example.com", "bench-pass-1"); err != nil {
			return err
		}
		var cat map[string]any
		body := map[string]any{"kind": "demand", "title": "基准测试草稿目录", "period": "2026-Q4"}
		if err := call("POST", base+"/catalogs", token, body, &cat); err != nil {
			return err
		}
		id = []byte(cat["id"].(string))
		fmt.Printf("draft catalog previews %v items\n", cat["item_count"])
	}
	formats := []string{"csv", "xlsx", "json"}
	switch *format {
	case "all":
	case "none":
		formats = nil
	default:
		formats = strings.Split(*format, ",")
	}
	for _, f := range formats {
		if err := measure(base, string(id), token, f, *gzip); err != nil {
			return err
		}
	}
	return nil
}

// measure downloads one export and reports what it cost.
func measure(base, id, token, format string, gzip bool) error {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	req, err := http.NewRequest("GET", base+"/catalogs/"+id+"/export?format="+format, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if gzip {
		req.Header.Set("Accept-Encoding", "gzip") // set by hand: the body stays compressed
	}
	res, err := http.DefaultTransport.(*http.Transport).RoundTrip(req)
	if err != nil {
		return err
	}
	var first time.Duration
	fr := &firstByte{r: res.Body, at: func() { first = time.Since(start) }}
	size, err := io.Copy(io.Discard, fr)
	res.Body.Close()
	took := time.Since(start)
	close(stop)
	<-done
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("%s export: status %d", format, res.StatusCode)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if gzip && res.Header.Get("Content-Encoding") == "gzip" {
		format += ".gz"
	}
	fmt.Printf("%-7s  %7.2f MiB  total %6.0f ms  first byte %6.0f ms  heap in use: before %5.1f MiB, peak %5.1f MiB  allocated %7.1f MiB\n",
		format, mib(uint64(size)), ms(took), ms(first), mib(before.HeapInuse), mib(peak.Load()), mib(after.TotalAlloc-before.TotalAlloc))
	return nil
}

type firstByte struct {
	r    io.Reader
	at   func()
	seen bool
}

func (f *firstByte) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && !f.seen {
		f.seen = true
		f.at()
	}
	return n, err
}

func mib(b uint64) float64       { return float64(b) / (1 << 20) }
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// seed makes an operator and an enterprise, inserts n published demands
// and publishes a catalog of all of them, returning its id.
func seed(ctx context.Context, sys *app.System, base string, n int) ([]byte, error) {
	admin := market.NewUser{Account: "bench-admin@example.com", Password: "bench-pass-1", Name: "基准管理员"}
	if _, err := sys.Orgs.CreatePlatformAdmin(ctx, admin); err != nil {
		return nil, err
	}
	adminToken, err := login(base, admin.Account, admin.Password)
	if err != nil {
		return nil, err
	}
	reg := func(kind, code, account string) map[string]any {
		r := map[string]any{"kind": kind, "name": "基准" + kind, "credit_code": code, "region_code": "450206",
			"contact_name": "联系人", "contact_phone": "0772-1234567",
			"admin": map[string]any{"account": account, "password": "bench-pass-1", "name": "管理员"}}
		if kind == market.OrgOperator {
			r["market"] = market.MarketLiuzhou
		}
		return r
	}
	var op, ent map[string]any
	if err := call("POST", base+"/orgs", adminToken, reg(market.OrgOperator, creditCode("91450200MA5L00001"), "bench-op@example.com"), &op); err != nil {
		return nil, err
	}
	if err := call("POST", base+"/orgs", "", reg(market.OrgEnterprise, creditCode("91450200MA5L00002"), "bench-ent@example.com"), &ent); err != nil {
		return nil, err
	}
	if err := insertDemands(ctx, sys.DB.SQL(), ent["id"].(string), n); err != nil {
		return nil, err
	}
	opToken, err := login(base, "bench-op@example.com", "bench-pass-1")
	if err != nil {
		return nil, err
	}
	var cat map[string]any
	body := map[string]any{"kind": "demand", "title": "基准测试技术需求目录", "period": "2026-Q4"}
	if err := call("POST", base+"/catalogs", opToken, body, &cat); err != nil {
		return nil, err
	}
	id := cat["id"].(string)
	start := time.Now()
	if err := call("POST", base+"/catalogs/"+id+"/publish", opToken, nil, &cat); err != nil {
		return nil, err
	}
	fmt.Printf("seeded %d demands; publishing the catalog (snapshot of %v items) took %.0f ms\n", n, cat["item_count"], ms(time.Since(start)))
	return []byte(id), nil
}

// insertDemands writes n published demands in one transaction.
func insertDemands(ctx context.Context, db *sql.DB, orgID string, n int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO items (id, kind, org_id, status, title, body, industry, keywords, modes,
		region_code, contact_name, contact_phone, budget_min_fen, budget_max_fen, deadline, maturity, asking_price_fen,
		patent_numbers, inventors, rejection_reason, submitted_at, published_at, created_at, updated_at)
		VALUES (?, 'demand', ?, 'published', ?, ?, ?, ?, '["transfer","joint_development"]', ?, '王工', '13877200000',
		?, ?, '2030-12-31', '', 0, '[]', '[]', '', ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range n {
		ind := market.Industries[i%len(market.Industries)].Code
		kw, _ := json.Marshal([]string{"关键词" + fmt.Sprint(i%97), "轻量化"})
		body := fmt.Sprintf("第%d项需求：我公司需要降低整备质量的车身减重方案，目标减重百分之十以上，欢迎高校院所对接。", i) +
			strings.Repeat("需求详情说明。", 20)
		if _, err := stmt.ExecContext(ctx, ulid.Make().String(), orgID, fmt.Sprintf("第%d项 汽车车身轻量化技术需求", i), body, ind,
			string(kw), market.Regions[i%len(market.Regions)].Code, int64(i)*1000, int64(i)*1000+500000, now, now, now, now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// creditCode completes a 17-character body with its check character.
func creditCode(body string) string {
	c, _ := market.CreditCodeCheckChar(body)
	return body + string(c)
}

func login(base, account, password string) (string, error) {
	var t market.Tokens
	err := call("POST", base+"/auth/login", "", map[string]string{"account": account, "password": password}, &t)
	return t.AccessToken, err
}

func call(method, url, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, res.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}
