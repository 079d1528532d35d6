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

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liuzhou-techmarket/techmarket/internal/auth"
	"github.com/liuzhou-techmarket/techmarket/internal/cache"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/files"
	"github.com/liuzhou-techmarket/techmarket/internal/httpapi"
	"github.com/liuzhou-techmarket/techmarket/internal/live"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/matching"
	"github.com/liuzhou-techmarket/techmarket/internal/outbox"
	"github.com/liuzhou-techmarket/techmarket/internal/pricing"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
	"github.com/liuzhou-techmarket/techmarket/internal/search/meili"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/vocabulary"
)

// LoginPeriod is the window of TECHMARKET_LOGIN_LIMIT (SPEC: per 15 minutes).
const LoginPeriod = 15 * time.Minute

// System is everything one process holds open.
type System struct {
	Cfg config.Config
	Log *slog.Logger
	DB  *store.DB
	// The store's per-aggregate services over DB, one value each.
	Catalogs *store.CatalogService
	Audit    *store.AuditService
	Vocab    *store.VocabularyService
	Feedback *store.FeedbackService
	Orgs     *store.OrgService
	Sessions *store.SessionService
	Items    *store.ItemService
	Intents  *store.IntentService
	// Transactions serves deals and their payments; Subsidies the subsidy
	// policies, quotes and applications (innovation vouchers too); Stats
	// the yearly overview.
	Transactions *store.TransactionService
	Subsidies    *store.SubsidyService
	Stats        *store.StatsService

	Cache interface {
		cache.Cache
		cache.Limiter
		cache.Versions
	}
	// Limiter spends the general request budget (TECHMARKET_RATE_LIMIT):
	// on Redis through a lease, so a busy key does not pay a round trip
	// per request (cache.Leasing).
	Limiter cache.Limiter
	near    *cache.Near
	// Reads is the read cache of published items and public lists, on
	// Cache; the store fences it in every change to a published item.
	Reads *cache.Reads
	Auth  *auth.Service
	// Search is the full-text engine: Meilisearch when configured, else
	// the embedded bleve index under SearchDir.
	Search search.Engine
	// Outbox applies item changes to Search; serve runs it.
	Outbox *outbox.Worker
	// Files keeps deal evidence.
	Files files.Store
	// Vocabulary applies the operators' synonym groups (ApplyVocabulary)
	// at start and whenever they change; serve runs it.
	Vocabulary *vocabulary.Watcher
	// Lexicon is the synonyms in force on this instance (thesaurus and
	// operators' groups), read by search and matching on every query.
	Lexicon *search.Vocabulary
	// Notices and Auctions run price discovery; Prices closes due
	// auctions and ends due notice periods (serve runs it); Live pokes
	// the auctions' event streams, on every instance through Redis.
	Notices  *store.NoticeService
	Auctions *store.AuctionService
	Prices   *pricing.Sweeper
	Live     *live.Hub
	// Rankings keeps the listings' own rankings for matching's reciprocal
	// rank, and Warmer keeps them all there (serve runs it); both nil when
	// TECHMARKET_MATCH_RECIPROCAL is false.
	Rankings *matching.Rankings
	Warmer   *matching.Warmer
	// stopRelay ends the Redis relay of Live.
	stopRelay func()
}

// publishedDocuments is a page of published listings as the engines index
// them, for the Warmer.
func (s *System) publishedDocuments(ctx context.Context, kind search.Kind, after string, n int) ([]search.Document, error) {
	items, err := s.DB.PublishedItems(ctx, market.ItemKind(kind), after, n)
	return search.FromItems(items), err
}

// NewLogger returns a JSON logger at the configured level.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// OpenDB connects to the database and migrates it; it needs nothing else,
// so `techmarket migrate` runs before Redis or Meilisearch are up.
func OpenDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	return openDB(ctx, cfg, log, nil)
}

func openDB(ctx context.Context, cfg config.Config, log *slog.Logger, fence store.ItemFence) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DBDSN, cfg.DataDir, store.Options{PasswordCost: cfg.PasswordCost,
		MaxOpenConns: cfg.DBMaxConns, ItemFence: fence})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenFiles opens the store of uploaded files (deal evidence, service
// reports): TECHMARKET_FILES_DIR, or DataDir/files.
func OpenFiles(cfg config.Config) (*files.Local, error) {
	dir := cfg.FilesDir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "files")
	}
	return files.NewLocal(dir)
}

