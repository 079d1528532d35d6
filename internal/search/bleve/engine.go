// Package bleve is the in-process search engine of the embedded default:
// search.Engine on bleve v2, one scorch index per kind under a directory.
//
// bleve indexes the text (Chinese as character bigrams, see mapping.go),
// scores it and stores the documents. Filters, facets and sort keys come
// from an attribute table held in memory (table.go), which is far cheaper
// than bleve's doc values; run.go joins the two. docs/search.md has the
// reasons and the figures.
package bleve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bolt "go.etcd.io/bbolt"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// batchSize is how many documents go into one bleve batch.
const batchSize = 1000

// lockTimeout bounds the wait for the file lock of an index on disk. Only
// one process may hold an index open; another (reindex while serve runs)
// would otherwise wait forever.
const lockTimeout = 2 * time.Second

// ErrLocked is returned by Open when another process holds the index.
var ErrLocked = errors.New("the search index is in use by another process (stop serve first)")

var kinds = []search.Kind{search.KindDemand, search.KindAchievement}

// Engine is a search.Engine backed by bleve indexes, one per kind.
type Engine struct {
	dir string // "" for an in-memory engine

	// mu guards indexes, tables and closed; searches and
	// writes take it shared, a rebuild's commit and Close take it
	// exclusively to swap or close indexes. Each table has its own lock
	// for its rows. An index that could not be reopened after a failed
	// swap is nil: its kind answers EUNAVAILABLE.
	mu      sync.RWMutex
	indexes map[search.Kind]bleve.Index
	tables  map[search.Kind]*table
	closed  bool
	// rebuilding holds a token per kind while a rebuild of it runs.
	rebuilding map[search.Kind]chan struct{}

	// failStep, set by tests only, makes a step of the index swap fail.
	failStep func(step string) error

	// qa is the query analyzer of the mapping: it cuts queries into terms.
	qa analysis.Analyzer
	// vocab is the synonyms in force, read on every query.
	vocab *search.Vocabulary
}

// Option configures an engine.
type Option func(*Engine)

// WithVocabulary makes the engine expand queries with vocab, whose
// changes (operators' synonyms) apply from the next query. By default the
// engine uses the embedded thesaurus alone.
func WithVocabulary(v *search.Vocabulary) Option { return func(e *Engine) { e.vocab = v } }

var (
	_ search.Engine           = (*Engine)(nil)
	_ search.VocabularySetter = (*Engine)(nil)
)

// SetSynonyms puts lex in force from the next query; the index holds no
// synonyms, so nothing is reindexed.
func (e *Engine) SetSynonyms(_ context.Context, lex *search.Lexicon) error {
	e.vocab.Put(lex)
	return nil
}

// Open opens the indexes under dir, creating dir and the indexes when they
// do not exist. An index written by an incompatible version is refused:
// delete it and run the reindex command.
func Open(dir string, opts ...Option) (*Engine, error) {
	if dir == "" {
		return nil, errors.New("bleve: empty index directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	return open(dir, opts)
}

// OpenMemory returns an engine whose indexes live in memory only; for tests
// and throwaway tools.
func OpenMemory(opts ...Option) (*Engine, error) { return open("", opts) }

func open(dir string, opts []Option) (*Engine, error) {
	e := &Engine{dir: dir, indexes: map[search.Kind]bleve.Index{}, tables: map[search.Kind]*table{}, rebuilding: map[search.Kind]chan struct{}{}}
	for _, o := range opts {
		o(e)
	}
	if e.vocab == nil {
		e.vocab = search.NewVocabulary()
	}
	for _, k := range kinds {
		e.rebuilding[k] = make(chan struct{}, 1)
	}
	for _, k := range kinds {
		idx, err := e.openIndex(k)
		if err != nil {
			_ = e.Close()
			return nil, err
		}
		e.indexes[k] = idx
		t, err := loadTable(idx)
		if err != nil {
			_ = e.Close()
			return nil, fmt.Errorf("bleve: load %s index: %w", k, err)
		}
		e.tables[k] = t
	}
	m := e.indexes[search.KindDemand].Mapping()
	e.qa = m.AnalyzerNamed(analyzerQuery)
	if e.qa == nil {
		_ = e.Close()
		return nil, errors.New("bleve: index mapping lacks the techmarket analyzers")
	}
	return e, nil
}

func (e *Engine) path(k search.Kind) string {
	if e.dir == "" {
		return ""
	}
	return filepath.Join(e.dir, string(k)+".bleve")
}

// openIndex opens the index of kind k, or creates it. An index left
// aside by a swap that was cut short (kind.bleve.old without kind.bleve)
// is put back first.
func (e *Engine) openIndex(k search.Kind) (bleve.Index, error) {
	path := e.path(k)
	if path != "" {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(path + oldSuffix); err == nil {
				if err := os.Rename(path+oldSuffix, path); err != nil {
					return nil, fmt.Errorf("bleve: restore %s: %w", path, err)
				}
			}
		}
		if _, err := os.Stat(path); err == nil {
			return openExisting(path)
		}
	}
	return createIndex(path)
}

// openExisting opens the index at path, waiting at most lockTimeout for
// its file lock, and checks its schema.
func openExisting(path string) (bleve.Index, error) {
	idx, err := bleve.OpenUsing(path, map[string]any{"bolt_timeout": lockTimeout.String()})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("bleve: open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("bleve: open %s: %w", path, err)
	}
	v, err := idx.GetInternal(schemaKey)
	if err != nil || string(v) != schemaVersion {
		_ = idx.Close()
		return nil, fmt.Errorf("bleve: index %s has schema %q, this build needs %q: remove it and run reindex", path, v, schemaVersion)
	}
	return idx, nil
}

func createIndex(path string) (bleve.Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("bleve: mapping: %w", err)
	}
	idx, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, map[string]any{
		// Fewer, larger segments: each query term is looked up in every
		// segment, so their number weighs on every search.
		"scorchMergePlanOptions": map[string]any{"MaxSegmentsPerTier": 3},
	})
	if err != nil {
		return nil, fmt.Errorf("bleve: create %s: %w", path, err)
	}
	if err := idx.SetInternal(schemaKey, []byte(schemaVersion)); err != nil {
		_ = idx.Close()
		return nil, fmt.Errorf("bleve: create %s: %w", path, err)
	}
	return idx, nil
}

