// Package cache holds the small key-value and rate-limit interfaces the
// service needs from Redis, with a Redis implementation for production and
// an in-process one for the embedded default.
package cache

import (
	"context"
	"errors"
	"time"
)

// ErrMiss is returned by Get when the key is absent or expired.
var ErrMiss = errors.New("cache: miss")

// Cache is a shared key-value store with expiry. In production it is Redis,
// so what one server instance writes, every other instance reads.
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// SetNX sets key only when it is absent and reports whether it did.
	SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error)
	Del(ctx context.Context, keys ...string) error
	Ping(ctx context.Context) error
	Close() error
}

// Decision is a rate limiter's answer.
type Decision struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration
}

// Limiter allows limit events per period for each key, as a token bucket
// (GCRA) that refills evenly over the period.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, period time.Duration) (Decision, error)
	// Peek says whether Allow would allow one event now, taking none: a
	// budget that only failures spend (login per IP) is checked with
	// Peek and spent with Allow once the attempt has failed.
	Peek(ctx context.Context, key string, limit int, period time.Duration) (Decision, error)
}
