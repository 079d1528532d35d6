package outbox_test

import (
	"context"
	"io"
	"sync"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/outbox"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// rebuilding hides nothing: it is the bleve engine, with a hook before the
// first document a rebuild of achievements receives.
type rebuilding struct {
	*bleve.Engine
	before func()
}

func (r *rebuilding) Rebuild(ctx context.Context, k search.Kind) (search.Rebuild, error) {
	rb, err := r.Engine.Rebuild(ctx, k)
	if err != nil || k != search.KindAchievement {
		return rb, err
	}
	return &hookedRebuild{Rebuild: rb, before: r.before}, nil
}

// hookedRebuild runs before ahead of each Upsert (the tests pass a
// sync.OnceFunc, so it runs once).
type hookedRebuild struct {
	search.Rebuild
	before func()
}

func (h *hookedRebuild) Upsert(ctx context.Context, d []search.Document) error {
	h.before()
	return h.Rebuild.Upsert(ctx, d)
}

// plain is an engine without Rebuild: reindex empties and refills it.
type plain struct {
	search.Engine
	before func()
}

func (p *plain) Upsert(ctx context.Context, d []search.Document) error {
	if len(d) > 0 && d[0].Kind == search.KindAchievement {
		p.before()
	}
	return p.Engine.Upsert(ctx, d)
}

// Reindex reads a page holding X as published; the owner closes X and the
// worker deletes it from the index; then reindex writes its stale page.
// X must not come back, with a rebuild beside the live index (which
// searches meanwhile see whole) and with an index emptied and refilled.
func TestReindexDoesNotBringBackAClosedItem(t *testing.T) {
	for _, mode := range []string{"rebuild", "refill"} {
		t.Run(mode, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, dialect string) {
				db := storetest.Open(t, dialect)
				owner, admin := orgActors(t, db)
				eng, err := bleve.OpenMemory()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { eng.Close() })
				w := &outbox.Worker{Store: db, Engine: eng}
				publish(t, db, owner, admin, "碳纤维车身")
				x := publish(t, db, owner, admin, "石墨烯散热膜")
				publish(t, db, owner, admin, "铝合金压铸")
				if _, err := w.Drain(context.Background()); err != nil {
					t.Fatal(err)
				}
				liveDuringRebuild := -1
				// Once, before the first achievement page is written.
				race := sync.OnceFunc(func() {
					if _, err := store.NewItemService(db).CloseItem(owner, market.KindAchievement, x); err != nil {
						t.Error(err)
					}
					if n, err := w.Drain(context.Background()); n != 1 || err != nil {
						t.Errorf("worker drained %d (%v)", n, err)
					}
					liveDuringRebuild = total(t, eng, "")
				})
				var target search.Engine = &plain{Engine: eng, before: race}
				if mode == "rebuild" {
					target = &rebuilding{Engine: eng, before: race}
				}
				n, err := outbox.Reindex(context.Background(), db, target, io.Discard)
				if err != nil {
					t.Fatal(err)
				}
				if n != 3 {
					t.Errorf("reindexed %d, want the 3 read as published", n)
				}
				if total(t, eng, "石墨烯") != 0 {
					t.Fatal("the closed item came back after reindex")
				}
				if total(t, eng, "") != 2 || total(t, eng, "碳纤维") != 1 || total(t, eng, "铝合金") != 1 {
					t.Fatalf("index after reindex holds %d items, want the 2 published", total(t, eng, ""))
				}
				if mode == "rebuild" && liveDuringRebuild != 2 {
					t.Errorf("during the rebuild searches saw %d items, want the whole live index (2)", liveDuringRebuild)
				}
			})
		})
	}
}
