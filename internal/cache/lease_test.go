package cache_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/cache"
)

// counting counts the round trips a Leasing makes to the shared bucket.
type counting struct {
	cache.Taker
	takes atomic.Int64
}

func (c *counting) Take(ctx context.Context, key string, limit int, period time.Duration, n int) (int, cache.Decision, error) {
	c.takes.Add(1)
	return c.Taker.Take(ctx, key, limit, period, n)
}

func taker(t *testing.T, c both) *counting {
	tk, ok := c.(cache.Taker)
	if !ok {
		t.Fatalf("%T cannot take several events at once", c)
	}
	return &counting{Taker: tk}
}

// Near its limit a key costs one event per request, exactly as the shared
// limiter alone: the sixth of five is refused.
func TestLeasingExactNearTheLimit(t *testing.T) {
	forEach(t, func(t *testing.T, c both) {
		ctx := context.Background()
		l := cache.NewLeasing(taker(t, c), nil)
		allowed := 0
		var last cache.Decision
		for range 8 {
			d, err := l.Allow(ctx, "ip:near", 5, time.Minute)
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
		if last.RetryAfter <= 0 || last.RetryAfter > 12*time.Second {
			t.Fatalf("refusal: %+v", last)
		}
		if d, _ := l.Peek(ctx, "ip:near", 5, time.Minute); d.Allowed {
			t.Fatalf("peek on an empty bucket: %+v", d)
		}
	})
}

// A busy key far from its limit takes events ahead: far fewer round trips
// than requests, every request allowed.
func TestLeasingSavesRoundTrips(t *testing.T) {
	forEach(t, func(t *testing.T, c both) {
		ctx := context.Background()
		tk := taker(t, c)
		now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
		l := cache.NewLeasing(tk, func() time.Time { return now })
		for i := range 2000 {
			d, err := l.Allow(ctx, "ip:busy", 1_000_000, time.Minute)
			if err != nil || !d.Allowed {
				t.Fatalf("request %d: %+v %v", i, d, err)
			}
		}
		if n := tk.takes.Load(); n > 40 {
			t.Fatalf("%d round trips for 2000 requests", n)
		}
		// Events not spent within the window are given up: after it, a
		// quiet key starts again with one event per round trip.
		now = now.Add(3 * cache.LeaseWindow)
		before := tk.takes.Load()
		if d, _ := l.Allow(ctx, "ip:busy", 1_000_000, time.Minute); !d.Allowed {
			t.Fatal("refused after the window")
		}
		if tk.takes.Load() != before+1 {
			t.Fatal("a request after the window was served from an expired lease")
		}
	})
}

// Instances leasing from one bucket never allow more than it holds
// together: two Leasings, many goroutines, a limit of 300 a minute.
func TestLeasingSharedBudget(t *testing.T) {
	forEach(t, func(t *testing.T, c both) {
		ctx := context.Background()
		a, b := cache.NewLeasing(taker(t, c), nil), cache.NewLeasing(taker(t, c), nil)
		const limit = 300
		var allowed atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for g := range 16 {
			l := a
			if g%2 == 1 {
				l = b
			}
			wg.Go(func() {
				for range 60 {
					d, err := l.Allow(ctx, "ip:shared", limit, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		// The bucket refills one event every 200 ms while the test runs.
		refill := int64(time.Since(start)/(time.Minute/limit)) + 1
		if got := allowed.Load(); got > limit+refill || got < limit/2 {
			t.Fatalf("allowed %d of 960 with a shared limit of %d (+%d refilled)", got, limit, refill)
		}
	})
}

// gated holds every Take until herd of them are under way (or a second
// has passed), so that a burst of requests really misses the lease at
// once, and sums the events they asked for.
type gated struct {
	cache.Taker
	herd    int
	entered atomic.Int64
	asked   atomic.Int64
	all     chan struct{}
	once    sync.Once
}

func (g *gated) Take(ctx context.Context, key string, limit int, period time.Duration, n int) (int, cache.Decision, error) {
	g.asked.Add(int64(n))
	if g.entered.Add(1) == int64(g.herd) {
		g.once.Do(func() { close(g.all) })
	}
	select {
	case <-g.all:
	case <-time.After(time.Second):
	}
	return g.Taker.Take(ctx, key, limit, period, n)
}

// A burst of concurrent requests from a busy key takes one lease, not one
// each: 200 approvals fired at once by one user far under their limit of
// 1200 a minute are all allowed (each used to take a lease of what the
// key spent in the last window, 61 events each, and the bucket ran dry).
func TestLeasingBurstTakesOneLease(t *testing.T) {
	forEach(t, func(t *testing.T, c both) {
		ctx := context.Background()
		tk, ok := c.(cache.Taker)
		if !ok {
			t.Fatalf("%T cannot take several events at once", c)
		}
		const limit, warm, burst = 1200, 60, 200
		now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
		g := &gated{Taker: tk, herd: 1, all: make(chan struct{})}
		l := cache.NewLeasing(g, func() time.Time { return now })
		for i := range warm {
			if d, err := l.Allow(ctx, "user:gov", limit, time.Minute); err != nil || !d.Allowed {
				t.Fatalf("request %d: %+v %v", i, d, err)
			}
		}
		// The next window: the lease is spent, and the burst arrives.
		now = now.Add(cache.LeaseWindow)
		g.herd, g.all, g.once = burst, make(chan struct{}), sync.Once{}
		g.entered.Store(0)
		g.asked.Store(0)
		var refused atomic.Int64
		var wg sync.WaitGroup
		for range burst {
			wg.Go(func() {
				d, err := l.Allow(ctx, "user:gov", limit, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if !d.Allowed {
					refused.Add(1)
				}
			})
		}
		wg.Wait()
		if n := refused.Load(); n > 0 {
			t.Fatalf("%d of %d requests refused, %d of %d a minute spent before", n, burst, warm, limit)
		}
		// One lease (at most LeaseMax) and one event for every other miss.
		if asked := g.asked.Load(); asked > burst-1+cache.LeaseMax {
			t.Fatalf("the burst asked the shared bucket for %d events for %d requests", asked, burst)
		}
	})
}
