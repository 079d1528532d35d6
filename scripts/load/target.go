package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/glebarez/go-sqlite"
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/liuzhou-techmarket/techmarket/internal/blackbox"
)

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
