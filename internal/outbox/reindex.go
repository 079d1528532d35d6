package outbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// changeMargin widens the catch-up of Reindex to changes stamped a little
// before it started: an item's updated_at is taken inside its transaction,
// before the commit, on the clock of whichever instance made the change.
const changeMargin = 5 * time.Minute

// reindexBatch is how many items Reindex reads and writes at a time.
const reindexBatch = 500

// Reindex rebuilds both indexes from the database, drawing progress bars
// on w, and returns how many published items it indexed.
//
// An engine that can (search.Rebuilder: both of ours) builds each index
// beside the live one and swaps it in, so searches never see a partial
// index; another engine's index is emptied and refilled. Either way the
// pages it reads go stale as items change meanwhile (an item closed after
// its page was read would come back), so once the indexes are in place
// every item changed since the start is applied again, as it is now,
// in the way the outbox worker applies it.
func Reindex(ctx context.Context, db *store.DB, eng search.Engine, w io.Writer) (int, error) {
	if err := eng.Setup(ctx); err != nil {
		return 0, fmt.Errorf("apply index settings: %w", err)
	}
	since := db.Now().Add(-changeMargin)
	total := 0
	for _, kind := range []market.ItemKind{market.KindDemand, market.KindAchievement} {
		n, err := reindexKind(ctx, db, eng, kind, w)
		total += n
		if err != nil {
			return total, err
		}
	}
	n, err := catchUp(ctx, db, eng, since)
	if err != nil {
		return total, fmt.Errorf("re-applying items changed during the rebuild: %w", err)
	}
	fmt.Fprintf(w, "re-applied %d items changed during the rebuild\n", n)
	return total, nil
}

// target is where reindexKind writes: a rebuild, or the live index.
type target interface {
	Upsert(ctx context.Context, docs []search.Document) error
}

func reindexKind(ctx context.Context, db *store.DB, eng search.Engine, kind market.ItemKind, w io.Writer) (int, error) {
	n, err := db.CountPublished(ctx, kind)
	if err != nil {
		return 0, err
	}
	bar := progressbar.NewOptions64(n, progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("%-12s", string(kind)+"s")),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	var (
		dst    target = eng
		commit        = func() error { return nil }
	)
	if rb, ok := eng.(search.Rebuilder); ok {
		r, err := rb.Rebuild(ctx, search.Kind(kind))
		if err != nil {
			return 0, err
		}
		dst, commit = r, func() error { return r.Commit(ctx) }
		defer func() { _ = r.Abort(context.WithoutCancel(ctx)) }() // no-op after Commit
	} else if err := eng.DeleteAll(ctx, search.Kind(kind)); err != nil {
		return 0, err
	}
	total := 0
	after := ""
	for {
		items, err := db.PublishedItems(ctx, kind, after, reindexBatch)
		if err != nil {
			return total, err
		}
		if len(items) == 0 {
			break
		}
		if err := dst.Upsert(ctx, search.FromItems(items)); err != nil {
			return total, err
		}
		total += len(items)
		_ = bar.Add(len(items))
		after = items[len(items)-1].ID
	}
	if err := commit(); err != nil {
		return total, err
	}
	_ = bar.Finish()
	return total, nil
}

// catchUp applies the current state of every item changed since since.
func catchUp(ctx context.Context, db *store.DB, eng search.Engine, since time.Time) (int, error) {
	total := 0
	after := ""
	for {
		page, err := db.ItemsChangedSince(ctx, since, after, reindexBatch)
		if err != nil || len(page) == 0 {
			return total, err
		}
		refs := make([]ref, len(page))
		for i, r := range page {
			refs[i] = ref{id: r.ID, kind: search.Kind(r.Kind)}
		}
		if err := applyItems(ctx, db, eng, refs); err != nil && !errors.Is(err, errStillChanging) {
			return total, err
		}
		total += len(page)
		after = page[len(page)-1].ID
	}
}
