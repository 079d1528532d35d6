// Package meili implements search.Engine on Meilisearch, the production
// engine. Request building lives in pure functions (request.go); this file
// only talks to the server.
package meili

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Defaults for the options.
const (
	DefaultPrefix         = "techmarket_"
	DefaultRequestTimeout = 5 * time.Second
	DefaultSearchTimeout  = 2 * time.Second
	DefaultPingTimeout    = time.Second
	DefaultTaskTimeout    = 2 * time.Minute
	DefaultBatchSize      = 1000
	dialTimeout           = time.Second
	taskPollInterval      = 50 * time.Millisecond
	// backgroundSetupTimeout bounds the Setup a search starts when it
	// finds an index missing or without its settings.
	backgroundSetupTimeout = 5 * time.Minute
	// rebuildSuffix names the index a rebuild fills beside the live one.
	rebuildSuffix = "_rebuild"
)

var kinds = []search.Kind{search.KindDemand, search.KindAchievement}

// Engine is a search.Engine on a Meilisearch server.
//
// Meilisearch creates a missing index by itself when documents are added,
// with default settings (nothing filterable or sortable, no synonyms):
// so every write first checks that its index exists and sets it up when
// it does not, and a search that finds its index missing or without its
// settings answers EUNAVAILABLE and starts Setup in the background.
type Engine struct {
	client meilisearch.ServiceManager
	cfg    config
	// url, key and http serve the one request the client library cannot
	// send in a form every server version accepts (swap-indexes).
	url, key string
	http     *http.Client

	// setupMu serialises Setup.
	setupMu sync.Mutex
	// background carries the Setup a search starts; Close cancels it and
	// waits for it.
	background     context.Context
	stopBackground context.CancelFunc
	setupRunning   atomic.Bool
	wg             sync.WaitGroup
}

var (
	_ search.Engine           = (*Engine)(nil)
	_ search.Rebuilder        = (*Engine)(nil)
	_ search.VocabularySetter = (*Engine)(nil)
)

// WithVocabulary gives the engine the synonyms in force (the thesaurus
// and the operators' groups): Setup applies them, and SetSynonyms sends a
// change to both indexes. By default the engine uses the thesaurus alone.
func WithVocabulary(v *search.Vocabulary) Option { return func(c *config) { c.vocab = v } }

// SetSynonyms replaces the synonyms setting of both indexes with lex's
// and waits for the tasks. Meilisearch applies a synonyms change to the
// next search without reindexing documents.
func (e *Engine) SetSynonyms(ctx context.Context, lex *search.Lexicon) error {
	syn := lex.Synonyms()
	for _, k := range kinds {
		uid := e.IndexUID(k)
		info, err := e.client.Index(uid).UpdateSynonyms(ctx, &syn)
		if err != nil {
			return mapError("update synonyms "+uid, err)
		}
		if err := e.wait(ctx, info); err != nil {
			return err
		}
	}
	return nil
}

type config struct {
	prefix         string
	requestTimeout time.Duration
	searchTimeout  time.Duration
	pingTimeout    time.Duration
	taskTimeout    time.Duration
	batchSize      int
	httpClient     *http.Client
	vocab          *search.Vocabulary
}

// Option configures New.
type Option func(*config)

