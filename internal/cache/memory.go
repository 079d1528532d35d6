package cache

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Memory implements Cache and Limiter in process, for the embedded default
// where one server runs alone.
type Memory struct {
	mu       sync.Mutex
	entries  map[string]entry
	limiters map[string]*limiterEntry
	now      func() time.Time
	done     chan struct{}
	closed   sync.Once
}

type entry struct {
	val     []byte
	expires time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	last time.Time
}

var (
	_ Cache   = (*Memory)(nil)
	_ Limiter = (*Memory)(nil)
)

// NewMemory returns an empty in-process cache that sweeps expired entries
// every minute until closed.
func NewMemory() *Memory {
	m := &Memory{entries: map[string]entry{}, limiters: map[string]*limiterEntry{}, now: time.Now, done: make(chan struct{})}
	go m.sweep()
	return m
}

func (m *Memory) sweep() {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
			now := m.now()
			m.mu.Lock()
			for k, e := range m.entries {
				if !e.expires.IsZero() && now.After(e.expires) {
					delete(m.entries, k)
				}
			}
			// A limiter untouched for an hour is full again; drop it.
			for k, l := range m.limiters {
				if now.Sub(l.last) > time.Hour {
					delete(m.limiters, k)
				}
			}
			m.mu.Unlock()
		}
	}
}

func (m *Memory) live(key string, now time.Time) (entry, bool) {
	e, ok := m.entries[key]
	if ok && !e.expires.IsZero() && now.After(e.expires) {
		delete(m.entries, key)
		return entry{}, false
	}
	return e, ok
}

func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

// Get returns the value of key or ErrMiss.
func (m *Memory) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.live(key, m.now())
	if !ok {
		return nil, ErrMiss
	}
	return append([]byte(nil), e.val...), nil
}

// Set stores val under key for ttl (0 = no expiry).
func (m *Memory) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.entries[key] = entry{val: append([]byte(nil), val...), expires: expiry(now, ttl)}
	return nil
}

// SetNX stores val under key only if key is absent.
func (m *Memory) SetNX(_ context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if _, ok := m.live(key, now); ok {
		return false, nil
	}
	m.entries[key] = entry{val: append([]byte(nil), val...), expires: expiry(now, ttl)}
	return true, nil
}

// Del removes keys.
func (m *Memory) Del(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.entries, k)
	}
	return nil
}

// Ping always succeeds: the cache lives in this process.
func (m *Memory) Ping(context.Context) error { return nil }

// Close stops the sweeper.
func (m *Memory) Close() error {
	m.closed.Do(func() { close(m.done) })
	return nil
}

// Peek reports whether key's bucket holds a whole event, taking none.
func (m *Memory) Peek(_ context.Context, key string, limit int, period time.Duration) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	l, ok := m.limiters[key]
	if !ok || l.lim.Burst() != limit || l.lim.Limit() != rate.Every(period/time.Duration(limit)) {
		return Decision{Allowed: true, Remaining: limit}, nil
	}
	tokens := l.lim.TokensAt(now)
	if tokens >= 1 {
		return Decision{Allowed: true, Remaining: int(tokens)}, nil
	}
	return Decision{Allowed: false, RetryAfter: time.Duration((1 - tokens) * float64(period) / float64(limit))}, nil
}

// Allow takes one event from key's token bucket.
func (m *Memory) Allow(_ context.Context, key string, limit int, period time.Duration) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	every := rate.Every(period / time.Duration(limit))
	l, ok := m.limiters[key]
	if !ok || l.lim.Burst() != limit || l.lim.Limit() != every {
		l = &limiterEntry{lim: rate.NewLimiter(every, limit)}
		m.limiters[key] = l
	}
	l.last = now
	r := l.lim.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return Decision{Allowed: false, RetryAfter: delay}, nil
	}
	return Decision{Allowed: true, Remaining: int(l.lim.TokensAt(now))}, nil
}

// Take takes up to n events from key's bucket at once (fewer when fewer
// remain) and reports how many it took.
func (m *Memory) Take(_ context.Context, key string, limit int, period time.Duration, n int) (int, Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	every := rate.Every(period / time.Duration(limit))
	l, ok := m.limiters[key]
	if !ok || l.lim.Burst() != limit || l.lim.Limit() != every {
		l = &limiterEntry{lim: rate.NewLimiter(every, limit)}
		m.limiters[key] = l
	}
	l.last = now
	k := min(n, int(l.lim.TokensAt(now)))
	if k < 1 {
		return 0, Decision{Allowed: false, RetryAfter: time.Duration((1 - l.lim.TokensAt(now)) * float64(period) / float64(limit))}, nil
	}
	l.lim.ReserveN(now, k)
	return k, Decision{Allowed: true, Remaining: int(l.lim.TokensAt(now))}, nil
}
