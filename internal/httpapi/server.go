// Package httpapi is the HTTP face of the marketplace: a Fiber app whose
// handlers parse, call one service method and write the result. Every
// route is listed in routes.go and described in api/openapi.yaml.
package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/etag"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/liuzhou-techmarket/techmarket/internal/cache"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/matching"
	"github.com/liuzhou-techmarket/techmarket/internal/subsidy"
)

// Config holds the HTTP layer's limits.
type Config struct {
	BodyLimit   int // JSON bodies, bytes
	UploadLimit int // evidence uploads, bytes
	RateLimit   int // requests per minute per token or IP
	CORSOrigins string
	// TrustProxy makes the client IP come from X-Forwarded-For (behind a
	// load balancer).
	TrustProxy bool
	// IdempotencyTTL is how long an Idempotency-Key and its answer are
	// kept (default 24h).
	IdempotencyTTL time.Duration
}

// Checker is a dependency /readyz asks.
type Checker struct {
	Name  string
	Check func(context.Context) error
}

// Deps are the services the handlers call.
type Deps struct {
	Orgs  market.OrgService
	Items market.ItemService
	Auth  market.AuthService
	Audit market.AuditService
	// Search runs full-text queries and matching.
	Search  *matching.Service
	Limiter cache.Limiter
	Ready   []Checker
	Log     *slog.Logger
	// Registry collects metrics; nil makes a fresh one.
	Registry *prometheus.Registry
	// Catalogs compiles, publishes and exports catalogs.
	Catalogs market.CatalogService
	// Intents, Transactions and Evidence serve deals.
	Intents      market.IntentService
	Transactions market.TransactionService
	Evidence     market.EvidenceService
	// Cache holds Idempotency-Key records and cached statistics, shared by
	// every instance.
	Cache cache.Cache
	Stats market.StatsService
	// Subsidies serves subsidy policies, quotes and applications.
	Subsidies subsidy.Service
}

// Server is the Fiber app with its dependencies.
type Server struct {
	App     *fiber.App
	deps    Deps
	cfg     Config
	metrics *metrics
}

// New builds the app and registers every route.
func New(deps Deps, cfg Config) *Server {
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	s := &Server{deps: deps, cfg: cfg, metrics: newMetrics(deps.Registry)}
	// A file of exactly UploadLimit bytes still fits with its multipart
	// framing; the upload handler checks the file itself.
	bodyLimit := max(cfg.BodyLimit, cfg.UploadLimit+64<<10)
	s.App = fiber.New(fiber.Config{
		AppName:      "techmarket",
		ErrorHandler: errorHandler(deps.Log),
		// Values from the request outlive handlers (logs, services), so
		// Fiber must hand out copies, not views of its reused buffers.
		Immutable:               true,
		BodyLimit:               bodyLimit,
		ReadTimeout:             30 * time.Second,
		WriteTimeout:            60 * time.Second,
		IdleTimeout:             120 * time.Second,
		DisableStartupMessage:   true,
		EnableTrustedProxyCheck: false,
		ProxyHeader:             proxyHeader(cfg.TrustProxy),
	})
	s.App.Use(recover.New())
	s.App.Use(requestid.New())
	s.App.Use(s.observe)
	s.App.Use(cors.New(cors.Config{
		AllowOrigins:  orDefault(cfg.CORSOrigins, "*"),
		AllowHeaders:  "Authorization, Content-Type, Idempotency-Key, If-None-Match",
		ExposeHeaders: "ETag, Retry-After, X-Request-Id",
	}))
	s.App.Use(compress.New())
	s.App.Use(etag.New(etag.Config{Next: streamsBody}))
	s.App.Use(s.authenticate)
	s.App.Use(s.rateLimit)
	s.routes()
	s.App.Use(func(c *fiber.Ctx) error {
		return market.Errorf(market.ENOTFOUND, "no route %s %s", c.Method(), c.Path())
	})
	return s
}

func proxyHeader(trust bool) string {
	if trust {
		return fiber.HeaderXForwardedFor
	}
	return ""
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return id
}

// observe logs each request and records its metrics under the route
// pattern (not the raw path, which would explode label cardinality).
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.App.Config().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	s.metrics.observe(c.Method(), route, status, time.Since(start))
	s.deps.Log.Info("request", "method", c.Method(), "route", route, "path", c.Path(), "status", status,
		"duration_ms", time.Since(start).Milliseconds(), "request_id", requestID(c), "ip", c.IP())
	return nil
}

// authenticate reads a bearer token when there is one. Public routes work
// without; a token that is present but bad is refused everywhere, so a
// client learns at once that it must refresh.
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" || operational(c.Path()) {
		return c.Next()
	}
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return market.Errorf(market.EUNAUTHORIZED, "Authorization must be \"Bearer <access_token>\"")
	}
	actor, err := s.deps.Auth.Authenticate(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.SetUserContext(market.WithActor(c.UserContext(), actor))
	c.Locals("token_hash", tokenKey(token))
	return c.Next()
}

func tokenKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:12])
}

// requireAuth refuses anonymous calls.
// operational reports whether path is a probe or scrape endpoint, which
// load balancers and Prometheus call without limits or credentials.
func operational(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

func requireAuth(c *fiber.Ctx) error {
	if market.ActorFrom(c.UserContext()) == nil {
		return market.Errorf(market.EUNAUTHORIZED, "sign in first: send Authorization: Bearer <access_token>")
	}
	return c.Next()
}

// rateLimit allows RateLimit requests a minute per token, or per IP for
// anonymous calls. If the limiter's store is down the request goes through:
// reads keep working when Redis does not.
func (s *Server) rateLimit(c *fiber.Ctx) error {
	if s.cfg.RateLimit <= 0 || s.deps.Limiter == nil || operational(c.Path()) {
		return c.Next()
	}
	key := "api:ip:" + c.IP()
	if t, ok := c.Locals("token_hash").(string); ok {
		key = "api:token:" + t
	}
	d, err := s.deps.Limiter.Allow(c.UserContext(), key, s.cfg.RateLimit, time.Minute)
	if err != nil {
		s.deps.Log.Warn("rate limiter unavailable, request let through", "err", err)
		return c.Next()
	}
	c.Set("X-RateLimit-Limit", strconv.Itoa(s.cfg.RateLimit))
	c.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
	if !d.Allowed {
		return &market.Error{Code: market.ERATELIMIT, Message: "too many requests", RetryAfter: retrySeconds(d.RetryAfter)}
	}
	return c.Next()
}

func retrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.App.ShutdownWithContext(ctx) }