// WithIndexPrefix names the indexes prefix+"demand" and
// prefix+"achievement" (default DefaultPrefix), so several deployments or
// test runs can share a server.
func WithIndexPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithRequestTimeout bounds each HTTP request (default
// DefaultRequestTimeout); connecting is bounded by one second.
func WithRequestTimeout(d time.Duration) Option { return func(c *config) { c.requestTimeout = d } }

// WithSearchTimeout bounds a search (default DefaultSearchTimeout): a
// server that does not answer makes searches fail fast with EUNAVAILABLE.
func WithSearchTimeout(d time.Duration) Option { return func(c *config) { c.searchTimeout = d } }

// WithPingTimeout bounds Ping (default DefaultPingTimeout).
func WithPingTimeout(d time.Duration) Option { return func(c *config) { c.pingTimeout = d } }

// withHTTPClient replaces the HTTP client (unit tests).
func withHTTPClient(h *http.Client) Option { return func(c *config) { c.httpClient = h } }

// WithTaskTimeout bounds the wait for an indexing or settings task
// (default DefaultTaskTimeout).
func WithTaskTimeout(d time.Duration) Option { return func(c *config) { c.taskTimeout = d } }

// WithBatchSize sets how many documents Upsert sends per request (default
// DefaultBatchSize).
func WithBatchSize(n int) Option { return func(c *config) { c.batchSize = n } }

// New returns an engine for the server at rawURL using API key key. It does
// not contact the server: Ping does.
func New(rawURL, key string, opts ...Option) (*Engine, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("meili: invalid URL %q", rawURL)
	}
	cfg := config{
		prefix:         DefaultPrefix,
		requestTimeout: DefaultRequestTimeout,
		searchTimeout:  DefaultSearchTimeout,
		pingTimeout:    DefaultPingTimeout,
		taskTimeout:    DefaultTaskTimeout,
		batchSize:      DefaultBatchSize,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if !validUID(cfg.prefix + string(search.KindAchievement)) {
		return nil, fmt.Errorf("meili: invalid index prefix %q", cfg.prefix)
	}
	if cfg.requestTimeout <= 0 || cfg.searchTimeout <= 0 || cfg.pingTimeout <= 0 || cfg.taskTimeout <= 0 || cfg.batchSize <= 0 {
		return nil, errors.New("meili: timeouts and batch size must be positive")
	}
	if !validUID(cfg.prefix + string(search.KindAchievement) + rebuildSuffix) {
		return nil, fmt.Errorf("meili: index prefix %q too long", cfg.prefix)
	}
	httpClient := cfg.httpClient
	if httpClient == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
		httpClient = &http.Client{Transport: transport, Timeout: cfg.requestTimeout}
	}
	client := meilisearch.New(rawURL,
		meilisearch.WithAPIKey(key),
		meilisearch.WithCustomClient(httpClient),
		// One quick retry on 502/503/504; an unreachable server fails at once.
		meilisearch.WithCustomRetries([]int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}, 1),
	)
	bg, stop := context.WithCancel(context.Background())
	return &Engine{client: client, cfg: cfg, url: strings.TrimRight(rawURL, "/"), key: key, http: httpClient,
		background: bg, stopBackground: stop}, nil
}

// IndexUID returns the name of the index of kind k.
func (e *Engine) IndexUID(k search.Kind) string { return indexUID(e.cfg.prefix, k) }

// Ping checks that the server answers and accepts our API key: /version
// needs the key, unlike /health, so a wrong key makes /readyz fail. It
// gives up after the ping timeout.
func (e *Engine) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.pingTimeout)
	defer cancel()
	if _, err := e.client.Version(ctx); err != nil {
		return mapError("version", err)
	}
	return nil
}

// Setup creates both indexes when missing and applies their settings,
// waiting for the tasks. It is idempotent.
func (e *Engine) Setup(ctx context.Context) error {
	e.setupMu.Lock()
	defer e.setupMu.Unlock()
	for _, k := range kinds {
		if err := e.setupIndex(ctx, e.IndexUID(k)); err != nil {
			return err
		}
	}
	return nil
}

// setupIndex creates the index uid (accepting that it exists) and applies
// the settings.
func (e *Engine) setupIndex(ctx context.Context, uid string) error {
	info, err := e.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: attrID})
	if err != nil {
		return mapError("create index "+uid, err)
	}
	if err := e.wait(ctx, info); err != nil && !hasTaskCode(err, meilisearch.APIErrCodeIndexAlreadyExists) {
		return err
	}
	info, err = e.client.Index(uid).UpdateSettings(ctx, indexSettings(e.cfg.vocab.Lexicon()))
	if err != nil {
		return mapError("update settings "+uid, err)
	}
	return e.wait(ctx, info)
}

