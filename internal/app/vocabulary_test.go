package app_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// applied records what a watcher applied last.
type applied struct {
	mu     sync.Mutex
	groups map[string][]string
	calls  int
}

func (a *applied) apply(_ context.Context, gs []market.SynonymGroup) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	a.groups = map[string][]string{}
	for _, g := range gs {
		a.groups[g.ID] = g.Terms
	}
	return nil
}

func (a *applied) terms(id string) ([]string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.groups[id]
	return t, ok && a.calls > 0
}

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

// Two instances on one database: a synonym group put through one
// instance's API is applied there at once (its watcher polls only hourly
// here: the change pokes it) and on the other by its next poll; a
// deletion travels the same way.
func TestVocabularyReachesEveryInstance(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(backend, func(t *testing.T) {
			cfg := apptest.Config(t, backend)
			a := apptest.NewWithConfig(t, cfg)
			b := apptest.NewWithConfig(t, cfg)
			if err := a.Sys.ApplyVocabulary(context.Background(), nil); err != nil {
				t.Fatalf("the default hook: %v", err)
			}
			onA, onB := &applied{}, &applied{}
			a.Sys.Vocabulary.Apply, a.Sys.Vocabulary.Interval = onA.apply, time.Hour
			b.Sys.Vocabulary.Apply, b.Sys.Vocabulary.Interval = onB.apply, 20*time.Millisecond
			for _, sys := range []*apptest.Env{a, b} {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); sys.Sys.Vocabulary.Run(ctx) }()
				t.Cleanup(func() { cancel(); <-done })
			}
			eventually(t, "both first applies", func() bool {
				_, okA := a.Sys.Vocabulary.Applied()
				_, okB := b.Sys.Vocabulary.Applied()
				return okA && okB
			})

			op := a.NewOrg(market.OrgOperator, true)
			a.Must(201, "PUT", "/api/v1/synonyms/lightweight", op.Token, map[string]any{"terms": []string{"轻量化", "减重"}})
			for name, on := range map[string]*applied{"the instance that made it": onA, "the other instance": onB} {
				eventually(t, "the group on "+name, func() bool {
					terms, ok := on.terms("lightweight")
					return ok && slices.Equal(terms, []string{"轻量化", "减重"})
				})
			}
			a.Must(204, "DELETE", "/api/v1/synonyms/lightweight", op.Token, nil)
			for name, on := range map[string]*applied{"the instance that made it": onA, "the other instance": onB} {
				eventually(t, "the deletion on "+name, func() bool { _, ok := on.terms("lightweight"); return !ok })
			}
		})
	}
}
