// Package httpapi is the HTTP face of the marketplace: a Fiber app whose
// handlers parse, call one service method and write the result. Every
// route is listed in routes.go and described in api/openapi.yaml.
package httpapi

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	RateLimit   int // requests per minute per user, or per IP when anonymous
	// RegisterLimit is how many public registrations (POST /orgs) one IP
	// may attempt per hour; 0 lifts the limit.
	RegisterLimit int
	CORSOrigins   string
	// TrustedProxies are the proxies (addresses or CIDRs) whose
	// X-Forwarded-For is believed; see clientIP.
	TrustedProxies []string
	// IdempotencyTTL is how long an Idempotency-Key and its answer are
	// kept (default 24h).
	IdempotencyTTL time.Duration
	// SSEPoll, SSEHeartbeat and SSEMaxAge tune the auctions' event
	// streams (defaults 5s, 15s, 45s): how often a stream reads the feed
	// without a poke, how often it sends a heartbeat, how long it lasts
	// before the client resumes on a fresh one.
	SSEPoll, SSEHeartbeat, SSEMaxAge time.Duration
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
	// Reads caches published items and anonymous list pages; nil turns
	// the read cache off.
	Reads *cache.Reads
	Stats market.StatsService
	// Subsidies serves subsidy policies, quotes and applications.
	Subsidies subsidy.Service
	// Vocabulary keeps the operators' synonym groups; Feedback keeps what
	// orgs say of their matches.
	Vocabulary market.VocabularyService
	Feedback   market.FeedbackService
	// Notices and Auctions run price discovery; Live pokes the auctions'
	// event streams.
	Notices  market.NoticeService
	Auctions market.AuctionService
	Live     Live

	// Instruments, Bookings, Services and ServiceOrders serve sharing.
	Instruments   market.InstrumentService
	Bookings      market.BookingService
	Services      market.ServiceService
	ServiceOrders market.ServiceOrderService
}

// Server is the Fiber app with its dependencies.
type Server struct {
	App     *fiber.App
	deps    Deps
	cfg     Config
	metrics *metrics
	// patterns are the registered route paths by method, for labelling
	// requests that middleware answered before their route ran.
	patterns map[string][]string
	// proxies is TrustedProxies parsed, for the hops of X-Forwarded-For.
	proxies []netip.Prefix
	// metaJSON is GET /meta's body, encoded once.
	metaJSON []byte
	// closing is closed by Shutdown: long-lived streams end on it.
	closing     chan struct{}
	closingOnce sync.Once
	// feeds shares the reads of the auctions' feeds among streams.
	feeds feedCache
}

// New builds the app and registers every route.
func New(deps Deps, cfg Config) *Server {
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	s := &Server{deps: deps, cfg: cfg, metrics: newMetrics(deps.Registry), proxies: parsePrefixes(cfg.TrustedProxies), metaJSON: metaDocument(), closing: make(chan struct{})}
	// A file of exactly UploadLimit bytes still fits with its multipart
	// framing; the upload handler checks the file itself.
	bodyLimit := max(cfg.BodyLimit, cfg.UploadLimit+64<<10)
	s.App = fiber.New(fiber.Config{
		AppName:      "techmarket",
		ErrorHandler: errorHandler(deps.Log),
		// Values from the request outlive handlers (logs, services), so
		// Fiber must hand out copies, not views of its reused buffers.
		Immutable:             true,
		BodyLimit:             bodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		// Fiber decides whether the peer is a trusted proxy; clientIP
		// then reads X-Forwarded-For from the right (Fiber's ProxyHeader
		// would take its left-most entry, which the client writes).
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
	})
	s.App.Use(recover.New())
	s.App.Use(requestid.New())
	s.App.Use(s.observe)
	s.App.Use(cors.New(cors.Config{
		AllowOrigins:  orDefault(cfg.CORSOrigins, "*"),
		AllowHeaders:  "Authorization, Content-Type, Idempotency-Key, If-None-Match",
		ExposeHeaders: "ETag, Retry-After, X-Request-Id",
	}))
	// Streamed exports skip compression: fasthttp's gzip wrapper ends the
	// stream cleanly even when the export fails midway, which would hand
	// the client a truncated file as a complete 200.
	s.App.Use(compress.New(compress.Config{Next: streamsBody}))
	// Weak tags: the gzip and the plain answer share one tag, which only a
	// weak validator may do (RFC 9110 8.8.1); If-None-Match still matches.
	s.App.Use(etag.New(etag.Config{Weak: true, Next: streamsBody}))
	s.App.Use(s.authenticate)
	s.routes()
	s.App.Use(func(c *fiber.Ctx) error {
		return market.Errorf(market.ENOTFOUND, "no route %s %s", c.Method(), c.Path())
	})
	s.patterns = map[string][]string{}
	for _, r := range s.App.GetRoutes(true) {
		s.patterns[r.Method] = append(s.patterns[r.Method], r.Path)
	}
	return s
}

// parsePrefixes reads addresses and CIDRs (config.ParseTrustedProxies has
// checked them); an address is a prefix of its full length.
func parsePrefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out
}

