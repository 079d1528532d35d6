package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// ItemReader is what applying items needs of the database.
type ItemReader interface {
	ItemsByID(ctx context.Context, ids []string) ([]*market.Item, error)
	ItemVersions(ctx context.Context, ids []string) (map[string]store.ItemVersion, error)
}

// ref names an item to bring up to date in the index.
type ref struct {
	id   string
	kind search.Kind
}

// verifyRounds bounds how often applyItems writes an item that keeps
// changing under it; the outbox row of the latest change catches up.
const verifyRounds = 3

// errStillChanging says items changed again on every round; it is nobody's
// fault, so the worker retries the rows without counting it against them.
var errStillChanging = errors.New("items kept changing while they were indexed")

// applyItems writes the current state of the items to the engine (upsert
// when published, delete otherwise) and then reads their versions again:
// an item that changed while it was written may have been written stale
// after the change's own outbox row was applied (two workers, or a
// reindex racing the worker), so it is written again. An item that did
// not change by then is safe: any later change leaves an outbox row that
// is applied after this write.
func applyItems(ctx context.Context, db ItemReader, eng search.Engine, refs []ref) error {
	for round := 1; ; round++ {
		written, err := writeCurrent(ctx, db, eng, refs)
		if err != nil {
			return err
		}
		ids := make([]string, len(refs))
		for i, r := range refs {
			ids[i] = r.id
		}
		now, err := db.ItemVersions(ctx, ids)
		if err != nil {
			return err
		}
		var changed []ref
		for _, r := range refs {
			a, b := written[r.id], now[r.id]
			if a.Status != b.Status || !a.UpdatedAt.Equal(b.UpdatedAt) {
				changed = append(changed, r)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if round == verifyRounds {
			return fmt.Errorf("%w (%d of them)", errStillChanging, len(changed))
		}
		refs = changed
	}
}

// writeCurrent reads the items as they are now, so several changes of one
// item collapse into its latest state, writes that state, and returns the
// version written per item (zero for an item that no longer exists).
func writeCurrent(ctx context.Context, db ItemReader, eng search.Engine, refs []ref) (map[string]store.ItemVersion, error) {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.id
	}
	items, err := db.ItemsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]*market.Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	written := make(map[string]store.ItemVersion, len(refs))
	var upserts []search.Document
	deletes := map[search.Kind][]string{}
	for _, r := range refs {
		it, ok := byID[r.id]
		if ok {
			written[r.id] = store.ItemVersion{Status: it.Status, UpdatedAt: it.UpdatedAt}
		}
		if ok && it.Status == market.StatusPublished {
			upserts = append(upserts, search.FromItem(it))
			continue
		}
		deletes[r.kind] = append(deletes[r.kind], r.id)
	}
	if len(upserts) > 0 {
		if err := eng.Upsert(ctx, upserts); err != nil {
			return nil, err
		}
	}
	for _, kind := range []search.Kind{search.KindDemand, search.KindAchievement} {
		if ids := deletes[kind]; len(ids) > 0 {
			if err := eng.Delete(ctx, kind, ids); err != nil {
				return nil, err
			}
		}
	}
	return written, nil
}