// Open connects to the database (migrating it) and to the cache.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*System, error) {
	var err error
	sys := &System{Cfg: cfg, Log: log}
	// The cache opens first: the store fences the read cache in every
	// change to a published item.
	if cfg.RedisURL != "" {
		r, err := cache.OpenRedis(ctx, cfg.RedisURL, cfg.RedisPrefix)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		sys.Cache = r
		sys.Limiter = cache.NewLeasing(r, nil)
	} else {
		if cfg.DBDSN != "" {
			// Rate limits, idempotency keys and logouts live in the cache:
			// with an in-process one, each instance keeps its own, and a
			// token logged out on one still works on the others.
			log.Warn("TECHMARKET_REDIS_URL is not set on a shared database: rate limits, idempotency keys and logouts stay " +
				"inside each instance; set TECHMARKET_REDIS_URL to run several")
		}
		sys.Cache = cache.NewMemory()
		sys.Limiter = sys.Cache
	}
	sys.Reads = &cache.Reads{V: sys.Cache, C: sys.Cache}
	if r, ok := sys.Cache.(*cache.Redis); ok {
		// Tokens and entries copied into this process: a cached read
		// costs no round trip, and a change is acknowledged only once
		// every instance has dropped its copies (cache.Near).
		sys.near = cache.NewNear(r)
		sys.Reads = (&cache.Reads{V: sys.near, C: sys.Cache}).WithLocal()
	}
	if sys.DB, err = openDB(ctx, cfg, log, sys.Reads); err != nil {
		sys.Close()
		return nil, err
	}
	sys.Catalogs = store.NewCatalogService(sys.DB)
	sys.Audit = store.NewAuditService(sys.DB)
	sys.Vocab = store.NewVocabularyService(sys.DB)
	sys.Feedback = store.NewFeedbackService(sys.DB)
	sys.Orgs = store.NewOrgService(sys.DB)
	sys.Sessions = store.NewSessionService(sys.DB)
	sys.Items = store.NewItemService(sys.DB)
	sys.Intents = store.NewIntentService(sys.DB)
	sys.Transactions = store.NewTransactionService(sys.DB)
	sys.Subsidies = store.NewSubsidyService(sys.DB)
	sys.Stats = store.NewStatsService(sys.DB)
	if sys.Files, err = OpenFiles(cfg); err != nil {
		sys.Close()
		return nil, err
	}
	sys.Lexicon = search.NewVocabulary()
	if sys.Search, err = openSearch(ctx, cfg, log, sys.Lexicon); err != nil {
		sys.Close()
		return nil, fmt.Errorf("search: %w", err)
	}
	sys.Outbox = &outbox.Worker{Store: sys.DB, Engine: sys.Search, Log: log}
	if cfg.MatchReciprocal {
		sys.Rankings = matching.NewRankings(0, 0)
		sys.Warmer = &matching.Warmer{Rankings: sys.Rankings, Engine: sys.Search, Vocabulary: sys.Lexicon, Log: log,
			Listings: sys.publishedDocuments, Settled: func(ctx context.Context) (bool, error) {
				n, err := sys.DB.OutboxBacklog(ctx)
				return n == 0, err
			}}
	}
	sys.Vocabulary = &vocabulary.Watcher{Source: sys.Vocab, Apply: sys.ApplyVocabulary, Log: log}
	sys.openPricing(ctx)
	keys, err := signingKeys(ctx, cfg, sys.DB, log)
	if err != nil {
		sys.Close()
		return nil, err
	}
	sys.Auth = auth.New(sys.Sessions, sys.Cache, sys.Cache, auth.Config{
		Keys: keys, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL,
		LoginLimit: cfg.LoginLimit, LoginIPLimit: cfg.LoginIPLimit, LoginPeriod: LoginPeriod,
	}, sys.Log)
	return sys, nil
}

// openSearch opens Meilisearch when configured, else the embedded engine.
// A Meilisearch that is down at start-up does not stop the service: writes
// go on, the outbox holds the changes, and /readyz reports search down.
func openSearch(ctx context.Context, cfg config.Config, log *slog.Logger, lex *search.Vocabulary) (search.Engine, error) {
	if cfg.MeiliURL == "" {
		if cfg.DBDSN != "" {
			// Each instance's embedded index only sees the outbox rows its
			// own worker claimed: with several instances, searches would
			// find part of the catalogue.
			log.Warn("embedded search index on a shared database: run a single instance, or set TECHMARKET_MEILI_URL to run several")
		}
		eng, err := bleve.Open(cfg.SearchDir, bleve.WithVocabulary(lex))
		if err != nil {
			return nil, err // not a nil *bleve.Engine inside the interface
		}
		return eng, nil
	}
	eng, err := meili.New(cfg.MeiliURL, cfg.MeiliKey, meili.WithIndexPrefix(cfg.MeiliPrefix), meili.WithVocabulary(lex))
	if err != nil {
		return nil, err
	}
	// A slow Meilisearch must not hold the start-up: give Setup a few
	// seconds; if it fails, the first write or search sets the indexes up.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := eng.Setup(sctx); err != nil {
		log.Warn("meilisearch settings not applied at start-up; the first write or search applies them", "err", err)
	}
	return eng, nil
}

