// Package config reads the service's configuration from the environment.
// One Config is built in main and passed down; nothing reads the
// environment anywhere else.
package config

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the service.
type Config struct {
	Addr    string // TECHMARKET_ADDR, default :8080
	DataDir string // TECHMARKET_DATA_DIR, default ./data
	// FilesDir keeps uploaded evidence files (TECHMARKET_FILES_DIR); empty
	// means DataDir/files. Several instances must share it (or use an
	// object store behind the same interface).
	FilesDir string

	DBDSN       string // TECHMARKET_DB_DSN; empty = SQLite under DataDir
	DBMaxConns  int    // TECHMARKET_DB_MAX_CONNS, MySQL pool size per instance, default 50
	RedisURL    string // TECHMARKET_REDIS_URL; empty = in-process cache
	RedisPrefix string // TECHMARKET_REDIS_PREFIX, default "techmarket:"
	MeiliURL    string // TECHMARKET_MEILI_URL; empty = in-process search under DataDir
	MeiliKey    string // TECHMARKET_MEILI_KEY
	// MeiliPrefix prefixes the Meilisearch index names
	// (TECHMARKET_MEILI_INDEX_PREFIX, default "techmarket_").
	MeiliPrefix string
	// SearchDir holds the embedded engine's index (TECHMARKET_SEARCH_DIR,
	// default DataDir/search). Only one process may open it.
	SearchDir string

	// JWTSecret signs access tokens (TECHMARKET_JWT_SECRET). Empty: a key
	// is generated once and kept in DataDir/jwt.key. Several instances must
	// share one secret. TECHMARKET_JWT_OLD_SECRETS (comma separated) still
	// verify tokens during a key rotation.
	JWTSecret     string
	JWTOldSecrets []string
	AccessTTL     time.Duration // TECHMARKET_ACCESS_TTL, default 15m
	RefreshTTL    time.Duration // TECHMARKET_REFRESH_TTL, default 720h

	BodyLimit    int // TECHMARKET_BODY_LIMIT bytes, default 1 MiB
	UploadLimit  int // TECHMARKET_UPLOAD_LIMIT bytes, default 20 MiB
	RateLimit    int // TECHMARKET_RATE_LIMIT requests/minute per user, or per IP when anonymous, default 1200
	LoginLimit   int // TECHMARKET_LOGIN_LIMIT per account per 15 minutes, default 10
	LoginIPLimit int // TECHMARKET_LOGIN_IP_LIMIT per IP per 15 minutes, default 100
	// RegisterLimit is TECHMARKET_REGISTER_LIMIT: public registrations
	// (POST /orgs) per IP per hour, default 20; 0 lifts the limit.
	RegisterLimit int

	PasswordCost int    // TECHMARKET_BCRYPT_COST, default 12
	CORSOrigins  string // TECHMARKET_CORS_ORIGINS, comma separated, default *
	// TrustedProxies (TECHMARKET_TRUST_PROXY, comma-separated addresses or
	// CIDRs) are the proxies whose X-Forwarded-For is believed: the client
	// IP is the right-most address in it that is not one of them. "true"
	// means the private and loopback networks (PrivateNetworks), "false"
	// or nothing means none: the peer's own address is the client's.
	TrustedProxies []string
	LogLevel       string // TECHMARKET_LOG_LEVEL: debug|info|warn|error, default info

	ShutdownTimeout time.Duration // TECHMARKET_SHUTDOWN_TIMEOUT, default 20s

	// IdempotencyTTL is how long Idempotency-Key answers are kept
	// (TECHMARKET_IDEMPOTENCY_TTL, default 24h).
	IdempotencyTTL time.Duration

	// NoticeMinDays is the shortest public notice period in Beijing
	// calendar days, both ends included (TECHMARKET_NOTICE_MIN_DAYS,
	// default 15).
	NoticeMinDays int

	// MatchReciprocal turns on matching's reciprocal rank
	// (TECHMARKET_MATCH_RECIPROCAL, default true): better rankings, read
	// from the listings' own rankings each instance keeps in memory
	// (docs/matching.md).
	MatchReciprocal bool
	// PriceSweepInterval is how often each instance closes due auctions
	// and ends due notice periods (TECHMARKET_PRICE_SWEEP_INTERVAL,
	// default 1s).
	PriceSweepInterval time.Duration
	// PriceClock is the clock of the notice and auction rules; nil is the
	// real one. Not read from the environment: tests inject it to reach a
	// date without waiting.
	PriceClock func() time.Time
}