// ensureIndexes runs before every write: it checks that the indexes of
// kinds exist and runs Setup when one does not, so that documents never
// create an index without its settings (Meilisearch would), even when the
// index was dropped while we ran.
func (e *Engine) ensureIndexes(ctx context.Context, ks ...search.Kind) error {
	for _, k := range ks {
		_, err := e.client.GetIndex(ctx, e.IndexUID(k))
		if err == nil {
			continue
		}
		if !isIndexNotFound(err) {
			return mapError("get index", err)
		}
		return e.Setup(ctx)
	}
	return nil
}

// setupInBackground starts Setup unless one is already running. Searches
// call it when their index is missing or lacks its settings, so that the
// engine heals without waiting for a write.
func (e *Engine) setupInBackground() {
	if !e.setupRunning.CompareAndSwap(false, true) {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer e.setupRunning.Store(false)
		ctx, cancel := context.WithTimeout(e.background, backgroundSetupTimeout)
		defer cancel()
		_ = e.Setup(ctx) // a search that still fails starts it again
	}()
}

// taskFailure carries the code of a failed task so callers can accept
// some failures (the index already exists, the index is gone).
type taskFailure struct {
	code meilisearch.APIErrCode
	err  error
}

func (f *taskFailure) Error() string { return f.err.Error() }
func (f *taskFailure) Unwrap() error { return f.err }

func hasTaskCode(err error, code meilisearch.APIErrCode) bool {
	var f *taskFailure
	return errors.As(err, &f) && f.code == code
}

// wait polls the task until it ends or the task timeout passes, and
// returns its failure, if any.
func (e *Engine) wait(ctx context.Context, info *meilisearch.TaskInfo) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.taskTimeout)
	defer cancel()
	task, err := e.client.WaitForTask(ctx, info.TaskUID, taskPollInterval)
	if err != nil {
		return mapError(fmt.Sprintf("wait for task %d", info.TaskUID), err)
	}
	if err := taskError(task); err != nil {
		return &taskFailure{code: task.Error.Code, err: err}
	}
	return nil
}

