package cache

import (
	"context"
	"sync"
	"time"
)

// Reads is the read cache of published items and public list pages: the
// version tokens (Versions) and the entries stored under them (Cache),
// both on the shared store, so a change fenced on one instance is seen by
// every other at once.
type Reads struct {
	V Versions
	C Cache
	l *local
}

// ItemVersionKey is the version key of one item.
func ItemVersionKey(kind, id string) string { return "rv:i:" + kind + ":" + id }

// ListVersionKey is the version key (the generation) of a kind's public
// lists.
func ListVersionKey(kind string) string { return "rv:l:" + kind }

// FenceItem fences the item and its kind's lists before a change to it
// commits; the caller calls release once the transaction has ended,
// committed or not.
func (r *Reads) FenceItem(ctx context.Context, kind, id string) (release func(), err error) {
	keys := []string{ItemVersionKey(kind, id), ListVersionKey(kind)}
	marker, err := r.V.Fence(ctx, keys...)
	if err != nil {
		return nil, err
	}
	return func() { _ = r.V.Release(context.WithoutCancel(ctx), marker, keys...) }, nil
}

// localMax bounds the process-local copies of entries; when full they are
// dropped all at once (they come back from the shared cache).
const localMax = 4096

// local holds copies of shared entries in this process. Entry keys carry
// their version token, so a copy can never be staler than the shared
// entry: it saves a round trip, not a check.
type local struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// WithLocal keeps process-local copies of entries in front of a remote
// shared cache (Redis): a hit then costs one round trip, for the version.
func (r *Reads) WithLocal() *Reads {
	r.l = &local{m: map[string][]byte{}}
	return r
}

// Get returns the entry under key (a key carrying a version token).
func (r *Reads) Get(ctx context.Context, key string) ([]byte, error) {
	if r.l != nil {
		r.l.mu.RLock()
		v, ok := r.l.m[key]
		r.l.mu.RUnlock()
		if ok {
			return v, nil
		}
	}
	v, err := r.C.Get(ctx, key)
	if err == nil && r.l != nil {
		r.keep(key, v)
	}
	return v, err
}

// Put stores the entry under key for ttl.
func (r *Reads) Put(ctx context.Context, key string, val []byte, ttl time.Duration) {
	if r.l != nil {
		r.keep(key, val)
	}
	_ = r.C.Set(ctx, key, val, ttl)
}

func (r *Reads) keep(key string, val []byte) {
	r.l.mu.Lock()
	if len(r.l.m) >= localMax {
		clear(r.l.m)
	}
	r.l.m[key] = val
	r.l.mu.Unlock()
}
