package bleve_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	ctx := context.Background()
	dir := t.TempDir()
	eng, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Upsert(ctx, searchtest.Achievements()); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	eng, err = bleve.Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer eng.Close()
	res := searchtest.Search(t, eng, search.Query{Kind: search.KindAchievement, Text: "减重"})
	if got := searchtest.IDs(res); len(got) != 1 || got[0] != "a1" {
		t.Errorf("after reopen: %v, want [a1]", got)
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
