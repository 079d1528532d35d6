package store

import (
	"context"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// MigrateUpTo applies the migrations up to version only, so a test can lay
// down rows as an older schema held them and then migrate the rest.
func MigrateUpTo(ctx context.Context, db *DB, version int64) error {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return err
	}
	dialect := goose.DialectMySQL
	if db.Dialect == DialectSQLite {
		dialect = goose.DialectSQLite3
		if sub, err = sqliteMigrations(sub); err != nil {
			return err
		}
	}
	p, err := goose.NewProvider(dialect, db.sql, sub)
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}
