// Package outbox keeps the search engine in step with the database. Every
// change to a published item leaves a row in the search outbox in the same
// transaction as the change; the Worker here claims rows under a lease,
// applies the item's current state to the engine (upsert if published,
// delete otherwise) and removes them. When the engine is down, rows wait
// with exponential backoff and the index catches up when it returns.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// Store is what the worker needs of the database.
type Store interface {
	ItemReader
	ClaimOutbox(ctx context.Context, n int, lease time.Duration) ([]store.OutboxEntry, error)
	FinishOutbox(ctx context.Context, token string, ids []string) (int64, error)
	RetryOutbox(ctx context.Context, token string, ids []string, delay time.Duration, cause error) (int64, error)
}

var _ Store = (*store.DB)(nil)

// Defaults of the Worker's settings.
const (
	DefaultBatch    = 200
	DefaultInterval = 500 * time.Millisecond
	// DefaultLease is comfortably longer than the longest single engine
	// call (a Meilisearch task wait, 2 minutes); the calls of one claim
	// must also end before the lease does (see Drain).
	DefaultLease       = 5 * time.Minute
	DefaultMaxBackoff  = 5 * time.Minute
	DefaultMaxAttempts = 10
	DefaultParkDelay   = 6 * time.Hour
)

// Worker applies outbox entries to a search engine.
type Worker struct {
	Store    Store
	Engine   search.Engine
	Log      *slog.Logger
	Batch    int           // entries per claim, default DefaultBatch
	Lease    time.Duration // how long a claim holds, default DefaultLease
	Interval time.Duration // idle poll interval, default DefaultInterval
	// MaxBackoff caps the retry delay, default DefaultMaxBackoff.
	MaxBackoff time.Duration
	// MaxAttempts is how often an item may fail on its own before its rows
	// are parked: kept, logged, counted, and retried only after ParkDelay
	// (defaults DefaultMaxAttempts, DefaultParkDelay). Failures while the
	// engine is unavailable are not the row's fault and never park it.
	MaxAttempts int
	ParkDelay   time.Duration

	metrics *metrics
}

// metrics count what the worker did, for /metrics.
type metrics struct {
	applied, failed, parked, lostLease prometheus.Counter
}

func newMetrics() *metrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "techmarket_search_outbox_" + name, Help: help})
	}
	return &metrics{
		applied:   c("applied_total", "Search outbox rows applied to the engine."),
		failed:    c("failed_total", "Search outbox rows that failed and wait for a retry."),
		parked:    c("parked_total", "Search outbox rows parked after failing MaxAttempts times on their own."),
		lostLease: c("lost_lease_total", "Search outbox rows whose lease ran out before the worker finished them."),
	}
}

// Collectors returns the worker's metrics, to register with a registry.
func (w *Worker) Collectors() []prometheus.Collector {
	w.defaults()
	m := w.metrics
	return []prometheus.Collector{m.applied, m.failed, m.parked, m.lostLease}
}

func (w *Worker) defaults() {
	if w.Batch == 0 {
		w.Batch = DefaultBatch
	}
	if w.Lease == 0 {
		w.Lease = DefaultLease
	}
	if w.Interval == 0 {
		w.Interval = DefaultInterval
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = DefaultMaxBackoff
	}
	if w.MaxAttempts == 0 {
		w.MaxAttempts = DefaultMaxAttempts
	}
	if w.ParkDelay == 0 {
		w.ParkDelay = DefaultParkDelay
	}
	if w.metrics == nil {
		w.metrics = newMetrics()
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Run processes the outbox until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := w.Drain(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Warn("search outbox", "err", err)
		}
		// A full batch means more is waiting: go again at once.
		if n >= w.Batch {
			t.Reset(0)
		} else {
			t.Reset(w.Interval)
		}
	}
}

// group is the claimed rows of one item: they are applied together, as
// the item's current state.
type group struct {
	ref
	entries []store.OutboxEntry
}

func (g group) attempts() int {
	n := 0
	for _, e := range g.entries {
		n = max(n, e.Attempts)
	}
	return n
}

func refsOf(gs []group) []ref {
	out := make([]ref, len(gs))
	for i, g := range gs {
		out[i] = g.ref
	}
	return out
}

func idsOf(gs []group) []string {
	var out []string
	for _, g := range gs {
		for _, e := range g.entries {
			out = append(out, e.ID)
		}
	}
	return out
}

