package store

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestTranslate(t *testing.T) {
	missing := func() error { return market.Errorf(market.ENOTFOUND, "deal d1 not found") }
	taken := uniqueKey{"transactions_contract_key", "transactions.contract_key", func() error {
		return market.Conflict("contract_no X is already logged").On("contract_no", "already logged")
	}}
	other := errors.New("connection reset")
	for _, tc := range []struct {
		name string
		err  error
		want string // the market code, or the error text for a passed-through error
	}{
		{"nil stays nil", nil, ""},
		{"gorm not found", errNotFound, market.ENOTFOUND},
		{"sql no rows", fmt.Errorf("scan: %w", sql.ErrNoRows), market.ENOTFOUND},
		{"mysql duplicate on the key", &gomysql.MySQLError{Number: 1062, Message: "Duplicate entry 'X' for key 'transactions_contract_key'"}, market.ECONFLICT},
		{"sqlite duplicate on the column", errors.New("constraint failed: UNIQUE constraint failed: transactions.contract_key (2067)"), market.ECONFLICT},
		{"duplicate on another key passes", errors.New("UNIQUE constraint failed: payments.voucher_key"), "UNIQUE constraint failed: payments.voucher_key"},
		{"other errors pass", other, "connection reset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.err, missing, taken)
			switch {
			case tc.want == "":
				if got != nil {
					t.Fatalf("got %v, want nil", got)
				}
			case tc.want == market.ENOTFOUND || tc.want == market.ECONFLICT:
				if c := market.ErrorCode(got); c != tc.want {
					t.Fatalf("code %q, want %q (%v)", c, tc.want, got)
				}
			default:
				if got != tc.err || got.Error() != tc.want {
					t.Fatalf("got %v, want the error unchanged", got)
				}
			}
		})
	}
	if got := translate(errNotFound, nil); got != errNotFound {
		t.Fatalf("without missing a missing row passes unchanged, got %v", got)
	}
	if got := translate(errNotFound, missing, taken); len(market.FieldNames(got)) != 0 {
		t.Fatalf("not found names fields %v", market.FieldNames(got))
	}
	if got := translate(errors.New("UNIQUE constraint failed: transactions.contract_key"), nil, taken); fmt.Sprint(market.FieldNames(got)) != "[contract_no]" {
		t.Fatalf("conflict fields %v, want [contract_no]", market.FieldNames(got))
	}
}

func TestWrap(t *testing.T) {
	driver := &gomysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}
	err := func() (err error) {
		defer wrap(&err, "store.ConfirmTransaction(%q)", "d1")
		return driver
	}()
	if want := `store.ConfirmTransaction("d1"): Error 1205: Lock wait timeout exceeded`; err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
	var me *gomysql.MySQLError
	if !errors.As(err, &me) || me != driver {
		t.Fatalf("errors.As lost the driver error: %v", err)
	}
	if market.ErrorCode(err) != market.EINTERNAL {
		t.Fatalf("a wrapped driver error is internal, got %q", market.ErrorCode(err))
	}

	domain := market.Conflict("payment p1 is already confirmed")
	err = func() (err error) {
		defer wrap(&err, "store.ConfirmPayment(%q, %q)", "d1", "p1")
		return domain
	}()
	if err != domain {
		t.Fatalf("a domain error must pass untouched (its message is the client's), got %v", err)
	}
	err = func() (err error) {
		defer wrap(&err, "store.FindTransaction(%q)", "d1")
		return nil
	}()
	if err != nil {
		t.Fatalf("nil wrapped: %v", err)
	}
}