// withIndex runs fn on the index and table of kind k under the read lock,
// so that DeleteAll and Close wait for it.
func (e *Engine) withIndex(k search.Kind, fn func(bleve.Index, *table) error) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return market.Errorf(market.EUNAVAILABLE, "search engine is closed")
	}
	if k != search.KindDemand && k != search.KindAchievement {
		return market.Invalid("kind", "must be demand or achievement")
	}
	idx := e.indexes[k]
	if idx == nil {
		return market.Errorf(market.EUNAVAILABLE, "the %s search index could not be reopened: restart the service", k)
	}
	return fn(idx, e.tables[k])
}

// Setup is a no-op: Open creates the indexes with their mapping.
func (e *Engine) Setup(ctx context.Context) error { return e.Ping(ctx) }

// Ping reports whether the engine is open.
func (e *Engine) Ping(context.Context) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return market.Errorf(market.EUNAVAILABLE, "search engine is closed")
	}
	return nil
}

// Upsert adds or replaces documents, in batches of batchSize per kind.
func (e *Engine) Upsert(ctx context.Context, docs []search.Document) error {
	byKind := map[search.Kind][]search.Document{}
	for _, d := range docs {
		if d.ID == "" {
			return market.Invalid("id", "must not be empty")
		}
		if d.Kind != search.KindDemand && d.Kind != search.KindAchievement {
			return market.Invalid("kind", "must be demand or achievement")
		}
		byKind[d.Kind] = append(byKind[d.Kind], d)
	}
	for _, k := range kinds {
		if err := e.upsert(ctx, k, byKind[k]); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) upsert(ctx context.Context, k search.Kind, docs []search.Document) error {
	if len(docs) == 0 {
		return nil
	}
	return e.withIndex(k, func(idx bleve.Index, t *table) error { return writeDocs(ctx, idx, t, docs) })
}

// writeDocs indexes docs in idx and records them in t, batchSize at a
// time.
func writeDocs(ctx context.Context, idx bleve.Index, t *table, docs []search.Document) error {
	for start := 0; start < len(docs); start += batchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := idx.NewBatch()
		for _, d := range docs[start:min(start+batchSize, len(docs))] {
			fields, err := indexFields(d)
			if err != nil {
				return internal("encode document", err)
			}
			if err := b.Index(d.ID, fields); err != nil {
				return internal("index document", err)
			}
		}
		if err := idx.Batch(b); err != nil {
			return internal("index batch", err)
		}
		t.put(docs[start:min(start+batchSize, len(docs))])
	}
	return nil
}

// indexFields is what bleve indexes for d: the searchable text, and the
// whole document as stored JSON, from which hits and, at startup, the
// attribute table are read.
func indexFields(d search.Document) (map[string]any, error) {
	src, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		fieldTitle:    d.Title,
		fieldKeywords: d.Keywords,
		fieldBody:     d.Body,
		fieldWords:    strings.Join(search.Words(d.Title+" "+strings.Join(d.Keywords, " ")+" "+d.Body), " "),
		fieldSource:   string(src),
	}, nil
}

// Delete removes documents by ID; unknown IDs are ignored.
func (e *Engine) Delete(ctx context.Context, kind search.Kind, ids []string) error {
	return e.withIndex(kind, func(idx bleve.Index, t *table) error {
		for start := 0; start < len(ids); start += batchSize {
			if err := ctx.Err(); err != nil {
				return err
			}
			chunk := ids[start:min(start+batchSize, len(ids))]
			b := idx.NewBatch()
			for _, id := range chunk {
				b.Delete(id)
			}
			if err := idx.Batch(b); err != nil {
				return internal("delete batch", err)
			}
			t.remove(chunk)
		}
		return nil
	})
}

// DeleteAll empties the index of kind by putting a new empty index in its
// place. If that fails the old index stays (or, if it cannot be reopened,
// the kind answers EUNAVAILABLE); the kind never disappears.
func (e *Engine) DeleteAll(ctx context.Context, kind search.Kind) error {
	r, err := e.Rebuild(ctx, kind)
	if err != nil {
		return err
	}
	return r.Commit(ctx)
}

// Close closes the indexes. Later calls fail with EUNAVAILABLE.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	for _, idx := range e.indexes {
		if idx != nil {
			errs = append(errs, idx.Close())
		}
	}
	return errors.Join(errs...)
}

// internal wraps an unexpected failure; its cause stays in the logs.
func internal(op string, err error) error {
	return &market.Error{Code: market.EINTERNAL, Message: "search index: " + op + " failed", Err: err}
}
