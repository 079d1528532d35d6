package bleve

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/blevesearch/bleve/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Suffixes of the directories a rebuild uses beside kind.bleve: the new
// index while it is filled, and the old one while they change places.
const (
	rebuildSuffix = ".rebuild"
	oldSuffix     = ".old"
)

var _ search.Rebuilder = (*Engine)(nil)

// rebuild is a new index of one kind, filled beside the live one.
type rebuild struct {
	e    *Engine
	kind search.Kind
	path string // "" in memory
	idx  bleve.Index
	t    *table
	done bool
}

// Rebuild starts a new, empty index of kind beside the live one (on disk
// in kind.bleve.rebuild). Searches and writes keep using the live index
// until Commit swaps the two. One rebuild per kind runs at a time: a
// second waits for the first to end (or for ctx).
func (e *Engine) Rebuild(ctx context.Context, kind search.Kind) (search.Rebuild, error) {
	if kind != search.KindDemand && kind != search.KindAchievement {
		return nil, market.Invalid("kind", "must be demand or achievement")
	}
	select {
	case e.rebuilding[kind] <- struct{}{}:
	case <-ctx.Done():
		return nil, market.Errorf(market.EUNAVAILABLE, "rebuild cancelled while another rebuild of %s ran", kind)
	}
	r := &rebuild{e: e, kind: kind, t: newTable()}
	if err := r.start(); err != nil {
		<-e.rebuilding[kind]
		return nil, err
	}
	return r, nil
}

func (r *rebuild) start() error {
	e := r.e
	e.mu.RLock()
	closed, lost := e.closed, e.indexes[r.kind] == nil
	e.mu.RUnlock()
	switch {
	case closed:
		return market.Errorf(market.EUNAVAILABLE, "search engine is closed")
	case lost:
		return market.Errorf(market.EUNAVAILABLE, "the %s search index could not be reopened: restart the service", r.kind)
	}
	if p := e.path(r.kind); p != "" {
		r.path = p + rebuildSuffix
		if err := os.RemoveAll(r.path); err != nil {
			return internal("clear rebuild directory", err)
		}
	}
	idx, err := createIndex(r.path)
	if err != nil {
		return internal("create index", err)
	}
	r.idx = idx
	return nil
}

func (r *rebuild) Upsert(ctx context.Context, docs []search.Document) error {
	if r.done {
		return market.Conflict("rebuild already ended")
	}
	for _, d := range docs {
		if d.ID == "" {
			return market.Invalid("id", "must not be empty")
		}
		if d.Kind != r.kind {
			return market.Invalid("kind", "must be %s in this rebuild", r.kind)
		}
	}
	return writeDocs(ctx, r.idx, r.t, docs)
}

// Abort drops the new index; the live one is untouched.
func (r *rebuild) Abort(context.Context) error {
	if r.done {
		return nil
	}
	r.end()
	err := r.idx.Close()
	if r.path != "" {
		err = errors.Join(err, os.RemoveAll(r.path))
	}
	return err
}

// end marks the rebuild over and lets the next one of its kind start.
func (r *rebuild) end() {
	r.done = true
	<-r.e.rebuilding[r.kind]
}

// Commit puts the new index in place of the live one. Searches wait
// for it a moment (closing, two renames and an open on disk); the
// attribute table was built while filling, so nothing is read back.
func (r *rebuild) Commit(ctx context.Context) error {
	if r.done {
		return market.Conflict("rebuild already ended")
	}
	e := r.e
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		_ = r.Abort(ctx)
		return market.Errorf(market.EUNAVAILABLE, "search engine is closed")
	}
	e.mu.Lock()
	defer func() {
		e.mu.Unlock()
		r.end()
	}()
	old := e.indexes[r.kind]
	if r.path == "" {
		e.indexes[r.kind], e.tables[r.kind] = r.idx, r.t
		if old != nil {
			_ = old.Close()
		}
		return nil
	}
	return e.swapOnDisk(r, old)
}

// swapOnDisk closes both indexes, renames kind.bleve to kind.bleve.old
// and kind.bleve.rebuild to kind.bleve, and opens the result. On any
// failure it puts the old index back; only if that too fails is the kind
// left without an index (EUNAVAILABLE until a restart, which finds
// kind.bleve or kind.bleve.old again). Called with e.mu held.
func (e *Engine) swapOnDisk(r *rebuild, old bleve.Index) error {
	live := e.path(r.kind)
	// step runs one action; tests may make it fail before it runs.
	step := func(name string, action func() error) error {
		if e.failStep != nil {
			if err := e.failStep(name); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		if err := action(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if err := step("close new", r.idx.Close); err != nil {
		_ = os.RemoveAll(r.path)
		return internal("swap index", err)
	}
	if old != nil {
		// A close error leaves nothing to keep open: go on with the files.
		_ = old.Close()
	}
	e.indexes[r.kind] = nil
	restore := func(cause error) error {
		_ = os.RemoveAll(r.path)
		if _, err := os.Stat(live); errors.Is(err, os.ErrNotExist) {
			_ = os.Rename(live+oldSuffix, live)
		}
		var idx bleve.Index
		if err := step("reopen old", func() (err error) { idx, err = openExisting(live); return err }); err != nil {
			return &market.Error{Code: market.EUNAVAILABLE, Message: "search index lost in a failed swap: restart the service",
				Err: errors.Join(cause, err)}
		}
		e.indexes[r.kind] = idx
		return internal("swap index", cause)
	}
	if err := step("set old aside", func() error {
		if err := os.RemoveAll(live + oldSuffix); err != nil {
			return err
		}
		return os.Rename(live, live+oldSuffix)
	}); err != nil {
		return restore(err)
	}
	if err := step("move new in", func() error { return os.Rename(r.path, live) }); err != nil {
		return restore(err)
	}
	var idx bleve.Index
	if err := step("open new", func() (err error) { idx, err = openExisting(live); return err }); err != nil {
		_ = os.RemoveAll(live)
		return restore(err)
	}
	e.indexes[r.kind], e.tables[r.kind] = idx, r.t
	_ = os.RemoveAll(live + oldSuffix)
	return nil
}
