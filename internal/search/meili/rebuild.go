package meili

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/meilisearch/meilisearch-go"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// rebuild fills <index>_rebuild beside the live index; Commit swaps the
// two with Meilisearch's swap-indexes (atomic for searches) and drops the
// old contents.
type rebuild struct {
	e    *Engine
	kind search.Kind
	uid  string
	done bool
}

// Rebuild creates a fresh <index>_rebuild with the settings (dropping one
// left by an earlier run).
func (e *Engine) Rebuild(ctx context.Context, kind search.Kind) (search.Rebuild, error) {
	if kind != search.KindDemand && kind != search.KindAchievement {
		return nil, market.Invalid("kind", "must be demand or achievement")
	}
	r := &rebuild{e: e, kind: kind, uid: e.IndexUID(kind) + rebuildSuffix}
	if err := e.dropIndex(ctx, r.uid); err != nil {
		return nil, err
	}
	if err := e.setupIndex(ctx, r.uid); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rebuild) Upsert(ctx context.Context, docs []search.Document) error {
	if r.done {
		return market.Conflict("rebuild already ended")
	}
	for _, d := range docs {
		if d.Kind != r.kind {
			return market.Invalid("kind", "must be %s in this rebuild", r.kind)
		}
	}
	tasks, err := r.e.addDocuments(ctx, r.uid, docs)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if err := r.e.wait(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// Commit makes sure the live index exists (a swap needs both), swaps, and
// drops what was the live index.
func (r *rebuild) Commit(ctx context.Context) error {
	if r.done {
		return market.Conflict("rebuild already ended")
	}
	live := r.e.IndexUID(r.kind)
	if err := r.e.ensureIndexes(ctx, r.kind); err != nil {
		return err
	}
	info, err := r.e.swapIndexes(ctx, live, r.uid)
	if err != nil {
		return err
	}
	if err := r.e.wait(ctx, info); err != nil {
		return err
	}
	r.done = true
	return r.e.dropIndex(ctx, r.uid)
}

// swapIndexes asks the server to swap indexes a and b. It is sent here
// rather than through the client library, whose v0.37 always adds
// "rename": Meilisearch before 1.18 refuses that unknown field.
func (e *Engine) swapIndexes(ctx context.Context, a, b string) (*meilisearch.TaskInfo, error) {
	body, err := json.Marshal([]map[string][]string{{"indexes": {a, b}}})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/swap-indexes", bytes.NewReader(body))
	if err != nil {
		return nil, &market.Error{Code: market.EINTERNAL, Message: "search engine request failed", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if e.key != "" {
		req.Header.Set("Authorization", "Bearer "+e.key)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, &market.Error{Code: market.EUNAVAILABLE, Message: "search engine unavailable", Err: fmt.Errorf("swap indexes: %w", err)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusAccepted {
		var apiErr meilisearch.APIErrorDetails
		_ = json.Unmarshal(raw, &apiErr)
		return nil, mapError("swap indexes", &meilisearch.Error{
			Endpoint: "/swap-indexes", Method: http.MethodPost, ErrCode: meilisearch.APIError,
			StatusCode: resp.StatusCode, APIError: apiErr, ResponseToString: string(raw),
		})
	}
	var info meilisearch.TaskInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, &market.Error{Code: market.EINTERNAL, Message: "search engine answer unreadable", Err: err}
	}
	return &info, nil
}

// Abort drops the rebuild index; the live one is untouched.
func (r *rebuild) Abort(ctx context.Context) error {
	if r.done {
		return nil
	}
	r.done = true
	return r.e.dropIndex(ctx, r.uid)
}
