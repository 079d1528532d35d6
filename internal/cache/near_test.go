package cache_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liuzhou-techmarket/techmarket/internal/cache"
)

// redisPair opens two connections to one Redis under one fresh prefix: two
// instances of one deployment.
func redisPair(t *testing.T) (a, b *cache.Redis, prefix string) {
	t.Helper()
	url := os.Getenv("TECHMARKET_TEST_REDIS_URL")
	if url == "" {
		t.Skip("TECHMARKET_TEST_REDIS_URL not set: Redis integration tests skipped")
	}
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	prefix = "techmarket_test_" + hex.EncodeToString(buf) + ":"
	open := func() *cache.Redis {
		r, err := cache.OpenRedis(context.Background(), url, prefix)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b = open(), open()
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := a.Client().Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			a.Client().Del(ctx, keys...)
		}
		a.Close()
		b.Close()
	})
	return a, b, prefix
}

func proved(t *testing.T, ns ...*cache.Near) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, n := range ns {
		for !n.Proved() {
			if time.Now().After(deadline) {
				t.Fatal("the subscription never proved itself")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// B serves its copy without asking Redis; once A's release of a change
// has returned, B answers the new token at once, also while other readers
// on B keep fetching and copying the key.
func TestNearFreshAfterRelease(t *testing.T) {
	ra, rb, prefix := redisPair(t)
	a, b := cache.NewNear(ra), cache.NewNear(rb)
	t.Cleanup(func() { a.Close(); b.Close() })
	proved(t, a, b)
	ctx := context.Background()
	const key = "rv:i:achievement:x"

	t1, err := b.Version(ctx, key)
	if err != nil || t1 == "" {
		t.Fatalf("version: %q %v", t1, err)
	}
	// The copy answers even when Redis no longer has the token: no round
	// trip was made.
	if err := rb.Client().Del(ctx, prefix+key).Err(); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Version(ctx, key); got != t1 {
		t.Fatalf("B asked Redis instead of using its copy: %q, want %q", got, t1)
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				if _, err := b.Version(ctx, key); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 50 {
		marker, err := a.Fence(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Release(ctx, marker, key); err != nil {
			t.Fatal(err)
		}
		want, err := ra.Client().Get(ctx, prefix+key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := b.Version(ctx, key); got != want {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("change %d: B answered %q after A's release returned, Redis holds %q", i, got, want)
		}
	}
	stop.Store(true)
	wg.Wait()
}

// An instance registered lately that does not answer (its subscription
// died unnoticed, or it hangs) holds a release back until its copies can
// no longer be used; it does not hold it for ever.
func TestNearWaitsOutASilentInstance(t *testing.T) {
	ra, _, prefix := redisPair(t)
	a := cache.NewNear(ra)
	t.Cleanup(a.Close)
	proved(t, a)
	ctx := context.Background()
	if err := ra.Client().ZAdd(ctx, prefix+"rv:members", redisZ(time.Now())).Err(); err != nil {
		t.Fatal(err)
	}
	marker, err := a.Fence(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.Release(ctx, marker, "k"); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < cache.NearValid-50*time.Millisecond || waited > 5*cache.NearValid {
		t.Fatalf("release returned after %v with a silent instance; copies live %v", waited, cache.NearValid)
	}
}

func redisZ(at time.Time) redis.Z {
	return redis.Z{Score: float64(at.UnixMilli()), Member: "silent-instance"}
}
