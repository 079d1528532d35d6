package market

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"iter"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Catalog states. A catalog is compiled as a draft and published once; a
// published catalog is a frozen snapshot of the items it matched then.
const (
	CatalogDraft     = "draft"
	CatalogPublished = "published"
)

// CatalogStatuses lists every catalog state, for validating filters.
var CatalogStatuses = []string{CatalogDraft, CatalogPublished}

// Catalog actions, named as their audit actions.
const (
	ActionCreate  = "create"
	ActionPublish = "publish"
)

// Limits of a catalog filter.
const (
	MaxCatalogRegions = 50
)

// CatalogFilter selects the published items a catalog lists. An empty list
// puts no condition on that field. A region code ending in 00 names a city
// (450200 is all of Liuzhou, 4502xx), one ending in 0000 a province.
type CatalogFilter struct {
	Industries  []string `json:"industries"`
	RegionCodes []string `json:"region_codes"`
}

// Catalog is an edition of demands or achievements (技术需求目录, 科技成果目录)
// compiled by a market operator for a period.
type Catalog struct {
	ID     string        `json:"id"`
	Kind   ItemKind      `json:"kind"`
	Title  string        `json:"title"`
	Period string        `json:"period"`
	Filter CatalogFilter `json:"filter"`
	Status string        `json:"status"`
	// Market and OrgID are those of the operator that compiled it.
	Market string `json:"market"`
	OrgID  string `json:"org_id"`
	// ItemCount is frozen at publish; for a draft it is the number of
	// published items the filter matches now.
	ItemCount   int        `json:"item_count"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// CatalogInput is the body of POST and PATCH /catalogs. Absent fields are
// left unchanged on PATCH; a filter given replaces the whole filter.
type CatalogInput struct {
	Kind   *string        `json:"kind"`
	Title  *string        `json:"title"`
	Period *string        `json:"period"`
	Filter *CatalogFilter `json:"filter"`
}

// Apply applies the input to the catalog and normalises it.
func (c *Catalog) Apply(in CatalogInput) {
	if in.Kind != nil {
		c.Kind = ItemKind(*in.Kind)
	}
	set(&c.Title, in.Title)
	set(&c.Period, in.Period)
	if in.Filter != nil {
		c.Filter = *in.Filter
	}
	c.Title = strings.TrimSpace(c.Title)
	c.Period = strings.ToUpper(strings.TrimSpace(c.Period))
	c.Filter.Industries = cleanList(c.Filter.Industries)
	c.Filter.RegionCodes = cleanList(c.Filter.RegionCodes)
}

// periodPattern accepts a year (2026), a half (2026-H1), a quarter
// (2026-Q4) or a month (2026-03).
var periodPattern = regexp.MustCompile(`^20[0-9]{2}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$`)

// ValidPeriod reports whether s names a catalog period.
func ValidPeriod(s string) bool { return periodPattern.MatchString(s) }

// Validate checks the catalog as it would be stored.
func (c *Catalog) Validate() error {
	var p Problems
	if c.Kind != KindDemand && c.Kind != KindAchievement {
		p.Add("kind", "must be demand or achievement")
	}
	if n := utf8.RuneCountInString(c.Title); n < 2 || n > 100 {
		p.Add("title", "is required, 2 to 100 characters")
	}
	if !ValidPeriod(c.Period) {
		p.Add("period", "must be a year (2026), half (2026-H1), quarter (2026-Q4) or month (2026-03)")
	}
	for i, code := range c.Filter.Industries {
		if !HasCode(Industries, code) {
			p.Add(fieldIndex("filter.industries", i), "must be one of the industry codes of GET /meta")
		}
	}
	if len(c.Filter.RegionCodes) > MaxCatalogRegions {
		p.Add("filter.region_codes", "at most %d region codes", MaxCatalogRegions)
	}
	for i, code := range c.Filter.RegionCodes {
		if !ValidRegionCode(code) {
			p.Add(fieldIndex("filter.region_codes", i), "must be a 6-digit administrative division code")
		}
	}
	return p.Err()
}

// RegionPrefix returns what a filter region code matches: a county code
// matches itself, a city code (ending 00) its four-digit prefix and a
// province code (ending 0000) its two-digit prefix.
func RegionPrefix(code string) (prefix string, exact bool) {
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2], false
	case strings.HasSuffix(code, "00"):
		return code[:4], false
	}
	return code, true
}

// IndustryRank is the position of an industry in the order catalogs list
// items: that of GET /meta. Unknown codes sort last.
func IndustryRank(code string) int {
	if i := slices.IndexFunc(Industries, func(c Code) bool { return c.Code == code }); i >= 0 {
		return i + 1
	}
	return len(Industries) + 1
}

// catalogTransitions is the catalog lifecycle: action → from → to.
var catalogTransitions = map[string]map[string]string{
	ActionEdit:    {CatalogDraft: CatalogDraft},
	ActionPublish: {CatalogDraft: CatalogPublished},
}

// CatalogTransition returns the state an action moves a catalog to, or a
// conflict naming the current state.
func CatalogTransition(from, action string) (string, error) {
	to, ok := catalogTransitions[action][from]
	if !ok {
		return "", Conflict("cannot %s a catalog that is %s", action, from)
	}
	return to, nil
}

// CanCreateCatalog says whether the actor may compile catalogs: verified
// market operators may, for their own market.
func CanCreateCatalog(a *Actor) error {
	if !a.IsOperator() || !a.OrgVerified || a.Market == "" {
		return Errorf(EFORBIDDEN, "only verified market operators compile catalogs")
	}
	return nil
}

// CanChangeCatalog says whether the actor may edit or publish the catalog:
// verified operators of the catalog's market may.
func CanChangeCatalog(a *Actor, c *Catalog) error {
	if err := CanCreateCatalog(a); err != nil {
		return err
	}
	if a.Market != c.Market {
		return Errorf(EFORBIDDEN, "this catalog belongs to the %s market", c.Market)
	}
	return nil
}

// CanSeeDraftCatalogs reports whether the actor sees drafts: operators
// (of any market) and platform admins do.
func CanSeeDraftCatalogs(a *Actor) bool {
	return a != nil && (a.PlatformAdmin || a.IsOperator())
}

// CanSeeCatalog says whether a catalog is visible to the actor at all.
func CanSeeCatalog(a *Actor, c *Catalog) bool {
	return c.Status == CatalogPublished || CanSeeDraftCatalogs(a)
}

// CatalogListFilter narrows GET /catalogs.
type CatalogListFilter struct {
	Kind   string
	Period string
	Market string
	Status string
	Page   PageRequest
}

// Validate checks the query parameters.
func (f *CatalogListFilter) Validate() error {
	var p Problems
	if f.Kind != "" && f.Kind != string(KindDemand) && f.Kind != string(KindAchievement) {
		p.Add("kind", "must be demand or achievement")
	}
	f.Period = strings.ToUpper(f.Period)
	if f.Period != "" && !ValidPeriod(f.Period) {
		p.Add("period", "must be a year (2026), half (2026-H1), quarter (2026-Q4) or month (2026-03)")
	}
	if f.Market != "" && !HasCode(Markets, f.Market) {
		p.Add("market", "must be liuzhou or guizhong")
	}
	if f.Status != "" && !slices.Contains(CatalogStatuses, f.Status) {
		p.Add("status", "must be draft or published")
	}
	return p.Err()
}

// CatalogItem is one item as a catalog lists it: for a published catalog
// the copy frozen at publish, for a draft the item as it is now. Contact
// details are never part of a catalog, which is public.
type CatalogItem struct {
	Seq            int
	ItemID         string
	Kind           ItemKind
	OrgID          string
	OrgName        string
	Title          string
	Body           string
	Industry       string
	Keywords       []string
	Modes          []string
	RegionCode     string
	BudgetMinFen   int64
	BudgetMaxFen   int64
	Deadline       string
	Maturity       string
	AskingPriceFen int64
	PatentNumbers  []string
	Inventors      []string
	PublishedAt    *time.Time
}

type catalogItemCommon struct {
	Seq         int        `json:"seq"`
	ID          string     `json:"id"`
	OrgID       string     `json:"org_id"`
	OrgName     string     `json:"org_name"`
	Title       string     `json:"title"`
	Industry    string     `json:"industry"`
	Keywords    []string   `json:"keywords"`
	RegionCode  string     `json:"region_code"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// MarshalJSON writes the field names of the item's kind, as GET
// /demands/{id} and GET /achievements/{id} do.
func (it CatalogItem) MarshalJSON() ([]byte, error) {
	c := catalogItemCommon{Seq: it.Seq, ID: it.ItemID, OrgID: it.OrgID, OrgName: it.OrgName, Title: it.Title,
		Industry: it.Industry, Keywords: nonNil(it.Keywords), RegionCode: it.RegionCode, PublishedAt: it.PublishedAt}
	if it.Kind == KindDemand {
		return json.Marshal(struct {
			catalogItemCommon
			Description      string   `json:"description"`
			CooperationModes []string `json:"cooperation_modes"`
			BudgetMinFen     int64    `json:"budget_min_fen"`
			BudgetMaxFen     int64    `json:"budget_max_fen"`
			Deadline         string   `json:"deadline,omitempty"`
		}{c, it.Body, nonNil(it.Modes), it.BudgetMinFen, it.BudgetMaxFen, it.Deadline})
	}
	return json.Marshal(struct {
		catalogItemCommon
		Summary        string   `json:"summary"`
		Maturity       string   `json:"maturity"`
		TransferModes  []string `json:"transfer_modes"`
		AskingPriceFen int64    `json:"asking_price_fen"`
		PatentNumbers  []string `json:"patent_numbers"`
		Inventors      []string `json:"inventors"`
	}{c, it.Body, it.Maturity, nonNil(it.Modes), it.AskingPriceFen, nonNil(it.PatentNumbers), nonNil(it.Inventors)})
}

// SnapshotDigest hashes the frozen items of a published catalog, in seq
// order, so the audit trail can tell when they were changed behind the
// API's back. Every field of an item goes in, length-prefixed (lists
// element by element), so no two different snapshots hash alike.
type SnapshotDigest struct {
	h hash.Hash
	n int
}

// NewSnapshotDigest starts an empty digest.
func NewSnapshotDigest() *SnapshotDigest { return &SnapshotDigest{h: sha256.New()} }

// Add adds the next item.
func (d *SnapshotDigest) Add(it *CatalogItem) {
	d.n++
	published := ""
	if it.PublishedAt != nil {
		published = it.PublishedAt.UTC().Format(time.RFC3339Nano)
	}
	put := func(s string) {
		d.h.Write([]byte(strconv.Itoa(len(s))))
		d.h.Write([]byte{':'})
		d.h.Write([]byte(s))
	}
	putList := func(l []string) {
		put(strconv.Itoa(len(l)))
		for _, s := range l {
			put(s)
		}
	}
	for _, s := range []string{strconv.Itoa(it.Seq), it.ItemID, string(it.Kind), it.OrgID, it.OrgName, it.Title,
		it.Body, it.Industry} {
		put(s)
	}
	putList(it.Keywords)
	putList(it.Modes)
	for _, s := range []string{it.RegionCode, strconv.FormatInt(it.BudgetMinFen, 10), strconv.FormatInt(it.BudgetMaxFen, 10),
		it.Deadline, it.Maturity, strconv.FormatInt(it.AskingPriceFen, 10)} {
		put(s)
	}
	putList(it.PatentNumbers)
	putList(it.Inventors)
	put(published)
}

// Sum returns the hex SHA-256 of the items added so far and their count.
func (d *SnapshotDigest) Sum() string {
	h := sha256.New()
	h.Write(d.h.Sum(nil))
	h.Write([]byte(strconv.Itoa(d.n)))
	return hex.EncodeToString(h.Sum(nil))
}

// CatalogPublication is what a catalog's publish event records as its
// "after": the catalog as published and the SnapshotDigest of its items.
type CatalogPublication struct {
	Catalog
	SnapshotSHA256 string `json:"snapshot_sha256"`
}

// CatalogService compiles, publishes and reads catalogs. Every method
// reads the actor from the context.
type CatalogService interface {
	CreateCatalog(ctx context.Context, in CatalogInput) (*Catalog, error)
	// UpdateCatalog edits a draft.
	UpdateCatalog(ctx context.Context, id string, in CatalogInput) (*Catalog, error)
	FindCatalog(ctx context.Context, id string) (*Catalog, error)
	ListCatalogs(ctx context.Context, f CatalogListFilter) (Page[Catalog], error)
	// PublishCatalog freezes the items the filter matches now, in one
	// transaction with the state change and its audit event. A filter that
	// matches nothing is a conflict.
	PublishCatalog(ctx context.Context, id string) (*Catalog, error)
	// ListCatalogItems pages through the catalog in catalog order:
	// industry (in the order of GET /meta), then item id.
	ListCatalogItems(ctx context.Context, id string, p PageRequest) (Page[CatalogItem], error)
	// CatalogItems yields every item of a catalog found with FindCatalog,
	// in catalog order, reading batches of a few hundred so a catalog of any
	// size is never held in memory. A yielded item is valid until the next
	// iteration. No database connection is held between batches, so a slow
	// reader does not hold up other requests.
	CatalogItems(ctx context.Context, c *Catalog) iter.Seq2[*CatalogItem, error]
}
