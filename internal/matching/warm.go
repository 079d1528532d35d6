package matching

import (
	"context"
	"log/slog"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Warmer keeps the own ranking of every published listing in Rankings, so
// that the reciprocal rank of a match reads its ten candidates' rankings
// from memory instead of running ten matches: a pass at start and then
// every Every, one match at a time (at most one core), computing only the
// rankings that are not kept or are older than Every. What is published
// or edited between passes is ranked when a match first asks for it.
type Warmer struct {
	Rankings   *Rankings
	Engine     search.Engine
	Vocabulary *search.Vocabulary // nil: the thesaurus alone
	// Listings returns up to n published listings of kind with IDs after
	// after, in ID order (store.DB.PublishedItems).
	Listings func(ctx context.Context, kind search.Kind, after string, n int) ([]search.Document, error)
	// Settled, when set, reports whether the engine holds every change
	// made so far (the outbox is empty). A pass waits for it, checking
	// every second for at most settleWait, so that after a fresh start it
	// does not rank against a half-filled index.
	Settled func(ctx context.Context) (bool, error)
	// Every is how often a pass starts; 0 means half the Rankings' TTL.
	Every time.Duration
	Log   *slog.Logger // nil: slog.Default()
}

// settleWait bounds how long a pass waits for the engine to settle.
const settleWait = 5 * time.Minute

// settle waits until Settled says so, ctx ends or settleWait passes.
func (w *Warmer) settle(ctx context.Context, log *slog.Logger) {
	if w.Settled == nil {
		return
	}
	deadline := time.Now().Add(settleWait)
	for time.Now().Before(deadline) {
		if ok, err := w.Settled(ctx); ok || ctx.Err() != nil {
			return
		} else if err != nil {
			log.Warn("matching: cannot tell whether the index is up to date", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// warmPage is how many listings a pass reads at a time.
const warmPage = 500

// warmCheck is how often Run looks whether a pass is due.
const warmCheck = time.Minute

// Run makes a pass at once, then whenever Every has passed since the last
// one began or the lexicon in force changed (an operator's synonyms make
// every kept ranking a stale key), until ctx ends. A pass that fails is
// logged and the next check tries again.
func (w *Warmer) Run(ctx context.Context) {
	every := w.Every
	if every <= 0 {
		every = w.Rankings.ttl / 2
	}
	log := w.Log
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(warmCheck)
	defer t.Stop()
	var last time.Time
	var lexID uint64
	for {
		if time.Since(last) >= every || w.Vocabulary.Lexicon().Identity() != lexID {
			w.settle(ctx, log)
			last, lexID = time.Now(), w.Vocabulary.Lexicon().Identity()
			n, err := w.Pass(ctx, every)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				last = time.Time{} // try again at the next check
				log.Warn("matching: keeping the listings' own rankings failed; the next check tries again", "err", err, "computed", n)
			default:
				log.Info("matching: listings' own rankings kept", "computed", n, "took", time.Since(last).Round(time.Millisecond))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Pass computes the ranking of every published listing whose ranking is
// not kept or is older than age, and returns how many it computed.
func (w *Warmer) Pass(ctx context.Context, age time.Duration) (int, error) {
	n := 0
	for _, kind := range []search.Kind{search.KindDemand, search.KindAchievement} {
		for after := ""; ; {
			docs, err := w.Listings(ctx, kind, after, warmPage)
			if err != nil {
				return n, err
			}
			if len(docs) == 0 {
				break
			}
			for _, d := range docs {
				lex := w.Vocabulary.Lexicon()
				if w.Rankings.fresh(d, lex, age) {
					continue
				}
				if _, err := w.Rankings.ranking(ctx, w.Engine, d, lex, defaultWeights); err != nil {
					return n, err
				}
				n++
			}
			after = docs[len(docs)-1].ID
		}
	}
	return n, nil
}