// Drain claims and applies one batch, returning how many entries it
// claimed. The engine calls of the claim run under a deadline a fifth of
// the lease before it ends, so no other worker can claim the rows while
// they are being applied; should this one stall past the lease anyway,
// the claim token keeps it from finishing or rescheduling rows another
// worker holds by then.
//
// When the batch fails for a reason other than the engine being
// unavailable, the items are applied one by one, so that one bad item
// (a document the engine refuses) does not hold back the others.
func (w *Worker) Drain(ctx context.Context) (int, error) {
	w.defaults()
	claimed := time.Now()
	entries, err := w.Store.ClaimOutbox(ctx, w.Batch, w.Lease)
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	token := entries[0].Token
	var groups []group
	at := map[string]int{}
	for _, e := range entries {
		i, ok := at[e.ItemID]
		if !ok {
			i = len(groups)
			at[e.ItemID] = i
			groups = append(groups, group{ref: ref{id: e.ItemID, kind: search.Kind(e.Kind)}})
		}
		groups[i].entries = append(groups[i].entries, e)
	}
	actx, cancel := context.WithDeadline(ctx, claimed.Add(w.Lease-w.Lease/5))
	defer cancel()
	// Finishing and releasing must happen even when ctx ends.
	bg := context.WithoutCancel(ctx)

	err = applyItems(actx, w.Store, w.Engine, refsOf(groups))
	if err == nil {
		return len(entries), w.finish(bg, token, groups)
	}
	if !blameable(actx, err) || len(groups) == 1 {
		return len(entries), errors.Join(fmt.Errorf("applying %d entries: %w", len(entries), err),
			w.retry(bg, token, groups, err, len(groups) == 1 && blameable(actx, err)))
	}
	w.Log.Warn("search outbox batch failed; applying its items one by one", "items", len(groups), "err", err)
	var errs []error
	for i, g := range groups {
		gerr := applyItems(actx, w.Store, w.Engine, []ref{g.ref})
		if gerr == nil {
			errs = append(errs, w.finish(bg, token, groups[i:i+1]))
			continue
		}
		if !blameable(actx, gerr) {
			// The engine went away meanwhile: the rest waits, unblamed.
			errs = append(errs, fmt.Errorf("applying item %s: %w", g.id, gerr), w.retry(bg, token, groups[i:], gerr, false))
			break
		}
		errs = append(errs, fmt.Errorf("applying item %s: %w", g.id, gerr), w.retry(bg, token, groups[i:i+1], gerr, true))
	}
	return len(entries), errors.Join(errs...)
}

// blameable reports whether err may be the item's fault: not the engine
// being unavailable or slow, not the claim's deadline, not items changing
// under the worker.
func blameable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && market.ErrorCode(err) != market.EUNAVAILABLE &&
		!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && !errors.Is(err, errStillChanging)
}

func (w *Worker) finish(ctx context.Context, token string, gs []group) error {
	ids := idsOf(gs)
	n, err := w.Store.FinishOutbox(ctx, token, ids)
	if err != nil {
		return fmt.Errorf("finishing %d entries: %w", len(ids), err)
	}
	w.metrics.applied.Add(float64(n))
	if lost := int64(len(ids)) - n; lost > 0 {
		w.metrics.lostLease.Add(float64(lost))
		w.Log.Warn("search outbox lease ran out before the entries were finished; another worker holds them", "entries", lost)
	}
	return nil
}

// retry releases the groups' rows with a backoff by their attempts. When
// the failure is the item's own (blamed) and it has failed MaxAttempts
// times, the rows are parked instead: they stay, with a long delay, and
// the fact is logged and counted.
func (w *Worker) retry(ctx context.Context, token string, gs []group, cause error, blamed bool) error {
	var errs []error
	byDelay := map[time.Duration][]group{}
	for _, g := range gs {
		a := g.attempts()
		if blamed && a >= w.MaxAttempts {
			w.Log.Error("search outbox: parking an item that keeps failing", "item", g.id, "kind", g.kind,
				"attempts", a, "retry_in", w.ParkDelay, "err", cause)
			w.metrics.parked.Add(float64(len(g.entries)))
			byDelay[w.ParkDelay] = append(byDelay[w.ParkDelay], g)
			continue
		}
		d := backoff(a, w.MaxBackoff)
		byDelay[d] = append(byDelay[d], g)
	}
	for d, list := range byDelay {
		ids := idsOf(list)
		n, err := w.Store.RetryOutbox(ctx, token, ids, d, cause)
		if err != nil {
			errs = append(errs, fmt.Errorf("releasing %d entries: %w", len(ids), err))
			continue
		}
		w.metrics.failed.Add(float64(n))
		if lost := int64(len(ids)) - n; lost > 0 {
			w.metrics.lostLease.Add(float64(lost))
		}
	}
	return errors.Join(errs...)
}

// backoff doubles from one second per attempt up to max.
func backoff(attempts int, limit time.Duration) time.Duration {
	d := time.Second
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
