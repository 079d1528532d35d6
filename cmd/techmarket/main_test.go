package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestRun drives the binary's own entry point: admin create and seed write
// to a data dir, serve on the same environment sees them, and a cancelled
// context shuts the server down cleanly.
func TestRun(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{
		"TECHMARKET_DATA_DIR": t.TempDir(), "TECHMARKET_ADDR": addr, "TECHMARKET_BCRYPT_COST": "4",
	}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"admin", "create", "--account", "root@example.com", "--password", "root-pass-1"}, getenv, &out, &out); err != nil {
		t.Fatalf("admin create: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"seed", "--demo", "--password", "demo-pass-1"}, getenv, &out, &out); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if !strings.Contains(out.String(), "loaded 32 orgs") || !strings.Contains(out.String(), "2 subsidy policies, 2 notices, 2 auctions, 9 instruments, 10 bookings, 5 services, 5 service orders") {
		t.Fatalf("seed output: %s", out.String())
	}
	if err := run(ctx, []string{"migrate"}, getenv, &out, &out); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := run(ctx, []string{"bogus"}, getenv, &out, &out); err == nil {
		t.Fatal("unknown command accepted")
	}

	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- run(sctx, []string{"serve"}, getenv, &logs, &logs) }()
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, acct := range []string{"root@example.com:root-pass-1", "lzmarket-admin@example.com:demo-pass-1"} {
		a, p, _ := strings.Cut(acct, ":")
		body, _ := json.Marshal(map[string]string{"account": a, "password": p})
		res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("login %s: %d", a, res.StatusCode)
		}
	}
	res, err := http.Get(base + "/api/v1/achievements?limit=100")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	_ = json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	if len(page.Items) < 50 {
		t.Fatalf("published demo achievements: %d", len(page.Items))
	}
	// The demo instruments, with the ratings of their reviewed bookings.
	res, err = http.Get(base + "/api/v1/instruments?limit=100")
	if err != nil {
		t.Fatal(err)
	}
	var instruments struct {
		Items []struct {
			Name      string   `json:"name"`
			RatingAvg *float64 `json:"rating_avg"`
		} `json:"items"`
	}
	_ = json.NewDecoder(res.Body).Decode(&instruments)
	res.Body.Close()
	if len(instruments.Items) != 9 {
		t.Fatalf("demo instruments: %d", len(instruments.Items))
	}
	for _, x := range instruments.Items {
		if x.Name == "场发射扫描电子显微镜" && (x.RatingAvg == nil || *x.RatingAvg != 4.5) {
			t.Fatalf("demo SEM rating: %v", x.RatingAvg)
		}
	}
	// reindex while serve holds the embedded index: a quick, clear refusal
	// instead of waiting forever for the index's file lock.
	started := time.Now()
	err = run(ctx, []string{"reindex"}, getenv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "in use by another process (stop serve first)") {
		t.Fatalf("reindex while serving: %v", err)
	}
	if took := time.Since(started); took > 15*time.Second {
		t.Fatalf("reindex took %s to refuse", took)
	}
	// A client that connected but sent nothing must not hold the shutdown.
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	stopAt := time.Now()
	cancel()
	select {
	case err := <-done:
		if took := time.Since(stopAt); took > 5*time.Second {
			t.Fatalf("shutdown took %s with a silent connection open", took)
		}
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop in logs:\n%s", logs.String())
	}
	out.Reset()
	if err := run(ctx, []string{"reindex"}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), "reindexed") {
		t.Fatalf("reindex after serve stopped: %v\n%s", err, out.String())
	}
}

// startServe runs serve on env until the test ends and waits until it
// answers /healthz.
func startServe(t *testing.T, getenv func(string) string, addr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() { done <- run(ctx, []string{"serve"}, getenv, &logs, &logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(25 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer that serve's goroutines may write to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runWithin runs a command and fails the test if it has not finished in
// time: before, admin create and seed waited forever on the search
// index's file lock, which a running serve holds on the embedded default.
func runWithin(t *testing.T, d time.Duration, args []string, getenv func(string) string) string {
	t.Helper()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), args, getenv, &out, &out) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	case <-time.After(d):
		t.Fatalf("%s still running after %s while serve runs", strings.Join(args, " "), d)
	}
	return out.String()
}

// admin create and seed open only the database, so they work while serve
// runs on the embedded default; serve's outbox worker indexes what seed
// wrote, and serve sees the new admin at once.
func TestCommandsWhileServing(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{
		"TECHMARKET_DATA_DIR": t.TempDir(), "TECHMARKET_ADDR": addr, "TECHMARKET_BCRYPT_COST": "4",
	}
	getenv := func(k string) string { return env[k] }
	startServe(t, getenv, addr)
	base := "http://" + addr

	out := runWithin(t, 30*time.Second, []string{"admin", "create", "--account", "Late@Example.com", "--password", "late-pass-1"}, getenv)
	if !strings.Contains(out, "created platform admin late@example.com") {
		t.Fatalf("admin create: %s", out)
	}
	out = runWithin(t, 60*time.Second, []string{"seed", "--demo", "--password", "demo-pass-1"}, getenv)
	if !strings.Contains(out, "loaded 32 orgs") {
		t.Fatalf("seed: %s", out)
	}
	body, _ := json.Marshal(map[string]string{"account": "late@example.com", "password": "late-pass-1"})
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("login as the admin created while serving: %d", res.StatusCode)
	}
	// The running server's worker indexes the seeded items.
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/api/v1/search/achievements?q=" + url.QueryEscape("汽车") + "&limit=5")
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Total int `json:"total"`
		}
		_ = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if page.Total > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("seeded achievements never reached the search index of the running server")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