// ApplyVocabulary hands the operators' synonym groups (all of them,
// sorted by id) to search and matching on this instance; the Vocabulary
// watcher calls it at start and after every change. An error is logged
// and the watcher tries again at its next poll.
func (s *System) ApplyVocabulary(ctx context.Context, groups []market.SynonymGroup) error {
	terms := make([][]string, len(groups))
	for i, g := range groups {
		terms[i] = g.Terms
	}
	// Matching and bleve read the lexicon on every query; Meilisearch keeps
	// its own synonyms setting, which SetSynonyms replaces (no reindex).
	s.Lexicon.Set(terms)
	if vs, ok := s.Search.(search.VocabularySetter); ok {
		if err := vs.SetSynonyms(ctx, s.Lexicon.Lexicon()); err != nil {
			return err
		}
	}
	s.Log.Debug("synonym groups applied", "groups", len(groups))
	return nil
}

// openPricing builds the price-discovery services and their live feed:
// with Redis the pokes travel on a channel to every instance, else they
// stay in process.
func (s *System) openPricing(ctx context.Context) {
	s.Live = live.NewHub()
	s.stopRelay = func() {}
	if r, ok := s.Cache.(*cache.Redis); ok {
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		wait := s.Live.RelayRedis(rctx, r.Client(), s.Cfg.RedisPrefix+"auction-events", s.Log)
		s.stopRelay = func() { cancel(); wait() }
	}
	opt := store.PriceOptions{Now: s.Cfg.PriceClock, Notify: s.Live.Notify, NoticeMinDays: s.Cfg.NoticeMinDays}
	s.Auctions = store.NewAuctionService(s.DB, opt)
	s.Notices = store.NewNoticeService(s.DB, s.Auctions, opt)
	s.Prices = &pricing.Sweeper{Auctions: s.Auctions, Notices: s.Notices, Interval: s.Cfg.PriceSweepInterval, Log: s.Log}
}

// Close releases the connections.
func (s *System) Close() {
	if s.stopRelay != nil {
		s.stopRelay()
	}
	if s.Search != nil {
		s.Search.Close()
	}
	if s.near != nil {
		s.near.Close()
	}
	if s.Cache != nil {
		s.Cache.Close()
	}
	if s.DB != nil {
		s.DB.Close()
	}
}

// signingKeys returns the access-token keys: TECHMARKET_JWT_SECRET when
// set (with TECHMARKET_JWT_OLD_SECRETS), else on a shared database the
// keys kept in it (the first instance creates one; `techmarket keys
// rotate` adds more), else the embedded default's key file.
func signingKeys(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger) (*auth.KeyRing, error) {
	old := make([][]byte, len(cfg.JWTOldSecrets))
	for i, s := range cfg.JWTOldSecrets {
		old[i] = []byte(s)
	}
	if cfg.JWTSecret == "" && cfg.DBDSN != "" {
		log.Info("access tokens are signed with the keys kept in the shared database")
		return auth.DatabaseKeys(ctx, db, nil, old...)
	}
	secret, err := jwtSecret(cfg)
	if err != nil {
		return nil, err
	}
	return auth.StaticKeys(secret, old...), nil
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
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Outbox.Collectors()...)
	return httpapi.New(httpapi.Deps{
		Orgs: s.Orgs, Items: s.Items, Auth: s.Auth, Audit: s.Audit, Catalogs: s.Catalogs, Stats: s.Stats, Subsidies: s.Subsidies, Limiter: s.Limiter, Log: s.Log,
		Intents: s.Intents, Transactions: s.Transactions, Vocabulary: s.Vocabulary.Notifying(s.Vocab), Feedback: s.Feedback, Evidence: store.NewEvidenceStore(s.DB, s.Files), Cache: s.Cache, Reads: s.Reads,
		Instruments: store.NewInstrumentService(s.DB), Bookings: store.NewBookingService(s.DB),
		Services: store.NewServiceService(s.DB), ServiceOrders: store.NewServiceOrderService(s.DB, s.Files),
		Search: &matching.Service{Items: s.Items, Engine: s.Search, Vocabulary: s.Lexicon, Signals: s.Feedback, Reciprocal: s.Cfg.MatchReciprocal, Rankings: s.Rankings}, Registry: reg,
		Notices: s.Notices, Auctions: s.Auctions, Live: s.Live,
		Ready: []httpapi.Checker{{Name: "database", Check: s.DB.Ping}, {Name: "cache", Check: s.Cache.Ping},
			{Name: "search", Check: s.Search.Ping}},
	}, httpapi.Config{
		BodyLimit: s.Cfg.BodyLimit, UploadLimit: s.Cfg.UploadLimit, RateLimit: s.Cfg.RateLimit,
		CORSOrigins: s.Cfg.CORSOrigins, TrustedProxies: s.Cfg.TrustedProxies,
		IdempotencyTTL: s.Cfg.IdempotencyTTL, RegisterLimit: s.Cfg.RegisterLimit,
	})
}
