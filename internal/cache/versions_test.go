package cache_test

import (
	"context"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/cache"
)

// The version protocol: a token stays until a fence; a fenced key is not
// cacheable; a release gives a token never seen before, unless another
// writer's fence came since; a lost key comes back as a new token.
func TestVersions(t *testing.T) {
	forEach(t, func(t *testing.T, c both) {
		v := c.(cache.Versions)
		ctx := context.Background()
		t1, err := v.Version(ctx, "ver")
		if err != nil || t1 == "" {
			t.Fatalf("first version: %q %v", t1, err)
		}
		if again, _ := v.Version(ctx, "ver"); again != t1 {
			t.Fatalf("token moved without a change: %q then %q", t1, again)
		}
		seen := map[string]bool{t1: true}
		m1, err := v.Fence(ctx, "ver", "list")
		if err != nil {
			t.Fatal(err)
		}
		if tok, _ := v.Version(ctx, "ver"); tok != "" {
			t.Fatalf("fenced key answers token %q", tok)
		}
		// A second writer fences while the first is still in flight: the
		// first one's release must leave the second's fence in place.
		m2, _ := v.Fence(ctx, "ver")
		if err := v.Release(ctx, m1, "ver", "list"); err != nil {
			t.Fatal(err)
		}
		if tok, _ := v.Version(ctx, "ver"); tok != "" {
			t.Fatalf("another writer's fence was lifted: %q", tok)
		}
		if tok, _ := v.Version(ctx, "list"); tok == "" || seen[tok] {
			t.Fatalf("released list key: %q", tok)
		}
		_ = v.Release(ctx, m2, "ver")
		t2, _ := v.Version(ctx, "ver")
		if t2 == "" || seen[t2] {
			t.Fatalf("after both releases: %q", t2)
		}
		seen[t2] = true
		_ = c.Del(ctx, "ver")
		if t3, _ := v.Version(ctx, "ver"); t3 == "" || seen[t3] {
			t.Fatalf("a lost key came back as %q", t3)
		}
	})
}