// Load reads the configuration through getenv (os.Getenv in main, a map
// in tests) and reports every bad value at once.
func Load(getenv func(string) string) (Config, error) {
	var errs []string
	str := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	num := func(key string, def int) int {
		v := strings.TrimSpace(getenv(key))
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Sprintf("%s=%q: want a non-negative integer", key, v))
			return def
		}
		return n
	}
	dur := func(key string, def time.Duration) time.Duration {
		v := strings.TrimSpace(getenv(key))
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("%s=%q: want a duration such as 15m", key, v))
			return def
		}
		return d
	}
	c := Config{
		Addr:            str("TECHMARKET_ADDR", ":8080"),
		DataDir:         str("TECHMARKET_DATA_DIR", "./data"),
		DBDSN:           str("TECHMARKET_DB_DSN", ""),
		DBMaxConns:      num("TECHMARKET_DB_MAX_CONNS", 50),
		RedisURL:        str("TECHMARKET_REDIS_URL", ""),
		RedisPrefix:     str("TECHMARKET_REDIS_PREFIX", "techmarket:"),
		MeiliURL:        str("TECHMARKET_MEILI_URL", ""),
		MeiliKey:        str("TECHMARKET_MEILI_KEY", ""),
		MeiliPrefix:     str("TECHMARKET_MEILI_INDEX_PREFIX", "techmarket_"),
		SearchDir:       str("TECHMARKET_SEARCH_DIR", ""),
		JWTSecret:       str("TECHMARKET_JWT_SECRET", ""),
		AccessTTL:       dur("TECHMARKET_ACCESS_TTL", 15*time.Minute),
		RefreshTTL:      dur("TECHMARKET_REFRESH_TTL", 30*24*time.Hour),
		BodyLimit:       num("TECHMARKET_BODY_LIMIT", 1<<20),
		UploadLimit:     num("TECHMARKET_UPLOAD_LIMIT", 20<<20),
		FilesDir:        str("TECHMARKET_FILES_DIR", ""),
		IdempotencyTTL:  dur("TECHMARKET_IDEMPOTENCY_TTL", 24*time.Hour),
		RateLimit:       num("TECHMARKET_RATE_LIMIT", 1200),
		LoginLimit:      num("TECHMARKET_LOGIN_LIMIT", 10),
		LoginIPLimit:    num("TECHMARKET_LOGIN_IP_LIMIT", 100),
		RegisterLimit:   num("TECHMARKET_REGISTER_LIMIT", 20),
		PasswordCost:    num("TECHMARKET_BCRYPT_COST", 12),
		CORSOrigins:     str("TECHMARKET_CORS_ORIGINS", "*"),
		LogLevel:        str("TECHMARKET_LOG_LEVEL", "info"),
		ShutdownTimeout: dur("TECHMARKET_SHUTDOWN_TIMEOUT", 20*time.Second),
		NoticeMinDays:   num("TECHMARKET_NOTICE_MIN_DAYS", 15),

		PriceSweepInterval: dur("TECHMARKET_PRICE_SWEEP_INTERVAL", time.Second),
	}
	if c.NoticeMinDays < 1 {
		errs = append(errs, "TECHMARKET_NOTICE_MIN_DAYS: want at least 1")
	}
	if c.SearchDir == "" {
		c.SearchDir = filepath.Join(c.DataDir, "search")
	}
	if v := getenv("TECHMARKET_JWT_OLD_SECRETS"); v != "" {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.JWTOldSecrets = append(c.JWTOldSecrets, s)
			}
		}
	}
	c.MatchReciprocal = true
	if v := strings.TrimSpace(getenv("TECHMARKET_MATCH_RECIPROCAL")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("TECHMARKET_MATCH_RECIPROCAL=%q: want true or false", v))
		}
		c.MatchReciprocal = b
	}
	if v := strings.TrimSpace(getenv("TECHMARKET_TRUST_PROXY")); v != "" {
		list, err := ParseTrustedProxies(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("TECHMARKET_TRUST_PROXY=%q: %v", v, err))
		}
		c.TrustedProxies = list
	}
	if c.PasswordCost != 0 && (c.PasswordCost < 4 || c.PasswordCost > 31) {
		errs = append(errs, "TECHMARKET_BCRYPT_COST: want 4 to 31")
	}
	if c.BodyLimit < 1024 {
		errs = append(errs, "TECHMARKET_BODY_LIMIT: want at least 1024 bytes")
	}
	if c.LoginLimit < 1 || c.LoginIPLimit < 1 {
		errs = append(errs, "TECHMARKET_LOGIN_LIMIT and TECHMARKET_LOGIN_IP_LIMIT: want at least 1")
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, "TECHMARKET_JWT_SECRET: want at least 32 characters")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Sprintf("TECHMARKET_LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// PrivateNetworks are the proxies TECHMARKET_TRUST_PROXY=true trusts: where
// a load balancer in front of the service sits.
var PrivateNetworks = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "::1/128", "fc00::/7"}

// ParseTrustedProxies reads TECHMARKET_TRUST_PROXY: "true", "false", or a
// comma-separated list of IP addresses and CIDRs.
func ParseTrustedProxies(v string) ([]string, error) {
	if b, err := strconv.ParseBool(v); err == nil {
		if b {
			return append([]string(nil), PrivateNetworks...), nil
		}
		return nil, nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, err := netip.ParsePrefix(s); err != nil {
			if _, err := netip.ParseAddr(s); err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR", s)
			}
		}
		out = append(out, s)
	}
	return out, nil
}
