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
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/glebarez/go-sqlite"
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
	classTransactions
	classSubsidy
	nClasses
)

var classNames = [nClasses]string{"browse + search", "publish", "deals + payments", "subsidy quotes"}
