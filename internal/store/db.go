// Package store implements the marketplace's services on GORM, over SQLite
// (the embedded default, pure Go) or MySQL/MariaDB, chosen by DSN.
package store

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/glebarez/sqlite"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Dialects.
const (
	DialectSQLite = "sqlite"
	DialectMySQL  = "mysql"
)

// DB is an open database with the schema migrated.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	Dialect string
	now     func() time.Time
	cost    int
	fence   ItemFence
}

// ItemFence is told of every change to an item that is or was published,
// inside its transaction before it commits, and released once the
// transaction has ended: the read cache (cache.Reads) stops serving what
// the change replaces before anyone can read the change, and takes up new
// entries once it is acknowledged.
type ItemFence interface {
	FenceItem(ctx context.Context, kind, id string) (release func(), err error)
}

// Options tune Open.
type Options struct {
	// Now is the clock; tests may fix it. Times are stored in UTC with
	// microsecond precision so they round-trip through MySQL's DATETIME(6).
	Now func() time.Time
	// MaxOpenConns bounds the MySQL pool (default 50). Mind the server's
	// max_connections across all instances.
	MaxOpenConns int
	// PasswordCost is the bcrypt cost of new password hashes (default 12;
	// tests use the minimum to stay fast).
	PasswordCost int
	// ItemFence guards the shared read cache; nil when nothing caches
	// reads (CLI commands).
	ItemFence ItemFence
}

// Open connects to the database named by dsn: a MySQL DSN
// ("user:pass@tcp(host:3306)/db", optionally prefixed "mysql://") or, when dsn
// is empty, the SQLite file techmarket.db under dataDir.
func Open(ctx context.Context, dsn, dataDir string, opt Options) (*DB, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	now := func() time.Time { return opt.Now().UTC().Truncate(time.Microsecond) }
	cfg := &gorm.Config{
		NowFunc:                now,
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         false,
	}
	if opt.PasswordCost == 0 {
		opt.PasswordCost = 12
	}
	db := &DB{now: now, cost: opt.PasswordCost, fence: opt.ItemFence}
	var dialector gorm.Dialector
	if dsn == "" {
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		path := filepath.Join(dataDir, "techmarket.db")
		// WAL lets readers work during a write; busy_timeout waits instead of
		// failing when another process (a CLI command) holds the lock.
		dialector = sqlite.Open("file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate")
		db.Dialect = DialectSQLite
	} else {
		mdsn, err := MySQLDSN(dsn)
		if err != nil {
			return nil, err
		}
		dialector = mysql.Open(mdsn)
		db.Dialect = DialectMySQL
	}
	g, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", db.Dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if db.Dialect == DialectSQLite {
		// SQLite has one writer. One connection serialises transactions in
		// this process, which is what row locks do on MySQL.
		sqlDB.SetMaxOpenConns(1)
	} else {
		if opt.MaxOpenConns == 0 {
			opt.MaxOpenConns = 50
		}
		sqlDB.SetMaxOpenConns(opt.MaxOpenConns)
		sqlDB.SetMaxIdleConns(max(2, opt.MaxOpenConns/2))
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	}
	db.gorm, db.sql = g, sqlDB
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect %s: %w", db.Dialect, err)
	}
	return db, nil
}

// MySQLDSN normalises a MySQL DSN: utf8mb4, times parsed as UTC.
func MySQLDSN(dsn string) (string, error) {
	dsn = strings.TrimPrefix(dsn, "mysql://")
	c, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("TECHMARKET_DB_DSN: %w", err)
	}
	c.ParseTime = true
	c.Loc = time.UTC
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["charset"] = "utf8mb4"
	c.Collation = "utf8mb4_unicode_ci"
	// Send parameterised statements in one round trip instead of a
	// prepare/execute/close triple: every write here makes many.
	c.InterpolateParams = true
	return c.FormatDSN(), nil
}

// Close closes the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return db.sql.PingContext(ctx)
}

// SQL exposes the pool for tests and tools that must bypass the services.
func (db *DB) SQL() *sql.DB { return db.sql }

// PasswordCost is the bcrypt cost of the password hashes db makes.
func (db *DB) PasswordCost() int { return db.cost }

// Migrate applies every pending migration. On MySQL a lock table makes
// instances that start together take turns instead of racing.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) (err error) {
	defer wrap(&err, "store.Migrate")
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if db.Dialect == DialectSQLite {
		if sub, err = sqliteMigrations(sub); err != nil {
			return err
		}
	}
	if db.Dialect == DialectMySQL {
		dialect = goose.DialectMySQL
		locker, err := lock.NewMySQLTableLocker(
			lock.WithTableLockTimeout(200*time.Millisecond, 1500),
			lock.WithTableHeartbeatInterval(2*time.Second),
		)
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.sql, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		if log != nil {
			log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
		}
	}
	return nil
}

// tx runs fn in a transaction bound to ctx. On MySQL it runs at READ
// COMMITTED, which avoids gap-lock deadlocks between concurrent inserts (the
// invariants that matter hold through row locks and conditional updates),
// and a transaction chosen as a deadlock victim is retried.
func (db *DB) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	var opts *sql.TxOptions
	if db.Dialect == DialectMySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	for attempt := 1; ; attempt++ {
		err := db.gorm.WithContext(ctx).Transaction(fn, opts)
		var me *gomysql.MySQLError
		if attempt < 5 && errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205) {
			time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
			continue
		}
		return err
	}
}

// Atomically runs fn with a DB on which every statement belongs to one
// transaction: what the services fn builds on it write commits together
// or not at all, and no other connection or instance sees it before the
// commit. Their own transactions become savepoints of this one. The DB
// given to fn fences no item, so fn must not change a published item.
func (db *DB) Atomically(ctx context.Context, fn func(tx *DB) error) error {
	return db.tx(ctx, func(tx *gorm.DB) error {
		inner := *db
		inner.gorm, inner.fence = tx, nil
		return fn(&inner)
	})
}

// sqliteMigrations copies the migrations with DATETIME(6) spelled
// DATETIME: the pure-Go driver turns a column into time.Time only when its
// declared type is exactly DATETIME, and SQLite ignores the precision anyway.
func sqliteMigrations(src fs.FS) (fs.FS, error) {
	out := fstest.MapFS{}
	err := fs.WalkDir(src, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(src, path)
		if err != nil {
			return err
		}
		out[path] = &fstest.MapFile{Data: bytes.ReplaceAll(b, []byte("DATETIME(6)"), []byte("DATETIME")), Mode: 0o444}
		return nil
	})
	return out, err
}
