package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Versions keeps validator tokens for cached reads, shared by every
// instance. A token names one state of what it covers (an item, a list
// kind): a change puts a fence on the key before it commits and a fresh
// token after. Readers store entries under the token they read, so an entry
// written before a change is never found after it; tokens are never reused,
// so a key lost to eviction or a restart cannot bring an old entry back.
type Versions interface {
	// Version returns key's current token, creating one when there is
	// none; "" while a change is in flight (do not cache then).
	Version(ctx context.Context, key string) (string, error)
	// Fence marks keys as changing and returns the fence's marker.
	Fence(ctx context.Context, keys ...string) (string, error)
	// Release gives keys a fresh token after the change committed or
	// failed, unless another change has fenced them since.
	Release(ctx context.Context, marker string, keys ...string) error
}

// Token lifetimes: a fence outlives any transaction (a writer that dies
// leaves one, and readers bypass the cache until it expires); a token is
// recreated when it expires.
const (
	FenceTTL   = 2 * time.Minute
	VersionTTL = 24 * time.Hour
)

var (
	tokenPrefix = func() string {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}()
	tokenSeq atomic.Uint64
)

// newToken is unique across processes: a random prefix per process and a
// counter.
func newToken() string { return tokenPrefix + strconv.FormatUint(tokenSeq.Add(1), 36) }

func isFence(v string) bool { return strings.HasPrefix(v, "~") }

var _ Versions = (*Memory)(nil)

// Version returns key's token.
func (m *Memory) Version(_ context.Context, key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	e, ok := m.live(key, now)
	if !ok {
		t := newToken()
		m.entries[key] = entry{val: []byte(t), expires: expiry(now, VersionTTL)}
		return t, nil
	}
	if isFence(string(e.val)) {
		return "", nil
	}
	return string(e.val), nil
}

// Fence marks keys as changing.
func (m *Memory) Fence(_ context.Context, keys ...string) (string, error) {
	marker := "~" + newToken()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for _, k := range keys {
		m.entries[k] = entry{val: []byte(marker), expires: expiry(now, FenceTTL)}
	}
	return marker, nil
}

// Release gives keys fresh tokens unless another fence holds them.
func (m *Memory) Release(_ context.Context, marker string, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	t := newToken()
	for _, k := range keys {
		if e, ok := m.live(k, now); ok && isFence(string(e.val)) && string(e.val) != marker {
			continue
		}
		m.entries[k] = entry{val: []byte(t), expires: expiry(now, VersionTTL)}
	}
	return nil
}

var _ Versions = (*Redis)(nil)

// Version returns key's token: GET, and SET NX when there is none.
func (r *Redis) Version(ctx context.Context, key string) (string, error) {
	v, err := r.client.Get(ctx, r.prefix+key).Result()
	if errors.Is(err, redis.Nil) {
		t := newToken()
		old, err := r.client.SetArgs(ctx, r.prefix+key, t, redis.SetArgs{Mode: "NX", Get: true, TTL: VersionTTL}).Result()
		if errors.Is(err, redis.Nil) {
			return t, nil // ours
		}
		if err != nil {
			return "", err
		}
		v = old
	} else if err != nil {
		return "", err
	}
	if isFence(v) {
		return "", nil
	}
	return v, nil
}

// Fence marks keys as changing, in one round trip.
func (r *Redis) Fence(ctx context.Context, keys ...string) (string, error) {
	marker := "~" + newToken()
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Set(ctx, r.prefix+k, marker, FenceTTL)
		}
		return nil
	})
	return marker, err
}

// release sets a fresh token on each key unless another writer's fence is
// on it, atomically.
var release = redis.NewScript(`
for _, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if not (v and string.sub(v, 1, 1) == '~' and v ~= ARGV[1]) then
    redis.call('SET', k, ARGV[2], 'EX', ARGV[3])
  end
end
return 1`)

// Release gives keys fresh tokens unless another fence holds them.
func (r *Redis) Release(ctx context.Context, marker string, keys ...string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	return release.Run(ctx, r.client, full, marker, newToken(), int(VersionTTL/time.Second)).Err()
}
