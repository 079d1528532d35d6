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
	"sync"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Defaults for the options.
const (
	DefaultPrefix         = "techmarket_"
	DefaultRequestTimeout = 5 * time.Second
	DefaultTaskTimeout    = 2 * time.Minute
	DefaultBatchSize      = 1000
	dialTimeout           = time.Second
	taskPollInterval      = 50 * time.Millisecond
)

var kinds = []search.Kind{search.KindDemand, search.KindAchievement}

// Engine is a search.Engine on a Meilisearch server.
type Engine struct {
	client meilisearch.ServiceManager
	cfg    config

	// setupMu serialises Setup; setupDone lets Upsert create the indexes
	// with their settings before the first document, never without them.
	setupMu   sync.Mutex
	setupDone bool
}

var _ search.Engine = (*Engine)(nil)

type config struct {
	prefix         string
	requestTimeout time.Duration
	taskTimeout    time.Duration
	batchSize      int
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
		taskTimeout:    DefaultTaskTimeout,
		batchSize:      DefaultBatchSize,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if !validUID(cfg.prefix + string(search.KindAchievement)) {
		return nil, fmt.Errorf("meili: invalid index prefix %q", cfg.prefix)
	}
	if cfg.requestTimeout <= 0 || cfg.taskTimeout <= 0 || cfg.batchSize <= 0 {
		return nil, errors.New("meili: timeouts and batch size must be positive")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	httpClient := &http.Client{Transport: transport, Timeout: cfg.requestTimeout}
	client := meilisearch.New(rawURL,
		meilisearch.WithAPIKey(key),
		meilisearch.WithCustomClient(httpClient),
		// One quick retry on 502/503/504; an unreachable server fails at once.
		meilisearch.WithCustomRetries([]int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}, 1),
	)
	return &Engine{client: client, cfg: cfg}, nil
}

// IndexUID returns the name of the index of kind k.
func (e *Engine) IndexUID(k search.Kind) string { return indexUID(e.cfg.prefix, k) }

// Ping checks that the server answers and is available.
func (e *Engine) Ping(ctx context.Context) error {
	h, err := e.client.Health(ctx)
	if err != nil {
		return mapError("health", err)
	}
	if h.Status != "available" {
		return market.Errorf(market.EUNAVAILABLE, "search engine status %q", h.Status)
	}
	return nil
}

// Setup creates both indexes when missing and applies their settings,
// waiting for the tasks. It is idempotent.
func (e *Engine) Setup(ctx context.Context) error {
	e.setupMu.Lock()
	defer e.setupMu.Unlock()
	settings := indexSettings()
	for _, k := range kinds {
		uid := e.IndexUID(k)
		info, err := e.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: attrID})
		if err != nil {
			return mapError("create index "+uid, err)
		}
		if err := e.wait(ctx, info); err != nil && !hasTaskCode(err, meilisearch.APIErrCodeIndexAlreadyExists) {
			return err
		}
		info, err = e.client.Index(uid).UpdateSettings(ctx, settings)
		if err != nil {
			return mapError("update settings "+uid, err)
		}
		if err := e.wait(ctx, info); err != nil {
			return err
		}
	}
	e.setupDone = true
	return nil
}

// ensureSetup runs Setup once per process before the first write, so a
// write never creates an index without its settings.
func (e *Engine) ensureSetup(ctx context.Context) error {
	e.setupMu.Lock()
	done := e.setupDone
	e.setupMu.Unlock()
	if done {
		return nil
	}
	return e.Setup(ctx)
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
	for _, d := range docs {
		if d.Kind != search.KindDemand && d.Kind != search.KindAchievement {
			return market.Invalid("kind", "must be demand or achievement")
		}
		byKind[d.Kind] = append(byKind[d.Kind], d)
	}
	if err := e.ensureSetup(ctx); err != nil {
		return err
	}
	pk := attrID
	var tasks []*meilisearch.TaskInfo
	for _, k := range kinds {
		all, err := toDocs(byKind[k])
		if err != nil {
			return err
		}
		idx := e.client.Index(e.IndexUID(k))
		for start := 0; start < len(all); start += e.cfg.batchSize {
			batch := all[start:min(start+e.cfg.batchSize, len(all))]
			info, err := idx.AddDocuments(ctx, batch, &meilisearch.DocumentOptions{PrimaryKey: &pk})
			if err != nil {
				return mapError("add documents", err)
			}
			tasks = append(tasks, info)
		}
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

// DropIndexes deletes both indexes, settings included. Tests use it to
// clean up; a later Setup creates them again.
func (e *Engine) DropIndexes(ctx context.Context) error {
	e.setupMu.Lock()
	e.setupDone = false
	e.setupMu.Unlock()
	for _, k := range kinds {
		info, err := e.client.DeleteIndex(ctx, e.IndexUID(k))
		if err != nil {
			if isIndexNotFound(err) {
				continue
			}
			return mapError("delete index", err)
		}
		if err := e.wait(ctx, info); err != nil && !hasTaskCode(err, meilisearch.APIErrCodeIndexNotFound) {
			return err
		}
	}
	return nil
}

// Search runs q on the index of its kind.
func (e *Engine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	q, err := q.Normalized()
	if err != nil {
		return search.Result{}, err
	}
	resp, err := e.client.Index(e.IndexUID(q.Kind)).Search(ctx, q.Text, searchRequest(q))
	if err != nil {
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

// Close releases idle connections.
func (e *Engine) Close() error {
	e.client.Close()
	return nil
}
