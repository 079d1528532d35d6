package bleve_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
	"github.com/liuzhou-techmarket/techmarket/internal/search/searchtest"
)

func TestEngineMemory(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Engine {
		eng, err := bleve.OpenMemory()
		if err != nil {
			t.Fatalf("OpenMemory: %v", err)
		}
		t.Cleanup(func() { _ = eng.Close() })
		return eng
	})
}

func TestEngineDisk(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Engine {
		eng, err := bleve.Open(t.TempDir())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = eng.Close() })
		return eng
	})
}

func TestReopenKeepsDocuments(t *testing.T) {
	dir := t.TempDir()
	eng := openFilled(t, dir)
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	eng, err := bleve.Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer eng.Close()
	res := searchtest.Search(t, eng, search.Query{Kind: search.KindAchievement, Text: "减重"})
	if got := searchtest.IDs(res); len(got) < 1 || got[0] != "a1" {
		t.Errorf("after reopen: %v, want a1 first", got)
	}
}

func TestOpenRefusesOtherSchema(t *testing.T) {
	dir := t.TempDir()
	eng, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	eng.Close()
	// An index directory that is not ours (or from another version).
	if err := os.RemoveAll(filepath.Join(dir, "demand.bleve")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demand.bleve"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bleve.Open(dir); err == nil {
		t.Fatal("Open succeeded on a broken index")
	}
}

