package store

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// CatalogService holds the catalog aggregate's methods over db.
type CatalogService struct{ db *DB }

// NewCatalogService returns the catalog service over db.
func NewCatalogService(db *DB) *CatalogService { return &CatalogService{db: db} }

type catalogRow struct {
	ID          string `gorm:"primaryKey"`
	Kind        string
	Title       string
	Period      string
	Industries  []string `gorm:"serializer:json"`
	RegionCodes []string `gorm:"serializer:json"`
	Status      string
	Market      string
	OrgID       string
	CreatedBy   string
	ItemCount   int
	PublishedAt *time.Time
	// The service sets both times itself; GORM must not stamp its own
	// clock over them on Save, or the stored updated_at would differ from
	// the one answered and audited.
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (catalogRow) TableName() string { return "catalogs" }

func (r *catalogRow) catalog() *market.Catalog {
	return &market.Catalog{
		ID: r.ID, Kind: market.ItemKind(r.Kind), Title: r.Title, Period: r.Period,
		Filter: market.CatalogFilter{Industries: nonNil(r.Industries), RegionCodes: nonNil(r.RegionCodes)},
		Status: r.Status, Market: r.Market, OrgID: r.OrgID, ItemCount: r.ItemCount,
		PublishedAt: utcPtr(r.PublishedAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func rowFromCatalog(c *market.Catalog, createdBy string) catalogRow {
	return catalogRow{
		ID: c.ID, Kind: string(c.Kind), Title: c.Title, Period: c.Period,
		Industries: nonNil(c.Filter.Industries), RegionCodes: nonNil(c.Filter.RegionCodes),
		Status: c.Status, Market: c.Market, OrgID: c.OrgID, CreatedBy: createdBy, ItemCount: c.ItemCount,
		PublishedAt: c.PublishedAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// catalogItemRow is a row of catalog_items, or of the live query that
// previews a draft (which also yields the industry rank its cursor needs).
type catalogItemRow struct {
	CatalogID      string
	Seq            int
	ItemID         string
	Kind           string
	OrgID          string
	OrgName        string
	Title          string
	Body           string
	Industry       string
	Keywords       []string `gorm:"serializer:json"`
	Modes          []string `gorm:"serializer:json"`
	RegionCode     string
	BudgetMinFen   int64
	BudgetMaxFen   int64
	Deadline       string
	Maturity       string
	AskingPriceFen int64
	PatentNumbers  []string `gorm:"serializer:json"`
	Inventors      []string `gorm:"serializer:json"`
	PublishedAt    *time.Time
	IndustryRank   int `gorm:"-:migration;->"`
}

func (catalogItemRow) TableName() string { return "catalog_items" }

func (r *catalogItemRow) item() market.CatalogItem {
	return market.CatalogItem{
		Seq: r.Seq, ItemID: r.ItemID, Kind: market.ItemKind(r.Kind), OrgID: r.OrgID, OrgName: r.OrgName,
		Title: r.Title, Body: r.Body, Industry: r.Industry, Keywords: r.Keywords, Modes: r.Modes,
		RegionCode: r.RegionCode, BudgetMinFen: r.BudgetMinFen, BudgetMaxFen: r.BudgetMaxFen,
		Deadline: r.Deadline, Maturity: r.Maturity, AskingPriceFen: r.AskingPriceFen,
		PatentNumbers: r.PatentNumbers, Inventors: r.Inventors, PublishedAt: utcPtr(r.PublishedAt),
	}
}

// snapshotColumns are copied from items (alias i) and orgs (alias o) into
// catalog_items, after catalog_id and seq.
const snapshotColumns = "item_id, kind, org_id, org_name, title, body, industry, keywords, modes, region_code, " +
	"budget_min_fen, budget_max_fen, deadline, maturity, asking_price_fen, patent_numbers, inventors, published_at"

const snapshotSelect = "i.id, i.kind, i.org_id, COALESCE(o.name, ''), i.title, i.body, i.industry, i.keywords, " +
	"i.modes, i.region_code, i.budget_min_fen, i.budget_max_fen, i.deadline, i.maturity, i.asking_price_fen, " +
	"i.patent_numbers, i.inventors, i.published_at"

// previewSelect is snapshotSelect with the names catalogItemRow scans.
const previewSelect = "i.id AS item_id, i.kind, i.org_id, COALESCE(o.name, '') AS org_name, i.title, i.body, " +
	"i.industry, i.keywords, i.modes, i.region_code, i.budget_min_fen, i.budget_max_fen, i.deadline, i.maturity, " +
	"i.asking_price_fen, i.patent_numbers, i.inventors, i.published_at"

// rankSQL orders industries as GET /meta lists them (market.IndustryRank).
var rankSQL = func() string {
	var b strings.Builder
	b.WriteString("CASE i.industry")
	for _, c := range market.Industries {
		// Codes are constants of the domain, never client input.
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", c.Code, market.IndustryRank(c.Code))
	}
	fmt.Fprintf(&b, " ELSE %d END", len(market.Industries)+1)
	return b.String()
}()

// matchSQL returns the FROM and WHERE clauses selecting the published items
// a catalog's filter matches, and their arguments.
func matchSQL(c *market.Catalog) (string, []any) {
	var b strings.Builder
	b.WriteString(" FROM items i LEFT JOIN orgs o ON o.id = i.org_id WHERE i.kind = ? AND i.status = ?")
	args := []any{string(c.Kind), market.StatusPublished}
	if ind := c.Filter.Industries; len(ind) > 0 {
		b.WriteString(" AND i.industry IN (?" + strings.Repeat(", ?", len(ind)-1) + ")")
		for _, s := range ind {
			args = append(args, s)
		}
	}
	if len(c.Filter.RegionCodes) > 0 {
		var or []string
		for _, code := range c.Filter.RegionCodes {
			prefix, exact := market.RegionPrefix(code)
			if exact {
				or = append(or, "i.region_code = ?")
				args = append(args, prefix)
			} else {
				// Validated digits: the prefix holds no LIKE wildcard.
				or = append(or, "i.region_code LIKE ?")
				args = append(args, prefix+"%")
			}
		}
		b.WriteString(" AND (" + strings.Join(or, " OR ") + ")")
	}
	return b.String(), args
}

// itemCursor is a position in catalog order: the seq of the last item
// seen and, for a draft's live preview, its industry rank and item id.
type itemCursor struct {
	Seq  int
	Rank int
	ID   string
}

func (k itemCursor) encode() string {
	return market.EncodeCursor(strconv.Itoa(k.Seq) + "." + strconv.Itoa(k.Rank) + "." + k.ID)
}

func parseItemCursor(after string) (itemCursor, error) {
	var k itemCursor
	if after == "" {
		return k, nil
	}
	parts := strings.SplitN(after, ".", 3)
	var err1, err2 error
	if len(parts) == 3 {
		k.Seq, err1 = strconv.Atoi(parts[0])
		k.Rank, err2 = strconv.Atoi(parts[1])
		k.ID = parts[2]
	}
	if len(parts) != 3 || err1 != nil || err2 != nil || k.Seq < 0 {
		return k, market.Invalid("cursor", "is not a cursor this server issued")
	}
	return k, nil
}

func cursorAt(r *catalogItemRow) itemCursor {
	return itemCursor{Seq: r.Seq, Rank: r.IndustryRank, ID: r.ItemID}
}

var _ market.CatalogService = (*CatalogService)(nil)

// CreateCatalog makes a draft catalog for the operator's market.
func (s *CatalogService) CreateCatalog(ctx context.Context, in market.CatalogInput) (_ *market.Catalog, err error) {
	defer wrap(&err, "store.CreateCatalog")
	a := market.ActorFrom(ctx)
	if err := market.CanCreateCatalog(a); err != nil {
		return nil, err
	}
	now := s.db.now()
	c := &market.Catalog{ID: ulid.Make().String(), Status: market.CatalogDraft, Market: a.Market, OrgID: a.OrgID,
		CreatedAt: now, UpdatedAt: now}
	c.Apply(in)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	row := rowFromCatalog(c, a.UserID)
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, market.ActionCreate, "catalog", c.ID, nil, c)
	})
	if err != nil {
		return nil, err
	}
	return c, s.countLive(ctx, c)
}

// changeCatalog runs one action on a catalog through run: the catalog's
// lock, visibility, market.CanChangeCatalog and the transition, then fn
// changes it inside the transaction. The event's "after" is what fn
// returns, or the catalog when that is nil.
func (s *CatalogService) changeCatalog(ctx context.Context, id, action string, fn func(tx *gorm.DB, c *market.Catalog, now time.Time) (any, error)) (*market.Catalog, error) {
	var createdBy string
	var after any
	return run(ctx, s.db, change[market.Catalog]{
		entity: "catalog", id: id, action: action,
		lock: func(tx *gorm.DB) (*market.Catalog, error) {
			var row catalogRow
			err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&row, "id = ?", id).Error
			if err := translate(err, func() error { return catalogNotFound(id) }); err != nil {
				return nil, err
			}
			createdBy = row.CreatedBy
			return row.catalog(), nil
		},
		visible:  market.CanSeeCatalog,
		notFound: func() error { return catalogNotFound(id) },
		allowed:  market.CanChangeCatalog,
		apply: func(tx *gorm.DB, c *market.Catalog, now time.Time) ([]auditEntry, error) {
			to, err := market.CatalogTransition(c.Status, action)
			if err != nil {
				return nil, err
			}
			c.Status, c.UpdatedAt = to, now
			after, err = fn(tx, c, now)
			return nil, err
		},
		save: func(tx *gorm.DB, c *market.Catalog) error {
			nr := rowFromCatalog(c, createdBy)
			return tx.Select("*").Save(&nr).Error
		},
		after: func(c *market.Catalog) any {
			if after != nil {
				return after
			}
			return c
		},
	})
}

// UpdateCatalog edits a draft.
func (s *CatalogService) UpdateCatalog(ctx context.Context, id string, in market.CatalogInput) (_ *market.Catalog, err error) {
	defer wrap(&err, "store.UpdateCatalog(%q)", id)
	c, err := s.changeCatalog(ctx, id, market.ActionEdit, func(_ *gorm.DB, c *market.Catalog, _ time.Time) (any, error) {
		c.Apply(in)
		return nil, c.Validate()
	})
	if err != nil {
		return nil, err
	}
	return c, s.countLive(ctx, c)
}

// PublishCatalog copies every published item the filter matches into
// catalog_items, numbered in catalog order, with one INSERT ... SELECT in
// the transaction that changes the state: the snapshot is exactly what was
// published at that instant. The rows are then read back, still in the
// transaction, to record their digest in the publish event, which is how
// VerifyAudit finds a snapshot edited behind the API's back.
func (s *CatalogService) PublishCatalog(ctx context.Context, id string) (_ *market.Catalog, err error) {
	defer wrap(&err, "store.PublishCatalog(%q)", id)
	return s.changeCatalog(ctx, id, market.ActionPublish, func(tx *gorm.DB, c *market.Catalog, now time.Time) (any, error) {
		where, args := matchSQL(c)
		q := "INSERT INTO catalog_items (catalog_id, seq, " + snapshotColumns + ") SELECT ?, ROW_NUMBER() OVER (ORDER BY " +
			rankSQL + ", i.id), " + snapshotSelect + where
		res := tx.Exec(q, append([]any{c.ID}, args...)...)
		if res.Error != nil {
			return nil, fmt.Errorf("snapshot catalog items: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			msg := fmt.Sprintf("matches no published %s; widen the filter or publish when items are listed", c.Kind)
			return nil, market.Conflict("nothing to publish: the filter %s", msg).On("filter", msg)
		}
		c.ItemCount, c.PublishedAt = int(res.RowsAffected), &now
		sum, err := snapshotDigest(tx, c.ID)
		if err != nil {
			return nil, err
		}
		return &market.CatalogPublication{Catalog: *c, SnapshotSHA256: sum}, nil
	})
}

// snapshotDigest reads a published catalog's frozen items in seq order,
// a batch at a time, and returns their market.SnapshotDigest.
func snapshotDigest(g *gorm.DB, catalogID string) (string, error) {
	d := market.NewSnapshotDigest()
	last := 0
	for {
		var rows []catalogItemRow
		if err := g.Session(&gorm.Session{NewDB: true}).Where("catalog_id = ? AND seq > ?", catalogID, last).
			Order("seq").Limit(exportBatch).Find(&rows).Error; err != nil {
			return "", fmt.Errorf("digest catalog %s: %w", catalogID, err)
		}
		for i := range rows {
			it := rows[i].item()
			d.Add(&it)
		}
		if len(rows) < exportBatch {
			return d.Sum(), nil
		}
		last = rows[len(rows)-1].Seq
	}
}

// FindCatalog returns a catalog the caller may see; drafts are not found
// by the public. A draft's item_count is counted now.
func (s *CatalogService) FindCatalog(ctx context.Context, id string) (_ *market.Catalog, err error) {
	defer wrap(&err, "store.FindCatalog(%q)", id)
	var row catalogRow
	err = s.db.gorm.WithContext(ctx).First(&row, "id = ?", id).Error
	if err := translate(err, func() error { return catalogNotFound(id) }); err != nil {
		return nil, err
	}
	c := row.catalog()
	if !market.CanSeeCatalog(market.ActorFrom(ctx), c) {
		return nil, catalogNotFound(id)
	}
	return c, s.countLive(ctx, c)
}

// countLive sets a draft's item_count to the number of items its filter
// matches now. Published catalogs keep their frozen count.
func (s *CatalogService) countLive(ctx context.Context, c *market.Catalog) error {
	if c.Status != market.CatalogDraft {
		return nil
	}
	where, args := matchSQL(c)
	var n int64
	if err := s.db.gorm.WithContext(ctx).Raw("SELECT COUNT(*)"+where, args...).Scan(&n).Error; err != nil {
		return err
	}
	c.ItemCount = int(n)
	return nil
}

// ListCatalogs lists catalogs newest first. The public sees published
// catalogs only.
func (s *CatalogService) ListCatalogs(ctx context.Context, f market.CatalogListFilter) (_ market.Page[market.Catalog], err error) {
	defer wrap(&err, "store.ListCatalogs")
	var out market.Page[market.Catalog]
	if err := f.Validate(); err != nil {
		return out, err
	}
	q := s.db.gorm.WithContext(ctx).Model(&catalogRow{})
	if !market.CanSeeDraftCatalogs(market.ActorFrom(ctx)) {
		q = q.Where("status = ?", market.CatalogPublished)
	}
	q = whereEq(q, "kind", f.Kind, "period", f.Period, "market", f.Market, "status", f.Status)
	rows, next, err := fetchPage(q, f.Page, true, func(r *catalogRow) string { return r.ID })
	if err != nil {
		return out, err
	}
	out.NextCursor = next
	out.Items = make([]market.Catalog, 0, len(rows))
	for i := range rows {
		c := rows[i].catalog()
		if err := s.countLive(ctx, c); err != nil {
			return out, err
		}
		out.Items = append(out.Items, *c)
	}
	return out, nil
}

// ListCatalogItems pages through a catalog: the frozen rows of a published
// one, a live preview of a draft.
func (s *CatalogService) ListCatalogItems(ctx context.Context, id string, p market.PageRequest) (_ market.Page[market.CatalogItem], err error) {
	defer wrap(&err, "store.ListCatalogItems(%q)", id)
	var out market.Page[market.CatalogItem]
	after, err := parseItemCursor(p.After)
	if err != nil {
		return out, err
	}
	c, err := s.FindCatalog(ctx, id)
	if err != nil {
		return out, err
	}
	rows, err := s.catalogBatch(ctx, c, after, p.Limit+1)
	if err != nil {
		return out, err
	}
	out.Items = make([]market.CatalogItem, 0, min(len(rows), p.Limit))
	for i := range rows {
		if i == p.Limit {
			out.NextCursor = cursorAt(&rows[i-1]).encode()
			break
		}
		out.Items = append(out.Items, rows[i].item())
	}
	return out, nil
}

// exportBatch is how many rows CatalogItems reads at a time.
const exportBatch = 500

// CatalogItems yields a catalog's items batch by batch. Each batch is read
// completely before any item is yielded, so no connection (SQLite has one)
// stays busy while a slow client downloads.
func (s *CatalogService) CatalogItems(ctx context.Context, c *market.Catalog) iter.Seq2[*market.CatalogItem, error] {
	return func(yield func(*market.CatalogItem, error) bool) {
		var after itemCursor
		for {
			rows, err := s.catalogBatch(ctx, c, after, exportBatch)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range rows {
				it := rows[i].item()
				if !yield(&it, nil) {
					return
				}
			}
			if len(rows) < exportBatch {
				return
			}
			after = cursorAt(&rows[len(rows)-1])
		}
	}
}

// catalogBatch reads up to limit items after a position in catalog order.
func (s *CatalogService) catalogBatch(ctx context.Context, c *market.Catalog, after itemCursor, limit int) ([]catalogItemRow, error) {
	var rows []catalogItemRow
	g := s.db.gorm.WithContext(ctx)
	if c.Status == market.CatalogPublished {
		err := g.Where("catalog_id = ? AND seq > ?", c.ID, after.Seq).Order("seq").Limit(limit).Find(&rows).Error
		return rows, err
	}
	where, args := matchSQL(c)
	if after.ID != "" {
		where += " AND (" + rankSQL + " > ? OR (" + rankSQL + " = ? AND i.id > ?))"
		args = append(args, after.Rank, after.Rank, after.ID)
	}
	q := "SELECT " + rankSQL + " AS industry_rank, " + previewSelect + where + " ORDER BY industry_rank, i.id LIMIT ?"
	if err := g.Raw(q, append(args, limit)...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	// A preview numbers its items from the cursor on, as publishing would.
	for i := range rows {
		rows[i].Seq = after.Seq + i + 1
	}
	return rows, nil
}

func catalogNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "catalog %s not found", id)
}
