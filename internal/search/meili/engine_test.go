package meili_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/meili"
	"github.com/liuzhou-techmarket/techmarket/internal/search/searchtest"
)

// TestEngine runs the shared suite against a real Meilisearch server named
// by TECHMARKET_MEILI_URL (and TECHMARKET_MEILI_KEY). Each subtest gets its
// own random index prefix and drops its indexes afterwards.
func TestEngine(t *testing.T) {
	url := os.Getenv("TECHMARKET_MEILI_URL")
	if url == "" {
		t.Skip("TECHMARKET_MEILI_URL not set: Meilisearch integration tests skipped")
	}
	key := os.Getenv("TECHMARKET_MEILI_KEY")
	searchtest.Run(t, func(t *testing.T) search.Engine {
		b := make([]byte, 6)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		eng, err := meili.New(url, key, meili.WithIndexPrefix("test_"+hex.EncodeToString(b)+"_"))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if err := eng.Ping(context.Background()); err != nil {
			t.Fatalf("Ping %s: %v", url, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := eng.DropIndexes(ctx); err != nil {
				t.Errorf("DropIndexes: %v", err)
			}
			_ = eng.Close()
		})
		return eng
	})
}
