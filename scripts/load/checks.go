package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	_ "github.com/glebarez/go-sqlite"

	"github.com/liuzhou-techmarket/techmarket/internal/blackbox"
)

type counts struct {
	items, published, deals, payments, registered int64
	paidFen                                       int64
}

func countRows(ctx context.Context, db *sql.DB) (counts, error) {
	var c counts
	for _, q := range []struct {
		sql string
		dst *int64
	}{
		{"SELECT COUNT(*) FROM items", &c.items},
		{"SELECT COUNT(*) FROM items WHERE status = 'published'", &c.published},
		{"SELECT COUNT(*) FROM transactions", &c.deals},
		{"SELECT COUNT(*) FROM payments", &c.payments},
		{"SELECT COALESCE(SUM(amount_fen), 0) FROM payments", &c.paidFen},
		{"SELECT COUNT(*) FROM transactions WHERE registration_no IS NOT NULL", &c.registered},
	} {
		if err := db.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return c, fmt.Errorf("%s: %w", q.sql, err)
		}
	}
	return c, nil
}

type check struct {
	what     string
	acked    string
	unknown  int64
	observed string
	ok       bool
}

// within reports whether the database delta lies between what was
// acknowledged and that plus the requests whose answer never came.
func within(what string, acked, unknown, delta int64) check {
	return check{what, strconv.FormatInt(acked, 10), unknown, strconv.FormatInt(delta, 10), delta >= acked && delta <= acked+unknown}
}

func postChecks(ctx context.Context, c *blackbox.Client, w *world, t *target, tl *tally, before counts, searchCheck bool) []check {
	var out []check
	if t.db != nil {
		after, err := countRows(ctx, t.db)
		if err != nil {
			return []check{{what: "count rows", observed: err.Error()}}
		}
		out = append(out,
			within("items created (POST /demands, /achievements → 201)", tl.items.Load(), tl.itemsUnknown.Load(), after.items-before.items),
			within("items published (review approve → 200)", tl.published.Load(), tl.publishedUnknown.Load(), after.published-before.published),
			within("transactions (POST /transactions → 201, replays not counted)", tl.deals.Load(), tl.transactionsUnknown.Load(), after.deals-before.deals),
			within("payments (POST …/payments → 201)", tl.payments.Load(), tl.paymentsUnknown.Load(), after.payments-before.payments),
			within("registrations (POST …/register → 200)", tl.registered.Load(), tl.registeredUnknown.Load(), after.registered-before.registered),
		)
		if tl.paymentsUnknown.Load() == 0 {
			out = append(out, within("sum of payments, fen", tl.paidFen.Load(), 0, after.paidFen-before.paidFen))
		}
		var bad, over int64
		// paid_fen sums the confirmed payments, booked_fen every one.
		_ = t.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM transactions t WHERE t.paid_fen <>
			(SELECT COALESCE(SUM(p.amount_fen), 0) FROM payments p WHERE p.transaction_id = t.id AND p.confirmed)
			OR t.booked_fen <> (SELECT COALESCE(SUM(p.amount_fen), 0) FROM payments p WHERE p.transaction_id = t.id)`).Scan(&bad)
		_ = t.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM transactions WHERE booked_fen > contract_amount_fen`).Scan(&over)
		out = append(out,
			check{"deals whose paid_fen differs from their payments", "0", 0, strconv.FormatInt(bad, 10), bad == 0},
			check{"deals paid past their contract amount", "0", 0, strconv.FormatInt(over, 10), over == 0})

		// Search follows the database through the outbox; with one
		// embedded index per instance only a single instance's view is
		// complete, so check it when there is one instance.
		if !searchCheck {
			t.notes = append(t.notes, "search completeness not checked (-search-check=false)")
		} else if len(t.urls) == 1 || os.Getenv("TECHMARKET_MEILI_URL") != "" {
			var pub int64
			_ = t.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM items WHERE kind = 'achievement' AND status = 'published'").Scan(&pub)
			var total int64
			start := time.Now()
			for time.Since(start) < 20*time.Second {
				r := c.DoAt(ctx, 0, "GET", "/api/v1/search/achievements?limit=1", "", nil)
				var m struct {
					Total int64 `json:"total"`
				}
				_ = json.Unmarshal(r.Body, &m)
				if total = m.Total; total == pub {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			out = append(out, check{fmt.Sprintf("published achievements found by search (after %.1fs)", time.Since(start).Seconds()),
				strconv.FormatInt(pub, 10) + " in DB", 0, strconv.FormatInt(total, 10), total == pub})
		} else {
			t.notes = append(t.notes, "search completeness not checked: each instance has its own embedded index, and the outbox applies a change to one of them")
		}
	}
	out = append(out, check{"Idempotency-Key replays answered identically", strconv.FormatInt(tl.replays.Load()+tl.replayMismatch.Load(), 10), 0,
		strconv.FormatInt(tl.replays.Load(), 10), tl.replayMismatch.Load() == 0})
	r := c.Do(ctx, "GET", "/api/v1/audit/verify", w.adminToken, nil)
	ok, _ := r.JSON()["ok"].(bool)
	checked, _ := r.JSON()["checked"].(float64)
	out = append(out, check{"audit chain verifies (GET /audit/verify)", "ok", 0, fmt.Sprintf("%v, %d events", ok, int64(checked)), ok && r.Status == 200})
	return out
}

func writeChecks(out io.Writer, checks []check) {
	fmt.Fprintln(out, "Nothing is lost — acknowledged writes against the database (deltas over the run, setup included):")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| check | acknowledged | no answer | database | ok |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | :---: |")
	for _, c := range checks {
		mark := "yes"
		if !c.ok {
			mark = "**NO**"
		}
		fmt.Fprintf(out, "| %s | %s | %d | %s | %s |\n", c.what, c.acked, c.unknown, c.observed, mark)
	}
	fmt.Fprintln(out)
}
