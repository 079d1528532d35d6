package cache_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/cache"
)

type both interface {
	cache.Cache
	cache.Limiter
}

// forEach runs the suite on the in-process cache and, when
// TECHMARKET_TEST_REDIS_URL is set, on a real Redis under a fresh prefix.
func forEach(t *testing.T, fn func(t *testing.T, c both)) {
	t.Run("memory", func(t *testing.T) {
		m := cache.NewMemory()
		t.Cleanup(func() { m.Close() })
		fn(t, m)
	})
	t.Run("redis", func(t *testing.T) {
		url := os.Getenv("TECHMARKET_TEST_REDIS_URL")
		if url == "" {
			t.Skip("TECHMARKET_TEST_REDIS_URL not set: Redis integration tests skipped")
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		prefix := "techmarket_test_" + hex.EncodeToString(b) + ":"
		r, err := cache.OpenRedis(context.Background(), url, prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx := context.Background()
			keys, _ := r.Client().Keys(ctx, prefix+"*").Result()
			if len(keys) > 0 {
				r.Client().Del(ctx, keys...)
			}
			r.Close()
		})
		fn(t, r)
	})
}

func TestCache(t *testing.T) {
	forEach(t, func(t *testing.T, c both) {
		ctx := context.Background()
		if _, err := c.Get(ctx, "absent"); !errors.Is(err, cache.ErrMiss) {
			t.Fatalf("absent key: %v", err)
		}
		if err := c.Set(ctx, "k", []byte("v1"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Get(ctx, "k"); err != nil || string(v) != "v1" {
			t.Fatalf("get: %q %v", v, err)
		}
		if ok, err := c.SetNX(ctx, "k", []byte("v2"), time.Minute); ok || err != nil {
			t.Fatalf("SetNX on a present key: %v %v", ok, err)
		}
		if err := c.Del(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if ok, err := c.SetNX(ctx, "k", []byte("v3"), time.Minute); !ok || err != nil {
			t.Fatalf("SetNX on an absent key: %v %v", ok, err)
		}
		// Expiry.
		if err := c.Set(ctx, "short", []byte("x"), 1100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if _, err := c.Get(ctx, "short"); !errors.Is(err, cache.ErrMiss) {
			t.Fatalf("expired key: %v", err)
		}
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// Exactly one of many concurrent SetNX calls wins: idempotency keys rely
// on it.
func TestSetNXRace(t *testing.T) {
	forEach(t, func(t *testing.T, c both) {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := c.SetNX(context.Background(), "claim", []byte("x"), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d winners", wins.Load())
		}
	})
}

func TestLimiter(t *testing.T) {
	forEach(t, func(t *testing.T, c both) {
		ctx := context.Background()
		var allowed int
		var last cache.Decision
		for range 8 {
			d, err := c.Allow(ctx, "login:x", 5, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				allowed++
			}
			last = d
		}
		if allowed != 5 {
			t.Fatalf("allowed %d of 8 with a limit of 5", allowed)
		}
		// One token comes back every 12 s.
		if last.Allowed || last.RetryAfter <= 0 || last.RetryAfter > 12*time.Second {
			t.Fatalf("refusal: %+v", last)
		}
		// Keys are independent.
		if d, _ := c.Allow(ctx, "login:y", 5, time.Minute); !d.Allowed {
			t.Fatal("another key is limited too")
		}
	})
}

// Peek tells whether an event would be allowed without taking one, so a
// budget only failures spend can be checked first and spent after.
func TestLimiterPeek(t *testing.T) {
	forEach(t, func(t *testing.T, c both) {
		ctx := context.Background()
		for range 10 {
			if d, err := c.Peek(ctx, "peek:x", 3, time.Minute); err != nil || !d.Allowed {
				t.Fatalf("peek on a fresh bucket: %+v %v", d, err)
			}
		}
		for i := range 3 {
			if d, _ := c.Allow(ctx, "peek:x", 3, time.Minute); !d.Allowed {
				t.Fatalf("event %d refused: peeks took from the bucket", i)
			}
		}
		d, err := c.Peek(ctx, "peek:x", 3, time.Minute)
		if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 20*time.Second {
			t.Fatalf("peek on an empty bucket: %+v %v", d, err)
		}
		if d, _ := c.Allow(ctx, "peek:x", 3, time.Minute); d.Allowed {
			t.Fatal("the bucket is not empty after three events")
		}
	})
}
