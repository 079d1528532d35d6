// Package app wires the adapters into one running system. main and the
// end-to-end tests build the service through it, so they test what ships.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/auth"
	"github.com/liuzhou-techmarket/techmarket/internal/cache"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/httpapi"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// LoginPeriod is the window of TECHMARKET_LOGIN_LIMIT (SPEC: per 15 minutes).
const LoginPeriod = 15 * time.Minute

// System is everything one process holds open.
type System struct {
	Cfg   config.Config
	Log   *slog.Logger
	DB    *store.DB
	Cache interface {
		cache.Cache
		cache.Limiter
	}
	Auth *auth.Service
}

// NewLogger returns a JSON logger at the configured level.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// Open connects to the database (migrating it) and to the cache.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*System, error) {
	var err error
	sys := &System{Cfg: cfg, Log: log}
	sys.DB, err = store.Open(ctx, cfg.DBDSN, cfg.DataDir, store.Options{PasswordCost: cfg.PasswordCost})
	if err != nil {
		return nil, err
	}
	if err := sys.DB.Migrate(ctx, sys.Log); err != nil {
		sys.DB.Close()
		return nil, err
	}
	if cfg.RedisURL != "" {
		r, err := cache.OpenRedis(ctx, cfg.RedisURL, cfg.RedisPrefix)
		if err != nil {
			sys.DB.Close()
			return nil, fmt.Errorf("redis: %w", err)
		}
		sys.Cache = r
	} else {
		sys.Cache = cache.NewMemory()
	}
	secret, err := jwtSecret(cfg)
	if err != nil {
		sys.Close()
		return nil, err
	}
	old := make([][]byte, len(cfg.JWTOldSecrets))
	for i, s := range cfg.JWTOldSecrets {
		old[i] = []byte(s)
	}
	sys.Auth = auth.New(sys.DB, sys.Cache, sys.Cache, auth.Config{
		Secret: secret, OldSecrets: old, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL,
		LoginLimit: cfg.LoginLimit, LoginIPLimit: cfg.LoginIPLimit, LoginPeriod: LoginPeriod,
	}, sys.Log)
	return sys, nil
}

// Close releases the connections.
func (s *System) Close() {
	if s.Cache != nil {
		s.Cache.Close()
	}
	s.DB.Close()
}

// jwtSecret returns the configured signing key, or one generated once and
// kept in the data directory so restarts keep sessions alive.
func jwtSecret(cfg config.Config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	path := filepath.Join(cfg.DataDir, "jwt.key")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	hexKey := hex.EncodeToString(key)
	if err := os.WriteFile(path, []byte(hexKey), 0o600); err != nil {
		return nil, err
	}
	return []byte(hexKey), nil
}

// Server builds the HTTP app on an open system.
func (s *System) Server() *httpapi.Server {
	return httpapi.New(httpapi.Deps{
		Orgs: s.DB, Items: s.DB, Auth: s.Auth, Audit: s.DB, Limiter: s.Cache, Log: s.Log,
		Ready: []httpapi.Checker{{Name: "database", Check: s.DB.Ping}, {Name: "cache", Check: s.Cache.Ping}},
	}, httpapi.Config{
		BodyLimit: s.Cfg.BodyLimit, UploadLimit: s.Cfg.UploadLimit, RateLimit: s.Cfg.RateLimit,
		CORSOrigins: s.Cfg.CORSOrigins, TrustProxy: s.Cfg.TrustProxy,
	})
}
