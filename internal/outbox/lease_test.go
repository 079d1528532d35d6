package outbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/outbox"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

func ids(es []store.OutboxEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// counter reads a counter's value.
func counter(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func backlog(t *testing.T, db *store.DB) int64 {
	t.Helper()
	n, err := db.OutboxBacklog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// makeDue puts every outbox row's backoff in the past.
func makeDue(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.SQL().Exec("UPDATE search_outbox SET available_at = ?", "2000-01-01 00:00:00"); err != nil {
		t.Fatal(err)
	}
}

// Worker A's lease runs out and worker B reclaims the rows: A's late
// finish and retry must not touch them (they are B's now), and B's finish
// deletes them.
func TestExpiredLeaseReclaimedByAnotherWorker(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db, _, _, owner, admin := setup(t, dialect)
		for _, title := range []string{"碳纤维车身", "石墨烯散热膜", "铝合金压铸"} {
			publish(t, db, owner, admin, title)
		}
		ctx := context.Background()
		// The lease must outlive the second claim even on a loaded
		// machine (50 ms did not, once SQLite commits became durable).
		const lease = time.Second
		a, err := db.ClaimOutbox(ctx, 10, lease)
		if err != nil || len(a) != 3 {
			t.Fatalf("A claimed %d (%v), want 3", len(a), err)
		}
		if again, err := db.ClaimOutbox(ctx, 10, time.Minute); err != nil || len(again) != 0 {
			t.Fatalf("claimed %d rows under a live lease (%v)", len(again), err)
		}
		time.Sleep(lease + 100*time.Millisecond)
		b, err := db.ClaimOutbox(ctx, 10, time.Minute)
		if err != nil || len(b) != 3 {
			t.Fatalf("B reclaimed %d (%v), want 3", len(b), err)
		}
		if a[0].Token == "" || a[0].Token == b[0].Token {
			t.Fatalf("claim tokens %q and %q", a[0].Token, b[0].Token)
		}
		if b[0].Attempts != 2 {
			t.Errorf("attempts after two claims: %d", b[0].Attempts)
		}
		// A wakes up late.
		if n, err := db.FinishOutbox(ctx, a[0].Token, ids(a)); err != nil || n != 0 {
			t.Fatalf("A's late finish deleted %d rows (%v)", n, err)
		}
		if n, err := db.RetryOutbox(ctx, a[0].Token, ids(a), time.Hour, errors.New("late")); err != nil || n != 0 {
			t.Fatalf("A's late retry released %d rows (%v)", n, err)
		}
		if n := backlog(t, db); n != 3 {
			t.Fatalf("backlog %d after A's late calls, want B's 3", n)
		}
		// B's lease still holds: nobody else may claim.
		if c, err := db.ClaimOutbox(ctx, 10, time.Minute); err != nil || len(c) != 0 {
			t.Fatalf("claimed %d rows B holds (%v)", len(c), err)
		}
		if n, err := db.FinishOutbox(ctx, b[0].Token, ids(b)); err != nil || n != 3 {
			t.Fatalf("B's finish deleted %d (%v), want 3", n, err)
		}
		if n := backlog(t, db); n != 0 {
			t.Fatalf("backlog %d after B finished", n)
		}
	})
}

// The same through two Workers: A stalls inside the engine past its lease,
// B applies and finishes the rows, then A returns; nothing is lost and A
// reports the lost lease instead of deleting rows.
func TestWorkerStalledPastItsLease(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db, eng, _, owner, admin := setup(t, dialect)
		publish(t, db, owner, admin, "碳纤维车身")
		stall := &stalling{Engine: eng, release: make(chan struct{}), entered: make(chan struct{})}
		a := &outbox.Worker{Store: db, Engine: stall, Lease: 100 * time.Millisecond}
		b := &outbox.Worker{Store: db, Engine: eng, Lease: time.Minute}
		done := make(chan error, 1)
		go func() { _, err := a.Drain(context.Background()); done <- err }()
		<-stall.entered
		time.Sleep(200 * time.Millisecond)
		// A second change arrives while B works.
		if n, err := b.Drain(context.Background()); n != 1 || err != nil {
			t.Fatalf("B drained %d (%v), want the expired row", n, err)
		}
		id2 := publish(t, db, owner, admin, "石墨烯散热膜")
		close(stall.release)
		<-done
		if got := counter(t, a.Collectors()[3]); got != 1 {
			t.Errorf("A's lost-lease count %v, want 1", got)
		}
		if n := backlog(t, db); n != 1 {
			t.Fatalf("backlog %d, want the new change's row", n)
		}
		if _, err := b.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		if total(t, eng, "碳纤维") != 1 || total(t, eng, "石墨烯") != 1 {
			t.Fatalf("index lost a change (%s)", id2)
		}
	})
}