func TestClosedEngineIsUnavailable(t *testing.T) {
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, err := range map[string]error{
		"Ping":      eng.Ping(ctx),
		"Search":    func() error { _, err := eng.Search(ctx, search.Query{Kind: search.KindDemand}); return err }(),
		"Upsert":    eng.Upsert(ctx, searchtest.Demands()),
		"Delete":    eng.Delete(ctx, search.KindDemand, []string{"d1"}),
		"DeleteAll": eng.DeleteAll(ctx, search.KindDemand),
	} {
		if market.ErrorCode(err) != market.EUNAVAILABLE {
			t.Errorf("%s after Close: %v, want %s", name, err, market.EUNAVAILABLE)
		}
	}
	if err := eng.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestUpsertRejectsBadDocuments(t *testing.T) {
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	for _, d := range []search.Document{{Kind: search.KindDemand}, {ID: "x", Kind: "catalog"}} {
		if err := eng.Upsert(context.Background(), []search.Document{d}); market.ErrorCode(err) != market.EINVALID {
			t.Errorf("Upsert(%+v) = %v, want %s", d, err, market.EINVALID)
		}
	}
}

func TestLongBodyIsCropped(t *testing.T) {
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	d := searchtest.Achievements()[0]
	d.Body = strings.Repeat("前言部分的文字。", 40) + "关键在于铝合金挤压工艺。" + strings.Repeat("后记。", 40)
	if err := eng.Upsert(context.Background(), []search.Document{d}); err != nil {
		t.Fatal(err)
	}
	res := searchtest.Search(t, eng, search.Query{Kind: search.KindAchievement, Text: "挤压"})
	if len(res.Hits) != 1 {
		t.Fatalf("%d hits", len(res.Hits))
	}
	body := res.Hits[0].Formatted["body"]
	if !strings.HasPrefix(body, "…") || !strings.HasSuffix(body, "…") || !strings.Contains(body, "<em>挤压</em>") {
		t.Errorf("snippet %q: want a cropped window around <em>挤压</em>", body)
	}
}

// Searches, writes and DeleteAll may run at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	if err := eng.Upsert(ctx, append(searchtest.Achievements(), searchtest.Demands()...)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 8)
	for w := range 4 {
		go func() {
			for i := range 30 {
				q := search.Query{Kind: search.KindAchievement, Text: []string{"", "减重", "AGV", "螺蛳粉 杀菌"}[i%4], MatchAny: w%2 == 0}
				if _, err := eng.Search(ctx, q); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for w := range 4 {
		go func() {
			for i := range 10 {
				var err error
				switch (w + i) % 3 {
				case 0:
					err = eng.Upsert(ctx, searchtest.Achievements()[i%6:i%6+1])
				case 1:
					err = eng.Delete(ctx, search.KindAchievement, []string{searchtest.Achievements()[i%6].ID})
				default:
					err = eng.DeleteAll(ctx, search.KindDemand)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// A second process (reindex while serve runs) must not wait forever for
// the index's file lock: it fails within the lock timeout, saying why.
func TestOpenLockedIndexFailsQuickly(t *testing.T) {
	dir := t.TempDir()
	eng, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	start := time.Now()
	second, err := bleve.Open(dir)
	if err == nil {
		second.Close()
		t.Fatal("opened an index another engine holds")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("second Open took %v", took)
	}
	if !errors.Is(err, bleve.ErrLocked) || !strings.Contains(err.Error(), "in use by another process (stop serve first)") {
		t.Errorf("second Open: %v, want ErrLocked", err)
	}
	// The first engine is unharmed, and once closed the index opens.
	if err := eng.Upsert(context.Background(), searchtest.Achievements()); err != nil {
		t.Fatal(err)
	}
	eng.Close()
	again, err := bleve.Open(dir)
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	again.Close()
}

// A DeleteAll whose swap fails keeps the old index; if even that cannot be
// reopened the kind answers EUNAVAILABLE (503), never "unknown kind"
// (422), and a restart finds the documents again.
func TestDeleteAllFailureKeepsTheKind(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := openFilled(t, dir)
	defer func() { eng.Close() }()
	boom := errors.New("disk full")
	for _, step := range []string{"close new", "set old aside", "move new in", "open new"} {
		eng.FailStep(func(s string) error {
			if s == step {
				return boom
			}
			return nil
		})
		if err := eng.DeleteAll(ctx, search.KindAchievement); !errors.Is(err, boom) {
			t.Fatalf("DeleteAll failing at %q: %v", step, err)
		}
		eng.FailStep(nil)
		if res := searchtest.Search(t, eng, search.Query{Kind: search.KindAchievement}); res.Total != len(searchtest.Achievements()) {
			t.Fatalf("after a failed DeleteAll (%s): %d documents, want the old %d", step, res.Total, len(searchtest.Achievements()))
		}
		if err := eng.Upsert(ctx, searchtest.Achievements()[:1]); err != nil {
			t.Fatalf("Upsert after a failed DeleteAll (%s): %v", step, err)
		}
	}
	// The new index cannot be opened and neither can the old one.
	eng.FailStep(func(s string) error {
		if s == "open new" || s == "reopen old" {
			return boom
		}
		return nil
	})
	if err := eng.DeleteAll(ctx, search.KindAchievement); market.ErrorCode(err) != market.EUNAVAILABLE {
		t.Fatalf("DeleteAll losing the index: %v, want %s", err, market.EUNAVAILABLE)
	}
	eng.FailStep(nil)
	for name, err := range map[string]error{
		"Search":    func() error { _, err := eng.Search(ctx, search.Query{Kind: search.KindAchievement}); return err }(),
		"Upsert":    eng.Upsert(ctx, searchtest.Achievements()[:1]),
		"Delete":    eng.Delete(ctx, search.KindAchievement, []string{"a1"}),
		"DeleteAll": eng.DeleteAll(ctx, search.KindAchievement),
	} {
		if market.ErrorCode(err) != market.EUNAVAILABLE {
			t.Errorf("%s on the lost kind: %v, want %s", name, err, market.EUNAVAILABLE)
		}
	}
	// The other kind is unaffected.
	if err := eng.Upsert(ctx, searchtest.Demands()); err != nil {
		t.Fatal(err)
	}
	eng.Close()
	var err error
	if eng, err = bleve.Open(dir); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if res := searchtest.Search(t, eng, search.Query{Kind: search.KindAchievement}); res.Total != len(searchtest.Achievements()) {
		t.Errorf("after restart: %d achievements, want %d", res.Total, len(searchtest.Achievements()))
	}
}

// A swap cut short between its two renames (a crash) leaves kind.bleve.old
// alone; Open puts it back rather than creating an empty index.
func TestOpenRestoresIndexSetAside(t *testing.T) {
	dir := t.TempDir()
	openFilled(t, dir).Close()
	live := filepath.Join(dir, "achievement.bleve")
	if err := os.Rename(live, live+".old"); err != nil {
		t.Fatal(err)
	}
	eng, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if res := searchtest.Search(t, eng, search.Query{Kind: search.KindAchievement}); res.Total != len(searchtest.Achievements()) {
		t.Errorf("%d achievements, want %d", res.Total, len(searchtest.Achievements()))
	}
}

// openFilled opens an index in dir holding the shared achievement fixture.
func openFilled(t *testing.T, dir string) *bleve.Engine {
	t.Helper()
	eng, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Upsert(context.Background(), searchtest.Achievements()); err != nil {
		eng.Close()
		t.Fatal(err)
	}
	return eng
}
