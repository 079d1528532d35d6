package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/auth"
	"github.com/liuzhou-techmarket/techmarket/internal/config"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/outbox"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// open loads the configuration and opens the whole system (database,
// cache, search engine), logging to logw: serve and reindex need it all.
func open(ctx context.Context, getenv func(string) string, logw io.Writer) (*app.System, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, app.NewLogger(cfg, logw))
}

// openDB loads the configuration and opens (and migrates) the database
// only. Commands that write through the store use it, so they run while
// serve holds the embedded search index, which belongs to one process; the
// outbox rows they write are indexed by the running server's worker, or by
// the next one to start.
func openDB(ctx context.Context, getenv func(string) string, logw io.Writer) (*store.DB, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	return app.OpenDB(ctx, cfg, app.NewLogger(cfg, logw))
}

func cmdServe(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	sys, err := open(ctx, getenv, stdout)
	if err != nil {
		return err
	}
	defer sys.Close()
	if err := sys.Auth.WarmRevocations(ctx); err != nil {
		return fmt.Errorf("load revocations: %w", err)
	}
	srv := sys.Server()
	// The outbox worker runs in every instance; leases keep them from
	// applying the same change twice.
	wctx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); sys.Outbox.Run(wctx) }()
	// The vocabulary watcher, too, runs in every instance: each applies the
	// synonym groups to its own engines and matching.
	vocabDone := make(chan struct{})
	go func() { defer close(vocabDone); sys.Vocabulary.Run(wctx) }()
	// So does the price sweep: the store's row locks and conditional
	// updates make exactly one instance close each auction.
	pricesDone := make(chan struct{})
	go func() { defer close(pricesDone); sys.Prices.Run(wctx) }()
	// Each instance keeps the listings' own rankings for matching's
	// reciprocal rank in its memory.
	warmDone := make(chan struct{})
	go func() {
		defer close(warmDone)
		if sys.Warmer != nil {
			sys.Warmer.Run(wctx)
		}
	}()
	defer func() { stopWorker(); <-workerDone; <-vocabDone; <-pricesDone; <-warmDone }()
	tcp, err := net.Listen("tcp", sys.Cfg.Addr)
	if err != nil {
		return err
	}
	ln := newSilentConnListener(tcp)
	sys.Log.Info("listening", "addr", ln.Addr().String(), "database", sys.DB.Dialect,
		"redis", sys.Cfg.RedisURL != "", "data_dir", sys.Cfg.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.App.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let in-flight requests finish, then close the pools.
	sys.Log.Info("shutting down", "timeout", sys.Cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), sys.Cfg.ShutdownTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(sctx) }()
	// Shutdown closes the listener first; sweep silent connections until
	// it is done, so one accepted just before the close goes too.
	sweep := time.NewTicker(100 * time.Millisecond)
	defer sweep.Stop()
	var serr error
wait:
	for {
		ln.closeSilent()
		select {
		case serr = <-done:
			break wait
		case <-sweep.C:
		}
	}
	if err := serr; err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	sys.Log.Info("stopped")
	return nil
}

func cmdMigrate(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	db, err := openDB(ctx, getenv, stdout)
	if err != nil {
		return err
	}
	db.Close()
	fmt.Fprintln(stdout, "schema is up to date")
	return nil
}

func cmdAdmin(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: techmarket admin create --account A --password P [--name N]")
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(stdout)
	account := fs.String("account", "", "phone number or email")
	password := fs.String("password", "", "8 to 72 characters")
	name := fs.String("name", "平台管理员", "display name")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	db, err := openDB(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := store.NewOrgService(db).CreatePlatformAdmin(ctx, market.NewUser{Account: *account, Password: *password, Name: *name})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created platform admin %s (id %s)\n", u.Account, u.ID)
	return nil
}

// cmdKeys rotates the access-token signing keys kept in the shared
// database: the new key signs on every instance within auth.KeyReload
// (at once on the instances that meet a token it signed), the previous
// ones keep verifying, and keys whose tokens have all expired are retired.
func cmdKeys(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "rotate" {
		return errors.New("usage: techmarket keys rotate")
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	switch {
	case cfg.JWTSecret != "":
		return errors.New("TECHMARKET_JWT_SECRET is set and overrides the database keys: rotate it by setting a new one " +
			"and moving the old one to TECHMARKET_JWT_OLD_SECRETS")
	case cfg.DBDSN == "":
		return errors.New("signing keys live in the database only with TECHMARKET_DB_DSN; the embedded default keeps " +
			"its key in DATA_DIR/jwt.key")
	}
	db, err := app.OpenDB(ctx, cfg, app.NewLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer db.Close()
	secret, err := auth.NewSecret()
	if err != nil {
		return err
	}
	// A key is retired once a newer key has signed for longer than any
	// token lives, and every instance has had time to reread the keys.
	retire := time.Now().Add(-cfg.AccessTTL - auth.KeyReload - time.Minute)
	key, retired, err := db.AddSigningKey(ctx, secret, retire)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added signing key %s; %d retired key(s) removed\n", key.ID, retired)
	return nil
}

// cmdReindex rebuilds the search indexes from the database.
func cmdReindex(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	sys, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer sys.Close()
	n, err := outbox.Reindex(ctx, sys.DB, sys.Search, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reindexed %d published items\n", n)
	return nil
}
