// Package outbox keeps the search engine in step with the database. Every
// change to a published item leaves a row in the search outbox in the same
// transaction as the change; the Worker here claims rows under a lease,
// applies the item's current state to the engine (upsert if published,
// delete otherwise) and removes them. When the engine is down, rows wait
// with exponential backoff and the index catches up when it returns.
package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// Store is what the worker needs of the database.
type Store interface {
	ClaimOutbox(ctx context.Context, n int, lease time.Duration) ([]store.OutboxEntry, error)
	FinishOutbox(ctx context.Context, ids []string) error
	RetryOutbox(ctx context.Context, ids []string, delay time.Duration, cause error) error
	ItemsByID(ctx context.Context, ids []string) ([]*market.Item, error)
}

var _ Store = (*store.DB)(nil)

// Worker applies outbox entries to a search engine.
type Worker struct {
	Store    Store
	Engine   search.Engine
	Log      *slog.Logger
	Batch    int           // entries per claim, default 200
	Lease    time.Duration // how long a claim holds, default 1m
	Interval time.Duration // idle poll interval, default 500ms
	// MaxBackoff caps the retry delay, default 5m.
	MaxBackoff time.Duration
}

func (w *Worker) defaults() {
	if w.Batch == 0 {
		w.Batch = 200
	}
	if w.Lease == 0 {
		w.Lease = time.Minute
	}
	if w.Interval == 0 {
		w.Interval = 500 * time.Millisecond
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = 5 * time.Minute
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

// Drain claims and applies one batch, returning how many entries it
// claimed.
func (w *Worker) Drain(ctx context.Context) (int, error) {
	w.defaults()
	entries, err := w.Store.ClaimOutbox(ctx, w.Batch, w.Lease)
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	ids := make([]string, len(entries))
	itemIDs := make([]string, 0, len(entries))
	seen := map[string]bool{}
	maxAttempts := 0
	for i, e := range entries {
		ids[i] = e.ID
		maxAttempts = max(maxAttempts, e.Attempts)
		if !seen[e.ItemID] {
			seen[e.ItemID] = true
			itemIDs = append(itemIDs, e.ItemID)
		}
	}
	if err := w.apply(ctx, entries, itemIDs); err != nil {
		delay := backoff(maxAttempts, w.MaxBackoff)
		if rerr := w.Store.RetryOutbox(context.WithoutCancel(ctx), ids, delay, err); rerr != nil {
			return len(entries), fmt.Errorf("%w (and releasing the claim: %v)", err, rerr)
		}
		return len(entries), fmt.Errorf("applying %d entries, retry in %s: %w", len(entries), delay, err)
	}
	return len(entries), w.Store.FinishOutbox(ctx, ids)
}

// apply reads the items as they are now, so several entries for one item
// collapse into its latest state, and that state wins whatever the order
// the entries were written in.
func (w *Worker) apply(ctx context.Context, entries []store.OutboxEntry, itemIDs []string) error {
	items, err := w.Store.ItemsByID(ctx, itemIDs)
	if err != nil {
		return err
	}
	byID := map[string]*market.Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	var upserts []search.Document
	deletes := map[search.Kind][]string{}
	for _, id := range itemIDs {
		it, ok := byID[id]
		if ok && it.Status == market.StatusPublished {
			upserts = append(upserts, search.FromItem(it))
			continue
		}
		kind := kindOf(entries, id)
		deletes[kind] = append(deletes[kind], id)
	}
	if len(upserts) > 0 {
		if err := w.Engine.Upsert(ctx, upserts); err != nil {
			return err
		}
	}
	for kind, ids := range deletes {
		if err := w.Engine.Delete(ctx, kind, ids); err != nil {
			return err
		}
	}
	return nil
}

func kindOf(entries []store.OutboxEntry, itemID string) search.Kind {
	for _, e := range entries {
		if e.ItemID == itemID {
			return search.Kind(e.Kind)
		}
	}
	return search.KindAchievement
}

// backoff doubles from one second per attempt up to max.
func backoff(attempts int, limit time.Duration) time.Duration {
	d := time.Second
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