// Upsert adds or replaces documents, cfg.batchSize per request, and waits
// until Meilisearch has indexed them.
func (e *Engine) Upsert(ctx context.Context, docs []search.Document) error {
	if len(docs) == 0 {
		return nil
	}
	byKind := map[search.Kind][]search.Document{}
	var present []search.Kind
	for _, d := range docs {
		if d.Kind != search.KindDemand && d.Kind != search.KindAchievement {
			return market.Invalid("kind", "must be demand or achievement")
		}
		if byKind[d.Kind] == nil {
			present = append(present, d.Kind)
		}
		byKind[d.Kind] = append(byKind[d.Kind], d)
	}
	if err := e.ensureIndexes(ctx, present...); err != nil {
		return err
	}
	var tasks []*meilisearch.TaskInfo
	for _, k := range kinds {
		ts, err := e.addDocuments(ctx, e.IndexUID(k), byKind[k])
		if err != nil {
			return err
		}
		tasks = append(tasks, ts...)
	}
	// Tasks of one index run in order; waiting for each in turn costs no
	// more than waiting for the last.
	for _, t := range tasks {
		if err := e.wait(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// addDocuments sends docs to the index uid, cfg.batchSize per request,
// and returns the tasks to wait for.
func (e *Engine) addDocuments(ctx context.Context, uid string, docs []search.Document) ([]*meilisearch.TaskInfo, error) {
	all, err := toDocs(docs)
	if err != nil {
		return nil, err
	}
	pk := attrID
	idx := e.client.Index(uid)
	var tasks []*meilisearch.TaskInfo
	for start := 0; start < len(all); start += e.cfg.batchSize {
		batch := all[start:min(start+e.cfg.batchSize, len(all))]
		info, err := idx.AddDocuments(ctx, batch, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return nil, mapError("add documents", err)
		}
		tasks = append(tasks, info)
	}
	return tasks, nil
}

// Delete removes documents by ID; unknown IDs (and a missing index) are
// not errors.
func (e *Engine) Delete(ctx context.Context, kind search.Kind, ids []string) error {
	if kind != search.KindDemand && kind != search.KindAchievement {
		return market.Invalid("kind", "must be demand or achievement")
	}
	if len(ids) == 0 {
		return nil
	}
	info, err := e.client.Index(e.IndexUID(kind)).DeleteDocuments(ctx, ids, nil)
	if err != nil {
		if isIndexNotFound(err) {
			return nil
		}
		return mapError("delete documents", err)
	}
	if err := e.wait(ctx, info); err != nil && !hasTaskCode(err, meilisearch.APIErrCodeIndexNotFound) {
		return err
	}
	return nil
}

// DeleteAll empties the index of kind, keeping its settings.
func (e *Engine) DeleteAll(ctx context.Context, kind search.Kind) error {
	if kind != search.KindDemand && kind != search.KindAchievement {
		return market.Invalid("kind", "must be demand or achievement")
	}
	info, err := e.client.Index(e.IndexUID(kind)).DeleteAllDocuments(ctx, nil)
	if err != nil {
		if isIndexNotFound(err) {
			return nil
		}
		return mapError("delete all documents", err)
	}
	if err := e.wait(ctx, info); err != nil && !hasTaskCode(err, meilisearch.APIErrCodeIndexNotFound) {
		return err
	}
	return nil
}

// DropIndexes deletes both indexes (and any rebuild left behind),
// settings included. Tests use it to clean up; a later write or Setup
// creates them again.
func (e *Engine) DropIndexes(ctx context.Context) error {
	for _, k := range kinds {
		for _, uid := range []string{e.IndexUID(k), e.IndexUID(k) + rebuildSuffix} {
			if err := e.dropIndex(ctx, uid); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropIndex deletes the index uid; a missing index is not an error.
func (e *Engine) dropIndex(ctx context.Context, uid string) error {
	info, err := e.client.DeleteIndex(ctx, uid)
	if err != nil {
		if isIndexNotFound(err) {
			return nil
		}
		return mapError("delete index", err)
	}
	if err := e.wait(ctx, info); err != nil && !hasTaskCode(err, meilisearch.APIErrCodeIndexNotFound) {
		return err
	}
	return nil
}

// Search runs q on the index of its kind.
func (e *Engine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	q, err := q.Normalized()
	if err != nil {
		return search.Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.searchTimeout)
	defer cancel()
	resp, err := e.client.Index(e.IndexUID(q.Kind)).Search(ctx, queryText(q), searchRequest(q))
	if err != nil {
		if lacksSetup(err) {
			// The index is gone, or came back without its settings (a
			// write by an older version, someone's manual change): set it
			// up again while this search answers unavailable.
			e.setupInBackground()
			return search.Result{}, &market.Error{Code: market.EUNAVAILABLE, Message: "search index not set up: setting it up", Err: err}
		}
		return search.Result{}, mapError("search", err)
	}
	out := search.Result{
		Total:            int(resp.TotalHits),
		Hits:             make([]search.Hit, 0, len(resp.Hits)),
		ProcessingTimeMS: resp.ProcessingTimeMs,
	}
	for _, h := range resp.Hits {
		hit, err := decodeHit(q.Kind, h)
		if err != nil {
			return search.Result{}, &market.Error{Code: market.EINTERNAL, Message: "search engine answer unreadable", Err: err}
		}
		out.Hits = append(out.Hits, hit)
	}
	if q.NoFacets {
		return out, nil
	}
	if out.Facets, err = decodeFacets(resp.FacetDistribution); err != nil {
		return search.Result{}, &market.Error{Code: market.EINTERNAL, Message: "search engine answer unreadable", Err: err}
	}
	return out, nil
}

// Close stops a background Setup and releases idle connections.
func (e *Engine) Close() error {
	e.stopBackground()
	e.wg.Wait()
	e.client.Close()
	return nil
}
