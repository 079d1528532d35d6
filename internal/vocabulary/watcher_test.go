package vocabulary_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
	"github.com/liuzhou-techmarket/techmarket/internal/vocabulary"
)

// counting is the real store, counting the polls of the version.
type counting struct {
	*store.VocabularyService
	db    *store.DB
	polls atomic.Int64
}

func newCounting(db *store.DB) *counting {
	return &counting{VocabularyService: store.NewVocabularyService(db), db: db}
}

func (c *counting) VocabularyVersion(ctx context.Context) (int64, error) {
	c.polls.Add(1)
	return c.VocabularyService.VocabularyVersion(ctx)
}

// recorder is an Apply that keeps what it was given and can be told to
// fail.
type recorder struct {
	mu    sync.Mutex
	calls [][]market.SynonymGroup
	fail  error
}

func (r *recorder) apply(_ context.Context, groups []market.SynonymGroup) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, groups)
	return r.fail
}

func (r *recorder) setFail(err error) {
	r.mu.Lock()
	r.fail = err
	r.mu.Unlock()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// last returns the ids and terms of the groups of the last call.
func (r *recorder) last() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return nil
	}
	out := map[string][]string{}
	for _, g := range r.calls[len(r.calls)-1] {
		out[g.ID] = g.Terms
	}
	return out
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func start(t *testing.T, w *vocabulary.Watcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func operator(t *testing.T, db *store.DB) context.Context {
	return storetest.MustCreateOrg(t, db, market.OrgOperator, true).Ctx
}

// The watcher applies at start, again after a put, a replacement and a
// delete made elsewhere (another instance: no poke), and not at all while
// nothing changes.
func TestWatcherFollowsChanges(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		src := newCounting(storetest.Open(t, dialect))
		op := operator(t, src.db)
		rec := &recorder{}
		w := &vocabulary.Watcher{Source: src, Interval: 5 * time.Millisecond, Apply: rec.apply}
		start(t, w)
		eventually(t, "the first apply", func() bool { return rec.count() == 1 })
		if got := rec.last(); len(got) != 0 {
			t.Fatalf("first apply %v, want no groups", got)
		}
		// Quiet: many polls, no second apply.
		polls := src.polls.Load()
		eventually(t, "ten more polls", func() bool { return src.polls.Load() >= polls+10 })
		if n := rec.count(); n != 1 {
			t.Fatalf("%d applies while nothing changed", n)
		}

		if _, _, err := src.PutSynonymGroup(op, "lightweight", []string{"轻量化", "减重"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the new group", func() bool { return slices.Equal(rec.last()["lightweight"], []string{"轻量化", "减重"}) })
		if _, _, err := src.PutSynonymGroup(op, "lightweight", []string{"轻量化", "减重", "减轻重量"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the replaced terms", func() bool { return len(rec.last()["lightweight"]) == 3 })
		if err := src.DeleteSynonymGroup(op, "lightweight"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the deletion", func() bool { _, ok := rec.last()["lightweight"]; return !ok })
		if v, ok := w.Applied(); !ok || v != 3 {
			t.Fatalf("applied version %d %v, want 3", v, ok)
		}
	})
}

// An Apply that fails is tried again at the next poll until it succeeds,
// though the version has not moved since.
func TestWatcherRetriesFailedApply(t *testing.T) {
	src := newCounting(storetest.Open(t, store.DialectSQLite))
	rec := &recorder{fail: errors.New("engine down")}
	w := &vocabulary.Watcher{Source: src, Interval: 5 * time.Millisecond, Apply: rec.apply}
	start(t, w)
	eventually(t, "three failed applies", func() bool { return rec.count() >= 3 })
	if _, ok := w.Applied(); ok {
		t.Fatal("a failed apply counts as applied")
	}
	rec.setFail(nil)
	eventually(t, "a successful apply", func() bool { _, ok := w.Applied(); return ok })
	n := rec.count()
	polls := src.polls.Load()
	eventually(t, "ten more polls", func() bool { return src.polls.Load() >= polls+10 })
	if rec.count() != n {
		t.Fatalf("applies went on after one succeeded: %d, then %d", n, rec.count())
	}
}

// A change made through Notifying pokes the watcher: it applies at once,
// long before its next tick.
func TestWatcherPokedByOwnChange(t *testing.T) {
	src := newCounting(storetest.Open(t, store.DialectSQLite))
	op := operator(t, src.db)
	rec := &recorder{}
	w := &vocabulary.Watcher{Source: src, Interval: time.Hour, Apply: rec.apply}
	svc := w.Notifying(src.VocabularyService)
	start(t, w)
	eventually(t, "the first apply", func() bool { return rec.count() == 1 })
	if _, _, err := svc.PutSynonymGroup(op, "cfrp", []string{"碳纤维", "CFRP"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the poked apply", func() bool { return len(rec.last()["cfrp"]) == 2 })
	if err := svc.DeleteSynonymGroup(op, "cfrp"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the poked deletion", func() bool { _, ok := rec.last()["cfrp"]; return rec.count() == 3 && !ok })
	// A refused change pokes nothing and changes nothing.
	if err := svc.DeleteSynonymGroup(op, "cfrp"); market.ErrorCode(err) != market.ENOTFOUND {
		t.Fatalf("delete unknown: %v", err)
	}
	// Poke from outside checks at once too; with nothing changed, no apply.
	polls := src.polls.Load()
	w.Poke()
	eventually(t, "the poked poll", func() bool { return src.polls.Load() > polls })
	w.Poke()
	w.Poke() // never blocks
	if v, ok := w.Applied(); !ok || v != 2 || rec.count() != 3 {
		t.Fatalf("applied %d %v after %d applies", v, ok, rec.count())
	}
}

// Poke before Run, or on a watcher that never runs (the CLI commands),
// neither blocks nor panics.
func TestPokeWithoutRun(t *testing.T) {
	w := &vocabulary.Watcher{}
	for range 3 {
		w.Poke()
	}
}
