// Package vocabulary brings the operators' synonym groups to every
// instance. Each instance runs a Watcher: it polls the vocabulary version
// (one row the database bumps with every change) and, when the number
// moves, reads the groups and hands them to Apply, which gives them to
// the search engines and matching. An instance that made a change itself
// is poked and applies it at once; the others follow within one Interval.
package vocabulary

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// DefaultInterval is how often a Watcher polls the version: a change
// reaches every instance well within the minute SPEC allows.
const DefaultInterval = 10 * time.Second

// Watcher applies the synonym groups of Source whenever they change.
type Watcher struct {
	Source market.VocabularyService
	// Interval between polls of the version, default DefaultInterval.
	Interval time.Duration
	// Apply receives every group, sorted by id, at start and after each
	// change. An error is logged and the same version is tried again at
	// the next poll.
	Apply func(ctx context.Context, groups []market.SynonymGroup) error
	Log   *slog.Logger

	once sync.Once
	poke chan struct{}

	mu      sync.Mutex
	applied int64
	ok      bool // applied holds a version that Apply accepted
}

func (w *Watcher) init() {
	w.once.Do(func() { w.poke = make(chan struct{}, 1) })
}

// Poke makes a running watcher check the version now instead of at the
// next tick. It never blocks; pokes that arrive while a check is pending
// are one check.
func (w *Watcher) Poke() {
	w.init()
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// Applied returns the version last applied, and false until Apply first
// succeeded.
func (w *Watcher) Applied() (int64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.applied, w.ok
}

// Run applies the groups at once, then again whenever the version changes
// or a poke asks, until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	w.init()
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	log := w.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The vocabulary is the platform's, not any org's: the watcher reads
	// it as the platform, as the seeder writes.
	if market.ActorFrom(ctx) == nil {
		ctx = market.WithActor(ctx, &market.Actor{PlatformAdmin: true, Role: market.RoleAdmin})
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := w.check(ctx); err != nil && ctx.Err() == nil {
			log.Warn("vocabulary not applied; trying again at the next poll", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.poke:
		}
	}
}

// check applies the groups when the version differs from the one last
// applied. The version is read before the groups: a change that commits
// in between is applied now and, its version being newer than the one
// recorded, once more at the next check, never missed.
func (w *Watcher) check(ctx context.Context) error {
	v, err := w.Source.VocabularyVersion(ctx)
	if err != nil {
		return err
	}
	if last, ok := w.Applied(); ok && last == v {
		return nil
	}
	groups, err := w.Source.ListSynonymGroups(ctx)
	if err != nil {
		return err
	}
	if err := w.Apply(ctx, groups); err != nil {
		return err
	}
	w.mu.Lock()
	w.applied, w.ok = v, true
	w.mu.Unlock()
	return nil
}

// Notifying returns svc with puts and deletes that poke w once they have
// committed, so the instance that made a change applies it at once.
func (w *Watcher) Notifying(svc market.VocabularyService) market.VocabularyService {
	return notifying{svc, w}
}

type notifying struct {
	market.VocabularyService
	w *Watcher
}

func (n notifying) PutSynonymGroup(ctx context.Context, id string, terms []string) (*market.SynonymGroup, bool, error) {
	g, created, err := n.VocabularyService.PutSynonymGroup(ctx, id, terms)
	if err == nil {
		n.w.Poke()
	}
	return g, created, err
}

func (n notifying) DeleteSynonymGroup(ctx context.Context, id string) error {
	err := n.VocabularyService.DeleteSynonymGroup(ctx, id)
	if err == nil {
		n.w.Poke()
	}
	return err
}
