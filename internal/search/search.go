// Package search defines the one interface the marketplace's full-text
// search and matching run on. Engines live in subpackages: bleve (the
// in-process engine of the embedded default) and meili (Meilisearch in
// production). searchtest holds the behavioural suite every engine passes.
package search

import (
	"context"
	"time"
)

// Kind names an index: one per kind of published item.
type Kind string

// The two indexes.
const (
	KindDemand      Kind = "demand"
	KindAchievement Kind = "achievement"
)

// Document is what the engines index for one published demand or
// achievement. Fields that do not apply to a kind are left zero.
type Document struct {
	ID           string    `json:"id"`
	Kind         Kind      `json:"kind"`
	OrgID        string    `json:"org_id"`
	OrgName      string    `json:"org_name"`
	Title        string    `json:"title"`
	Keywords     []string  `json:"keywords"`
	Body         string    `json:"body"` // achievement summary or demand description
	Industry     string    `json:"industry"`
	Modes        []string  `json:"modes"`    // transfer_modes or cooperation_modes
	Maturity     string    `json:"maturity"` // achievements only
	RegionCode   string    `json:"region_code"`
	PriceFen     int64     `json:"price_fen"`          // achievement asking price, 0 = negotiable
	BudgetMinFen int64     `json:"budget_min_fen"`     // demands only
	BudgetMaxFen int64     `json:"budget_max_fen"`     // demands only
	Deadline     string    `json:"deadline,omitempty"` // demands only: YYYY-MM-DD or ""
	PublishedAt  time.Time `json:"published_at"`
}

// Query is one search request, already validated.
type Query struct {
	Kind        Kind
	Text        string // may be empty: then every document matches
	Industries  []string
	Maturities  []string
	Modes       []string
	RegionCodes []string
	// MinFen and MaxFen bound the asking price (achievements) or the budget
	// range (demands: a demand matches when [budget_min, budget_max]
	// overlaps [MinFen, MaxFen]). Nil means unbounded.
	MinFen *int64
	MaxFen *int64
	Sort   string // "" (relevance), "newest", "price_asc", "price_desc"
	Page   int    // 1-based
	Limit  int
	// MatchAny makes a multi-term query match documents holding any of its
	// terms, ranked by how many and how well (used by matching); by default
	// every term must match.
	MatchAny bool
	// Related are further terms a MatchAny query matches, each whole and
	// at a lower weight than the text's own words: the technologies a
	// concept map links to the source's symptoms (matching sets them).
	Related []string
	// NoFacets skips the facet counts, which cost a pass over every
	// matching document; Result.Facets is then nil. Matching sets it.
	NoFacets bool
	// NoHighlights leaves Hit.Formatted nil (matching reads the documents,
	// not their highlights).
	NoHighlights bool
}

// Hit is one result: the document, a relevance score (engine specific,
// higher is better) and highlighted snippets of title and body with
// matched terms wrapped in <em></em>.
type Hit struct {
	Document
	Score     float64           `json:"-"`
	Formatted map[string]string `json:"_formatted"`
}

// Result is one page of hits, with facet counts over the whole result set.
type Result struct {
	Hits             []Hit
	Total            int
	Facets           map[string]map[string]int // facet name (industry, maturity, modes, region_code) -> value -> count
	ProcessingTimeMS int64
}

// Engine is a full-text engine holding the published items. Implementations
// must be safe for concurrent use.
type Engine interface {
	// Setup creates the indexes and applies their settings (searchable and
	// filterable attributes, ranking, synonyms). It is idempotent.
	Setup(ctx context.Context) error
	// Upsert adds or replaces documents, matched by ID.
	Upsert(ctx context.Context, docs []Document) error
	// Delete removes documents by ID; unknown IDs are not an error.
	Delete(ctx context.Context, kind Kind, ids []string) error
	// DeleteAll empties one index (used by reindex).
	DeleteAll(ctx context.Context, kind Kind) error
	Search(ctx context.Context, q Query) (Result, error)
	// Ping reports whether the engine can serve requests.
	Ping(ctx context.Context) error
	Close() error
}

// Rebuilder is implemented by engines that can build a fresh index of one
// kind beside the live one and put it in place in one step, so searches
// never see a partly rebuilt index. Reindex uses it when the engine has
// it, and DeleteAll followed by Upsert otherwise.
type Rebuilder interface {
	Rebuild(ctx context.Context, kind Kind) (Rebuild, error)
}

// Rebuild is an index being built beside the live one. Upsert fills it;
// Commit puts it in place of the live index (which is then gone); Abort
// discards it. Either ends the rebuild.
type Rebuild interface {
	Upsert(ctx context.Context, docs []Document) error
	Commit(ctx context.Context) error
	Abort(ctx context.Context) error
}
