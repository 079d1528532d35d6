package cache

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// Taker is a shared Limiter that can take several events at once (Redis).
type Taker interface {
	Limiter
	Take(ctx context.Context, key string, limit int, period time.Duration, n int) (int, Decision, error)
}

// Lease bounds of Leasing.
const (
	// LeaseWindow is how long events taken ahead stay spendable here;
	// what is left after it is given up.
	LeaseWindow = time.Second
	// LeaseMax caps the events one instance holds ahead for one key.
	LeaseMax = 100
)

// Leasing is a Limiter in front of a shared one that saves the round trip
// of a busy key: it takes events from the shared bucket ahead, as many as
// the key spent here in the last LeaseWindow (at most LeaseMax and a tenth
// of what the bucket has left), and spends them locally for LeaseWindow.
// A key seen once a window costs one event and one round trip per request,
// exactly as the shared limiter alone; so does any key near its limit,
// because the lease shrinks with what is left. Every event spent was taken
// from the shared bucket first, so all instances together never allow more
// than the limit; the price is that events one instance took and did not
// spend within the window are lost to the others.
type Leasing struct {
	shared Taker
	now    func() time.Time

	mu   sync.Mutex
	held map[string]*lease
}

type lease struct {
	left      int       // events taken and not yet spent
	remaining int       // the shared bucket's remaining after the last take
	until     time.Time // end of the window the events were taken in
	spent     int       // spent in this window: the size of the next take
	taking    bool      // a take of more than one event is under way
}

// leaseKeys bounds the keys held; when full, expired leases are dropped.
const leaseKeys = 1 << 16

// NewLeasing puts a lease in front of shared.
func NewLeasing(shared Taker, now func() time.Time) *Leasing {
	if now == nil {
		now = time.Now
	}
	return &Leasing{shared: shared, now: now, held: map[string]*lease{}}
}

// Allow spends one event of key's lease, or takes a new lease.
func (l *Leasing) Allow(ctx context.Context, key string, limit int, period time.Duration) (Decision, error) {
	hk := leaseKey(key, limit, period)
	now := l.now()
	l.mu.Lock()
	h := l.held[hk]
	if h != nil && now.Before(h.until) && h.left > 0 {
		h.left--
		h.spent++
		d := Decision{Allowed: true, Remaining: h.remaining + h.left}
		l.mu.Unlock()
		return d, nil
	}
	n := 1
	var leasing *lease // the lease whose take this is, if more than one event
	if h != nil && !h.taking && now.Before(h.until.Add(LeaseWindow)) {
		// Busy in this window or the one just ended: take what it spent.
		// One such take at a time: the requests that miss while it is
		// under way take one event each, or a burst of them would each
		// take a lease and drain the bucket for the events' owner.
		n = max(min(h.spent+1, LeaseMax, h.remaining/10), 1)
		h.taking = true
		leasing = h
	}
	l.mu.Unlock()

	got, d, err := l.shared.Take(ctx, key, limit, period, n)
	l.mu.Lock()
	defer l.mu.Unlock()
	if leasing != nil {
		leasing.taking = false
	}
	if err != nil || got == 0 {
		return d, err
	}
	h = l.held[hk]
	if h == nil || !now.Before(h.until) {
		if h == nil && len(l.held) >= leaseKeys {
			l.sweep(now)
		}
		h = &lease{until: now.Add(LeaseWindow)}
		l.held[hk] = h
	}
	h.left += got - 1
	h.spent++
	h.remaining = d.Remaining
	return Decision{Allowed: true, Remaining: h.remaining + h.left}, nil
}

// Peek says whether Allow would allow one event now: yes while a lease
// holds one, else as the shared bucket says.
func (l *Leasing) Peek(ctx context.Context, key string, limit int, period time.Duration) (Decision, error) {
	hk := leaseKey(key, limit, period)
	now := l.now()
	l.mu.Lock()
	h := l.held[hk]
	if h != nil && now.Before(h.until) && h.left > 0 {
		d := Decision{Allowed: true, Remaining: h.remaining + h.left}
		l.mu.Unlock()
		return d, nil
	}
	l.mu.Unlock()
	return l.shared.Peek(ctx, key, limit, period)
}

func (l *Leasing) sweep(now time.Time) {
	for k, h := range l.held {
		if !now.Before(h.until.Add(LeaseWindow)) {
			delete(l.held, k)
		}
	}
}

func leaseKey(key string, limit int, period time.Duration) string {
	return key + "\x00" + strconv.Itoa(limit) + "/" + period.String()
}
