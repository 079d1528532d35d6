package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// errNotFound is what GORM returns for a missing row (database/sql's
// ErrNoRows for the statements that bypass GORM). translate turns it
// into the domain's error; the few callers for which a missing row is an
// answer rather than an error (an upsert, an optional row) test for it.
var errNotFound = gorm.ErrRecordNotFound

// uniqueKey names a unique index and the conflict its violation means.
// MySQL names the index in its message, SQLite names table.column, so
// both are given.
type uniqueKey struct {
	index, column string
	conflict      func() error
}

// translate turns a storage error into the domain's; it is the one place
// that does. A missing row becomes missing() (nil missing leaves it
// alone), a unique-key violation on one of keys becomes that key's
// conflict, and any other error, or nil, passes unchanged. The functions
// run only on failure, so the success path builds no error.
func translate(err error, missing func() error, keys ...uniqueKey) error {
	if err == nil {
		return nil
	}
	if missing != nil && (errors.Is(err, errNotFound) || errors.Is(err, sql.ErrNoRows)) {
		return missing()
	}
	for _, k := range keys {
		if duplicateOn(err, k.index, k.column) {
			return k.conflict()
		}
	}
	return err
}

// wrap says which call failed on an error that is not the domain's own
// (a driver or SQL failure), as pkgsite's derrors.Wrap does: every
// exported store method starts with
//
//	defer wrap(&err, "store.RegisterTransaction(%q)", id)
//
// Domain errors pass untouched: their message is what the client reads,
// and the HTTP layer maps their code. A wrapped error keeps its cause for
// errors.Is and errors.As.
func wrap(errp *error, format string, args ...any) {
	var me *market.Error
	if *errp == nil || errors.As(*errp, &me) {
		return
	}
	*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
}

// isDuplicate reports whether err is a unique-key violation on either
// database.
func isDuplicate(err error) bool {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// duplicateOn reports whether a unique violation concerns the named index
// (MySQL names the key; SQLite names table.column).
func duplicateOn(err error, index, column string) bool {
	if !isDuplicate(err) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, index) || strings.Contains(msg, column)
}
