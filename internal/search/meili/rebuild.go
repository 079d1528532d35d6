package meili

import (
	"context"

	"github.com/meilisearch/meilisearch-go"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// rebuild fills <index>_rebuild beside the live index; Commit swaps the
// two with Meilisearch's swap-indexes (atomic for searches) and drops the
// old contents.
type rebuild struct {
	e    *Engine
	kind search.Kind
	uid  string
	done bool
}

// Rebuild creates a fresh <index>_rebuild with the settings (dropping one
// left by an earlier run).
func (e *Engine) Rebuild(ctx context.Context, kind search.Kind) (search.Rebuild, error) {
	if kind != search.KindDemand && kind != search.KindAchievement {
		return nil, market.Invalid("kind", "must be demand or achievement")
	}
	r := &rebuild{e: e, kind: kind, uid: e.IndexUID(kind) + rebuildSuffix}
	if err := e.dropIndex(ctx, r.uid); err != nil {
		return nil, err
	}
	if err := e.setupIndex(ctx, r.uid); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rebuild) Upsert(ctx context.Context, docs []search.Document) error {
	if r.done {
		return market.Errorf(market.ECONFLICT, "rebuild already ended")
	}
	for _, d := range docs {
		if d.Kind != r.kind {
			return market.Invalid("kind", "must be %s in this rebuild", r.kind)
		}
	}
	tasks, err := r.e.addDocuments(ctx, r.uid, docs)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if err := r.e.wait(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// Commit makes sure the live index exists (a swap needs both), swaps, and
// drops what was the live index.
func (r *rebuild) Commit(ctx context.Context) error {
	if r.done {
		return market.Errorf(market.ECONFLICT, "rebuild already ended")
	}
	live := r.e.IndexUID(r.kind)
	if err := r.e.ensureIndexes(ctx, r.kind); err != nil {
		return err
	}
	info, err := r.e.client.SwapIndexes(ctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{live, r.uid}}})
	if err != nil {
		return mapError("swap indexes", err)
	}
	if err := r.e.wait(ctx, info); err != nil {
		return err
	}
	r.done = true
	return r.e.dropIndex(ctx, r.uid)
}

// Abort drops the rebuild index; the live one is untouched.
func (r *rebuild) Abort(ctx context.Context) error {
	if r.done {
		return nil
	}
	r.done = true
	return r.e.dropIndex(ctx, r.uid)
}
