package outbox_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/outbox"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// flaky wraps a real engine and fails while down is set, as an engine
// outage would; unavailable makes it fail the way a real engine reports
// an outage (EUNAVAILABLE). Documents whose title is in poison are
// refused, as an engine refuses a document it cannot take.
type flaky struct {
	search.Engine
	down, unavailable atomic.Bool
	mu                sync.Mutex
	poison            map[string]bool
	upserts           atomic.Int64
}

var errDown = errors.New("engine down")

func (f *flaky) fail() error {
	switch {
	case f.unavailable.Load():
		return market.Errorf(market.EUNAVAILABLE, "search engine unavailable")
	case f.down.Load():
		return errDown
	}
	return nil
}

func (f *flaky) setPoison(title string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.poison == nil {
		f.poison = map[string]bool{}
	}
	f.poison[title] = true
}

func (f *flaky) Upsert(ctx context.Context, d []search.Document) error {
	f.upserts.Add(1)
	if err := f.fail(); err != nil {
		return err
	}
	f.mu.Lock()
	for _, doc := range d {
		if f.poison[doc.Title] {
			f.mu.Unlock()
			return &market.Error{Code: market.EINTERNAL, Message: "search engine task failed", Err: errors.New("document refused: " + doc.ID)}
		}
	}
	f.mu.Unlock()
	return f.Engine.Upsert(ctx, d)
}

func (f *flaky) Delete(ctx context.Context, k search.Kind, ids []string) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Engine.Delete(ctx, k, ids)
}

func setup(t *testing.T, dialect string) (*store.DB, *flaky, *outbox.Worker, context.Context, context.Context) {
	db := storetest.Open(t, dialect)
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	f := &flaky{Engine: eng}
	w := &outbox.Worker{Store: db, Engine: f, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	owner, admin := orgActors(t, db)
	return db, f, w, owner, admin
}

// orgActors registers a verified university and returns its admin and
// the platform admin as contexts.
func orgActors(t *testing.T, db *store.DB) (owner, admin context.Context) {
	t.Helper()
	admin = market.WithActor(context.Background(), &market.Actor{PlatformAdmin: true, Role: market.RoleAdmin})
	code := "91450200MA00000010"
	c, _ := market.CreditCodeCheckChar(code[:17])
	o, err := store.NewOrgService(db).Register(admin, market.Registration{Kind: market.OrgUniversity, Name: "广西某大学", CreditCode: code[:17] + string(c),
		RegionCode: "450205", ContactName: "李", ContactPhone: "0772-2685000",
		Admin: market.NewUser{Account: "u@example.com", Password: "pass-word-1", Name: "管理员"}})
	if err != nil {
		t.Fatal(err)
	}
	owner = market.WithActor(context.Background(), &market.Actor{OrgID: o.ID, OrgKind: o.Kind, OrgVerified: true, Role: market.RoleAdmin})
	return owner, admin
}

func publish(t *testing.T, db *store.DB, owner, reviewer context.Context, title string) string {
	t.Helper()
	sum, ind, mat, region := "一种用于汽车零部件的轻量化复合材料技术。", "automotive", "pilot", "450205"
	modes := []string{"license"}
	it, err := store.NewItemService(db).CreateItem(owner, market.KindAchievement, market.AchievementInput{Title: &title, Summary: &sum,
		Industry: &ind, Maturity: &mat, TransferModes: &modes, RegionCode: &region})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.NewItemService(db).SubmitItem(owner, market.KindAchievement, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.NewItemService(db).ReviewItem(reviewer, market.KindAchievement, it.ID, market.Review{Decision: "approve"}); err != nil {
		t.Fatal(err)
	}
	return it.ID
}

func total(t *testing.T, eng search.Engine, q string) int {
	t.Helper()
	res, err := eng.Search(context.Background(), search.Query{Kind: search.KindAchievement, Text: q, Page: 1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

// Writes succeed while the engine is down; the rows wait with backoff and
// the index catches up once it is back.
func TestWorkerCatchesUpAfterOutage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db, eng, w, owner, admin := setup(t, dialect)
		eng.down.Store(true)
		id := publish(t, db, owner, admin, "碳纤维车身轻量化")
		if _, err := w.Drain(context.Background()); !errors.Is(err, errDown) {
			t.Fatalf("drain while down: %v", err)
		}
		if n, _ := db.OutboxBacklog(context.Background()); n == 0 {
			t.Fatal("failed entries were dropped")
		}
		// Backed off: not due again at once.
		if n, err := w.Drain(context.Background()); n != 0 || err != nil {
			t.Fatalf("entry retried before its backoff: %d %v", n, err)
		}
		eng.down.Store(false)
		if _, err := db.SQL().Exec("UPDATE search_outbox SET available_at = ?", "2000-01-01 00:00:00"); err != nil {
			t.Fatal(err)
		}
		// Only the approval touched a published state, so one entry waits.
		if n, err := w.Drain(context.Background()); n != 1 || err != nil {
			t.Fatalf("drained %d entries (%v), want 1", n, err)
		}
		if total(t, eng, "碳纤维") != 1 {
			t.Fatal("index did not catch up")
		}
		if n, _ := db.OutboxBacklog(context.Background()); n != 0 {
			t.Fatalf("backlog %d after catching up", n)
		}
		// Closing removes it; editing a published item updates it.
		id2 := publish(t, db, owner, admin, "石墨烯散热膜")
		newTitle := "石墨烯导热散热膜"
		if _, err := store.NewItemService(db).UpdateItem(owner, market.KindAchievement, id2, market.AchievementInput{Title: &newTitle}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.NewItemService(db).CloseItem(owner, market.KindAchievement, id); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		if total(t, eng, "碳纤维") != 0 || total(t, eng, "导热") != 1 {
			t.Fatal("index does not follow edit and close")
		}
	})
}

// Two workers draining at once never claim the same row.
func TestWorkersClaimDisjointRows(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db, _, _, owner, admin := setup(t, dialect)
		for i := range 30 {
			publish(t, db, owner, admin, "轻量化材料"+string(rune('A'+i)))
		}
		seen := map[string]int{}
		results := make(chan []store.OutboxEntry, 6)
		for range 6 {
			go func() {
				e, err := db.ClaimOutbox(context.Background(), 10, 60_000_000_000)
				if err != nil {
					t.Error(err)
				}
				results <- e
			}()
		}
		for range 6 {
			for _, e := range <-results {
				seen[e.ID]++
			}
		}
		if len(seen) != 30 {
			t.Fatalf("claimed %d distinct rows of 30", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("row %s claimed %d times", id, n)
			}
		}
	})
}