// stalling blocks its first Upsert until release is closed (or the call's
// context ends), as a Meilisearch task that takes long would.
type stalling struct {
	search.Engine
	entered, release chan struct{}
	once             bool
}

func (s *stalling) Upsert(ctx context.Context, d []search.Document) error {
	if !s.once {
		s.once = true
		close(s.entered)
		select {
		case <-s.release:
		case <-ctx.Done():
			<-s.release
			return market.Errorf(market.EUNAVAILABLE, "search engine timed out")
		}
	}
	return s.Engine.Upsert(ctx, d)
}

// One item the engine refuses does not hold back the others of its batch:
// they are applied one by one, the good ones go through, and the bad one
// backs off alone. After MaxAttempts failures of its own it is parked
// (kept, counted, retried only after ParkDelay); an outage never parks.
func TestPoisonItemDoesNotBlockItsBatch(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db, eng, w, owner, admin := setup(t, dialect)
		w.MaxAttempts, w.ParkDelay = 3, 24*time.Hour
		eng.setPoison("坏数据成果")
		publish(t, db, owner, admin, "碳纤维车身")
		bad := publish(t, db, owner, admin, "坏数据成果")
		publish(t, db, owner, admin, "石墨烯散热膜")
		ctx := context.Background()
		n, err := w.Drain(ctx)
		if n != 3 || err == nil {
			t.Fatalf("drained %d (%v), want 3 and the bad item's error", n, err)
		}
		if total(t, eng, "碳纤维") != 1 || total(t, eng, "石墨烯") != 1 {
			t.Fatal("good items of the batch were not applied")
		}
		var item string
		var attempts int
		if err := db.SQL().QueryRow("SELECT item_id, attempts FROM search_outbox").Scan(&item, &attempts); err != nil {
			t.Fatal(err)
		}
		if item != bad || attempts != 1 || backlog(t, db) != 1 {
			t.Fatalf("left %s with %d attempts (backlog %d), want only %s", item, attempts, backlog(t, db), bad)
		}
		// An outage on top: many more claims, no parking.
		eng.unavailable.Store(true)
		for range 4 {
			makeDue(t, db)
			if _, err := w.Drain(ctx); market.ErrorCode(err) != market.EUNAVAILABLE {
				t.Fatalf("drain during outage: %v", err)
			}
		}
		if got := counter(t, w.Collectors()[2]); got != 0 {
			t.Fatalf("parked %v rows during an outage", got)
		}
		eng.unavailable.Store(false)
		// Its own failure again, past MaxAttempts: parked, not dropped.
		makeDue(t, db)
		if _, err := w.Drain(ctx); err == nil {
			t.Fatal("poison item applied")
		}
		if got := counter(t, w.Collectors()[2]); got != 1 {
			t.Fatalf("parked count %v, want 1", got)
		}
		var lastError string
		var available time.Time
		if err := db.SQL().QueryRow("SELECT last_error, available_at FROM search_outbox WHERE item_id = ?", bad).Scan(&lastError, &available); err != nil {
			t.Fatal(err)
		}
		if until := time.Until(available); until < 23*time.Hour {
			t.Errorf("parked row due again in %v, want about ParkDelay", until)
		}
		if lastError == "" {
			t.Error("parked row lost its error")
		}
		if n, err := w.Drain(ctx); n != 0 || err != nil {
			t.Fatalf("parked row claimed again at once: %d %v", n, err)
		}
	})
}

// A worker that read an item as published and writes it after the owner
// closed it, and after another worker already applied the close, must not
// leave the stale document behind: it checks the item after writing and
// writes again when it changed.
func TestStaleWriteIsCorrected(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db, eng, _, owner, admin := setup(t, dialect)
		id := publish(t, db, owner, admin, "碳纤维车身")
		other := &outbox.Worker{Store: db, Engine: eng}
		racy := &onFirstUpsert{Engine: eng, before: sync.OnceFunc(func() {
			// Between A's read and A's write: the owner closes the item and
			// worker B applies that.
			if _, err := store.NewItemService(db).CloseItem(owner, market.KindAchievement, id); err != nil {
				t.Error(err)
			}
			if n, err := other.Drain(context.Background()); n != 1 || err != nil {
				t.Errorf("B drained %d (%v)", n, err)
			}
		})}
		a := &outbox.Worker{Store: db, Engine: racy}
		if _, err := a.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		if total(t, eng, "碳纤维") != 0 {
			t.Fatal("closed item left in the index by a stale write")
		}
		if n := backlog(t, db); n != 0 {
			t.Fatalf("backlog %d", n)
		}
	})
}

// onFirstUpsert runs before ahead of each Upsert; the test passes a
// sync.OnceFunc, so it runs just before the first.
type onFirstUpsert struct {
	search.Engine
	before func()
}

func (o *onFirstUpsert) Upsert(ctx context.Context, d []search.Document) error {
	o.before()
	return o.Engine.Upsert(ctx, d)
}
