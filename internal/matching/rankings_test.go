package matching

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/searchtest"
)

// countingEngine counts the searches a match runs: one for its own
// candidates, one per reverse match it computes.
type countingEngine struct {
	search.Engine
	n atomic.Int64
}

func (e *countingEngine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	e.n.Add(1)
	return e.Engine.Search(ctx, q)
}

func (e *countingEngine) take() int64 { return e.n.Swap(0) }

// testClock is the clock a test moves by hand.
type testClock struct{ now time.Time }

// keptOnClock returns a counting engine over the fixture and rankings
// (TTL an hour) on a clock the test moves.
func keptOnClock(t *testing.T) (*countingEngine, *Rankings, *testClock) {
	clock := &testClock{now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	kept := NewRankings(0, time.Hour)
	kept.Now = func() time.Time { return clock.now }
	return &countingEngine{Engine: fixtureEngine(t)}, kept, clock
}

// A kept ranking answers for the candidates asked before, the answer is
// the one computed afresh, and what would make it wrong (the candidate
// edited, the lexicon changed, the source published after it was kept,
// its time up) makes the match compute it again.
func TestRankingsKeepReverseMatches(t *testing.T) {
	ctx := context.Background()
	eng, kept, clock := keptOnClock(t)
	now := &clock.now
	d1 := demand("d1")
	d1.PublishedAt = now.Add(-48 * time.Hour)

	fresh, err := MatchWith(ctx, eng, d1, 10, Options{Reciprocal: true})
	if err != nil {
		t.Fatal(err)
	}
	reverse := eng.take() - 1
	if reverse < 2 {
		t.Fatalf("the fixture should give d1 several candidates to ask, got %d reverse matches", reverse)
	}

	first, err := MatchWith(ctx, eng, d1, 10, Options{Reciprocal: true, Rankings: kept})
	if err != nil {
		t.Fatal(err)
	}
	if got := eng.take(); got != 1+reverse {
		t.Fatalf("the first match with nothing kept ran %d searches, want %d", got, 1+reverse)
	}
	*now = now.Add(time.Minute)
	again, err := MatchWith(ctx, eng, d1, 10, Options{Reciprocal: true, Rankings: kept})
	if err != nil {
		t.Fatal(err)
	}
	if got := eng.take(); got != 1 {
		t.Fatalf("with the rankings kept a match ran %d searches, want 1 (its own)", got)
	}
	if !reflect.DeepEqual(fresh, first) || !reflect.DeepEqual(fresh, again) {
		t.Fatalf("kept rankings changed the answer:\nfresh %+v\nfirst %+v\nagain %+v", fresh, first, again)
	}
	if hits, misses := kept.Stats(); hits != reverse || misses != reverse {
		t.Errorf("Stats() = %d hits, %d misses, want %d and %d", hits, misses, reverse, reverse)
	}

	// A source published less than indexLag before the rankings were kept
	// may be missing from them: they are not used for it.
	newer := d1
	newer.ID, newer.PublishedAt = "d-new", now.Add(-2*time.Minute)
	if err := eng.Upsert(ctx, []search.Document{newer}); err != nil {
		t.Fatal(err)
	}
	eng.take()
	if _, err := MatchWith(ctx, eng, newer, 10, Options{Reciprocal: true, Rankings: kept}); err != nil {
		t.Fatal(err)
	}
	if got := eng.take(); got == 1 {
		t.Errorf("a source published after the rankings were kept was answered from them")
	}

	// An edited candidate is asked again; the others answer from memory.
	top := first[0]
	var cand search.Document
	for _, d := range append(searchtest.Achievements(), searchtest.Demands()...) {
		if d.ID == top.ID {
			cand = d
		}
	}
	cand.Body += " 补充说明。"
	if err := eng.Upsert(ctx, []search.Document{cand}); err != nil {
		t.Fatal(err)
	}
	eng.take()
	if _, err := MatchWith(ctx, eng, d1, 10, Options{Reciprocal: true, Rankings: kept}); err != nil {
		t.Fatal(err)
	}
	if got := eng.take(); got != 2 {
		t.Errorf("after one candidate was edited a match ran %d searches, want 2 (its own and the edited candidate's)", got)
	}

	// Another lexicon (an operator's synonyms) is another key, and the
	// rankings kept under the one before are dropped.
	other := search.Builtin().WithGroups([][]string{{"减重", "瘦身"}})
	if _, err := MatchWith(ctx, eng, d1, 10, Options{Reciprocal: true, Rankings: kept, Lexicon: other}); err != nil {
		t.Fatal(err)
	}
	if got := eng.take(); got == 1 {
		t.Errorf("rankings kept under the thesaurus answered under another lexicon")
	}
	if n := kept.kept.Len(); n > defaultWeights.mutualTop {
		t.Errorf("%d rankings kept after the lexicon changed, want only the new lexicon's (at most %d)", n, defaultWeights.mutualTop)
	}
	if _, err := MatchWith(ctx, eng, d1, 10, Options{Reciprocal: true, Rankings: kept}); err != nil {
		t.Fatal(err)
	}
	if got := eng.take(); got == 1 {
		t.Errorf("rankings of the thesaurus answered after they were dropped")
	}

	// Past their time the rankings are computed again.
	*now = now.Add(time.Hour)
	if _, err := MatchWith(ctx, eng, d1, 10, Options{Reciprocal: true, Rankings: kept}); err != nil {
		t.Fatal(err)
	}
	if got := eng.take(); got != 1+reverse {
		t.Errorf("an hour later, with a TTL of an hour, a match ran %d searches, want %d", got, 1+reverse)
	}
}

// A nil *Rankings keeps nothing and says so.
func TestNilRankings(t *testing.T) {
	var r *Rankings
	if ms, err := r.ranking(context.Background(), fixtureEngine(t), demand("d1"), search.Builtin(), defaultWeights); err != nil || len(ms) == 0 {
		t.Fatalf("a nil Rankings still computes the ranking: %v, %v", ms, err)
	}
	if _, ok := r.rank(demand("d1"), demand("d2"), search.Builtin()); ok {
		t.Error("a nil Rankings answered")
	}
	if h, m := r.Stats(); h != 0 || m != 0 {
		t.Errorf("Stats() = %d, %d", h, m)
	}
}

// A warmer's pass keeps every listing's ranking, so that a match then
// runs its own search only; a second pass computes only what is missing
// or older than it is told.
func TestWarmerKeepsEveryRanking(t *testing.T) {
	ctx := context.Background()
	eng, kept, clock := keptOnClock(t)
	now := &clock.now
	listings := map[search.Kind][]search.Document{
		search.KindAchievement: searchtest.Achievements(),
		search.KindDemand:      searchtest.Demands(),
	}
	pages := 0
	w := &Warmer{Rankings: kept, Engine: eng, Listings: func(_ context.Context, kind search.Kind, after string, n int) ([]search.Document, error) {
		pages++
		var out []search.Document
		for _, d := range listings[kind] {
			if d.ID > after && len(out) < n {
				out = append(out, d)
			}
		}
		return out, nil
	}}
	all := len(listings[search.KindAchievement]) + len(listings[search.KindDemand])
	n, err := w.Pass(ctx, 30*time.Minute)
	if err != nil || n != all {
		t.Fatalf("Pass() = %d, %v, want every one of the %d listings", n, err, all)
	}
	if got := eng.take(); got != int64(all) {
		t.Errorf("the pass ran %d searches, want %d", got, all)
	}
	*now = now.Add(2 * time.Minute)
	d1 := demand("d1")
	d1.PublishedAt = now.Add(-48 * time.Hour)
	warm, err := MatchWith(ctx, eng, d1, 10, Options{Reciprocal: true, Rankings: kept})
	if err != nil {
		t.Fatal(err)
	}
	if got := eng.take(); got != 1 {
		t.Errorf("after the pass a match ran %d searches, want 1", got)
	}
	cold, err := MatchWith(ctx, eng, d1, 10, Options{Reciprocal: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(warm, cold) {
		t.Errorf("the warmed rankings changed the answer:\nwarm %+v\ncold %+v", warm, cold)
	}

	if n, err := w.Pass(ctx, 30*time.Minute); err != nil || n != 0 {
		t.Errorf("a second pass within the age computed %d (%v), want 0", n, err)
	}
	*now = now.Add(31 * time.Minute)
	if n, err := w.Pass(ctx, 30*time.Minute); err != nil || n != all {
		t.Errorf("a pass after the age computed %d (%v), want %d", n, err, all)
	}
	if pages == 0 {
		t.Error("Listings was never asked")
	}
}

// Run waits for the index to settle, makes a pass at once, and returns
// when its context ends.
func TestWarmerRun(t *testing.T) {
	eng := fixtureEngine(t)
	kept := NewRankings(0, 0)
	var settled atomic.Int64
	passDone := make(chan struct{})
	w := &Warmer{Rankings: kept, Engine: eng, Every: time.Hour,
		Settled: func(context.Context) (bool, error) { settled.Add(1); return true, nil },
		Listings: func(_ context.Context, kind search.Kind, after string, n int) ([]search.Document, error) {
			if settled.Load() == 0 {
				t.Error("a pass began before the index was known to be settled")
			}
			docs := searchtest.Demands()
			if kind == search.KindAchievement {
				docs = searchtest.Achievements()
			}
			if after != "" {
				if kind == search.KindAchievement {
					close(passDone)
				}
				return nil, nil
			}
			return docs, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { w.Run(ctx); close(stopped) }()
	select {
	case <-passDone:
	case <-time.After(time.Minute):
		t.Fatal("no pass within a minute")
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after its context ended")
	}
	d1 := demand("d1")
	n := 0
	for _, a := range searchtest.Achievements() {
		if kept.fresh(a, search.Builtin(), time.Hour) {
			n++
		}
	}
	if n != len(searchtest.Achievements()) || !kept.fresh(d1, search.Builtin(), time.Hour) {
		t.Errorf("after a pass %d of %d achievements' rankings are kept (d1: %v)", n, len(searchtest.Achievements()), kept.fresh(d1, search.Builtin(), time.Hour))
	}
}