func (s *Server) trusted(ip string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address the rate limits and logs key on. From a peer
// that is not a trusted proxy it is the peer's own address, whatever
// X-Forwarded-For says. From a trusted proxy it is the right-most address
// of X-Forwarded-For that is not a trusted proxy: the hop our own proxies
// saw, which a client cannot choose by sending a header of its own (it can
// only add entries to the left).
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP().String()
	if len(s.proxies) == 0 || !c.IsProxyTrusted() {
		return peer
	}
	var hops []string
	for _, v := range c.Context().Request.Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if h := strings.TrimSpace(hops[i]); h != "" && !s.trusted(h) {
			return h
		}
	}
	if len(hops) > 0 {
		// Every hop is one of our proxies: the left-most is the nearest
		// to the client we know.
		if h := strings.TrimSpace(hops[0]); h != "" {
			return h
		}
	}
	return peer
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
	route := s.routeLabel(c)
	s.metrics.observe(c.Method(), route, status, time.Since(start))
	s.deps.Log.Info("request", "method", c.Method(), "route", route, "path", c.Path(), "status", status,
		"duration_ms", time.Since(start).Milliseconds(), "request_id", requestID(c), "ip", s.clientIP(c))
	return nil
}

// routeLabel names the route a request is counted under: the pattern of
// the route that served it, or that would have served it when middleware
// (authentication, rate limit, CORS) answered first, and "unmatched" when
// no route matches; never the raw path, which would explode label
// cardinality.
func (s *Server) routeLabel(c *fiber.Ctx) string {
	method := c.Method()
	if r := c.Route(); r != nil && slices.Contains(s.patterns[method], r.Path) {
		return r.Path
	}
	cfg := s.App.Config()
	for _, p := range s.patterns[method] {
		if fiber.RoutePatternMatch(c.Path(), p, cfg) {
			return p
		}
	}
	return "unmatched"
}

// authenticate reads a bearer token when there is one, then spends one
// request of the caller's rate budget (per user when signed in, per IP
// otherwise), then refuses a token that is present but bad. Public routes
// work without a token; a bad one is refused there too, so a client learns
// at once that it must sign in again. Refused requests are counted, so
// guessing tokens spends a budget like any other call. Login and refresh
// ignore the header: a client refreshes exactly when its access token has
// expired, and mobile clients keep sending the old one.
func (s *Server) authenticate(c *fiber.Ctx) error {
	if operational(c.Path()) {
		return c.Next()
	}
	var authErr error
	if h := c.Get(fiber.HeaderAuthorization); h != "" && !ignoresToken(c) {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			authErr = market.Errorf(market.EUNAUTHORIZED, "Authorization must be \"Bearer <access_token>\"")
		} else if actor, err := s.deps.Auth.Authenticate(c.UserContext(), token); err != nil {
			authErr = err
		} else {
			c.SetUserContext(market.WithActor(c.UserContext(), actor))
		}
	}
	if err := s.rateLimit(c); err != nil {
		return err
	}
	if authErr != nil {
		return authErr
	}
	return c.Next()
}

// ignoresToken reports whether the request is a sign-in (login, refresh),
// which authenticates by its body and must not trip on a stale header.
func ignoresToken(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodPost {
		return false
	}
	p := strings.TrimSuffix(c.Path(), "/")
	return strings.EqualFold(p, "/api/v1/auth/login") || strings.EqualFold(p, "/api/v1/auth/refresh")
}

// operational reports whether path is a probe or scrape endpoint, which
// load balancers and Prometheus call without limits or credentials.
func operational(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// requireAuth refuses anonymous calls.
func requireAuth(c *fiber.Ctx) error {
	if market.ActorFrom(c.UserContext()) == nil {
		return market.Errorf(market.EUNAUTHORIZED, "sign in first: send Authorization: Bearer <access_token>")
	}
	return c.Next()
}

// rateLimit spends one of RateLimit requests a minute: per user when the
// caller is signed in (however many sessions or refreshed tokens it holds),
// per IP otherwise, failed sign-ins included. If the limiter's store is
// down the request goes through: reads keep working when Redis does not.
func (s *Server) rateLimit(c *fiber.Ctx) error {
	if s.cfg.RateLimit <= 0 || s.deps.Limiter == nil {
		return nil
	}
	key := "api:ip:" + s.clientIP(c)
	if a := market.ActorFrom(c.UserContext()); a != nil {
		key = "api:user:" + a.UserID
	}
	d, err := s.deps.Limiter.Allow(c.UserContext(), key, s.cfg.RateLimit, time.Minute)
	if err != nil {
		s.deps.Log.Warn("rate limiter unavailable, request let through", "err", err)
		return nil
	}
	c.Set("X-RateLimit-Limit", strconv.Itoa(s.cfg.RateLimit))
	c.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
	if !d.Allowed {
		return &market.Error{Code: market.ERATELIMIT, Message: "too many requests", RetryAfter: retrySeconds(d.RetryAfter)}
	}
	return nil
}

// limitRegistration spends one of RegisterLimit registration attempts an
// hour for the caller's IP: public sign-up creates orgs, users and a slow
// password hash, so it gets a budget far below the general one. Platform
// admins creating operator and bureau orgs are not limited. As with the
// general limit, a limiter that is down lets the request through.
func (s *Server) limitRegistration(c *fiber.Ctx) error {
	if s.cfg.RegisterLimit <= 0 || s.deps.Limiter == nil {
		return nil
	}
	if a := market.ActorFrom(c.UserContext()); a != nil && a.PlatformAdmin {
		return nil
	}
	d, err := s.deps.Limiter.Allow(c.UserContext(), "register:ip:"+s.clientIP(c), s.cfg.RegisterLimit, time.Hour)
	if err != nil {
		s.deps.Log.Warn("rate limiter unavailable, registration let through", "err", err)
		return nil
	}
	if !d.Allowed {
		return &market.Error{Code: market.ERATELIMIT, Message: "too many registrations from this address, try again later",
			RetryAfter: retrySeconds(d.RetryAfter)}
	}
	return nil
}

func retrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
// Event streams are told first: they would otherwise hold their
// connections open until the timeout.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closingOnce.Do(func() { close(s.closing) })
	return s.App.ShutdownWithContext(ctx)
}
