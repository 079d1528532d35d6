package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis implements Cache and Limiter on a Redis server. Every key is
// prefixed so several deployments (or test runs) can share one server.
type Redis struct {
	client  *redis.Client
	prefix  string
	limiter *redis_rate.Limiter
}

var (
	_ Cache   = (*Redis)(nil)
	_ Limiter = (*Redis)(nil)
)

// OpenRedis connects to the server named by a redis:// URL.
func OpenRedis(ctx context.Context, url, prefix string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("TECHMARKET_REDIS_URL: %w", err)
	}
	// Fail fast when Redis is down: callers fail closed or bypass the cache
	// rather than hang a request.
	opt.DialTimeout = 500 * time.Millisecond
	opt.ReadTimeout = 500 * time.Millisecond
	opt.WriteTimeout = 500 * time.Millisecond
	opt.MaxRetries = 1
	c := redis.NewClient(opt)
	r := &Redis{client: c, prefix: prefix, limiter: redis_rate.NewLimiter(c)}
	if err := r.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return r, nil
}

// Client exposes the underlying client for tests.
func (r *Redis) Client() *redis.Client { return r.client }

// Get returns the value of key or ErrMiss.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := r.client.Get(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrMiss
	}
	return b, err
}

// Set stores val under key for ttl.
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return r.client.Set(ctx, r.prefix+key, val, ttl).Err()
}

// SetNX stores val under key only if key is absent.
func (r *Redis) SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	return r.client.SetNX(ctx, r.prefix+key, val, ttl).Result()
}

// Del removes keys.
func (r *Redis) Del(ctx context.Context, keys ...string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	return r.client.Del(ctx, full...).Err()
}

// Ping checks the connection.
func (r *Redis) Ping(ctx context.Context) error { return r.client.Ping(ctx).Err() }

// Close closes the connection pool.
func (r *Redis) Close() error { return r.client.Close() }

// Peek reports whether key's bucket holds a whole event, taking none: the
// same GCRA script at cost 0, which answers how many events remain.
func (r *Redis) Peek(ctx context.Context, key string, limit int, period time.Duration) (Decision, error) {
	res, err := r.limiter.AllowN(ctx, r.prefix+"rl:"+key, redis_rate.Limit{Rate: limit, Burst: limit, Period: period}, 0)
	if err != nil {
		return Decision{}, err
	}
	if res.Remaining >= 1 {
		return Decision{Allowed: true, Remaining: res.Remaining}, nil
	}
	// The bucket is full again after ResetAfter; one event fits once
	// limit-1 emission intervals of it are left.
	retry := res.ResetAfter - time.Duration(limit-1)*(period/time.Duration(limit))
	return Decision{Allowed: false, RetryAfter: max(retry, time.Millisecond)}, nil
}

// Allow takes one event from key's bucket, atomically in Redis so every
// instance shares the budget.
func (r *Redis) Allow(ctx context.Context, key string, limit int, period time.Duration) (Decision, error) {
	res, err := r.limiter.Allow(ctx, r.prefix+"rl:"+key, redis_rate.Limit{Rate: limit, Burst: limit, Period: period})
	if err != nil {
		return Decision{}, err
	}
	return Decision{Allowed: res.Allowed > 0, Remaining: res.Remaining, RetryAfter: res.RetryAfter}, nil
}

// Take takes up to n events from key's bucket at once (fewer when fewer
// remain) and reports how many it took, with the bucket's state after.
func (r *Redis) Take(ctx context.Context, key string, limit int, period time.Duration, n int) (int, Decision, error) {
	res, err := r.limiter.AllowAtMost(ctx, r.prefix+"rl:"+key, redis_rate.Limit{Rate: limit, Burst: limit, Period: period}, n)
	if err != nil {
		return 0, Decision{}, err
	}
	return res.Allowed, Decision{Allowed: res.Allowed > 0, Remaining: res.Remaining, RetryAfter: res.RetryAfter}, nil
}
