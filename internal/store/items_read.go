package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// The read path of items is plain database/sql: one statement per read,
// the item joined with its owner's name, scanned into market.Item without
// GORM. Profiles of GET /achievements/{id} put a third of the handler's
// CPU in GORM's statement building and reflection-driven scanning, and the
// second query (the owner's name) cost a round trip of its own
// (docs/benchmarks.md). Writes keep GORM.

// itemSelect names every column of an item and its owner's name, in the
// order scanItem reads them.
const itemSelect = `SELECT i.id, i.kind, i.org_id, i.status, i.title, i.body, i.industry, i.keywords, i.modes,
 i.region_code, i.contact_name, i.contact_phone, i.budget_min_fen, i.budget_max_fen, i.deadline, i.maturity,
 i.asking_price_fen, i.patent_numbers, i.inventors, i.rejection_reason, i.submitted_at, i.published_at,
 i.closed_at, i.created_at, i.updated_at, COALESCE(o.name, '')
 FROM items i LEFT JOIN orgs o ON o.id = i.org_id`

// scanItem reads one row of itemSelect.
func scanItem(rows interface{ Scan(...any) error }) (*market.Item, error) {
	var (
		it                                  market.Item
		kind, contactName, contactPhone     string
		keywords, modes, patents, inventors []byte
		submitted, published, closed        sql.NullTime
		created, updated                    time.Time
	)
	err := rows.Scan(&it.ID, &kind, &it.OrgID, &it.Status, &it.Title, &it.Body, &it.Industry, &keywords, &modes,
		&it.RegionCode, &contactName, &contactPhone, &it.BudgetMinFen, &it.BudgetMaxFen, &it.Deadline, &it.Maturity,
		&it.AskingPriceFen, &patents, &inventors, &it.RejectionReason, &submitted, &published,
		&closed, &created, &updated, &it.OrgName)
	if err != nil {
		return nil, err
	}
	it.Kind = market.ItemKind(kind)
	for _, l := range []struct {
		raw []byte
		dst *[]string
	}{{keywords, &it.Keywords}, {modes, &it.Modes}, {patents, &it.PatentNumbers}, {inventors, &it.Inventors}} {
		if err := decodeList(l.raw, l.dst); err != nil {
			return nil, err
		}
	}
	if contactName != "" || contactPhone != "" {
		it.Contact = &market.Contact{Name: contactName, Phone: contactPhone}
	}
	it.SubmittedAt, it.PublishedAt, it.ClosedAt = nullTime(submitted), nullTime(published), nullTime(closed)
	it.CreatedAt, it.UpdatedAt = created.UTC(), updated.UTC()
	return &it, nil
}

// decodeList reads a JSON list of strings as GORM's json serializer wrote
// it; an empty column is an empty list, as GORM reads it.
func decodeList(raw []byte, dst *[]string) error {
	if len(raw) == 0 || string(raw) == "[]" || string(raw) == "null" {
		*dst = []string{}
		return nil
	}
	return json.Unmarshal(raw, dst)
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// FindItem returns an item the caller may see, with its owner's name, in
// one statement; others get not found so that drafts do not leak their
// existence.
func (s *ItemService) FindItem(ctx context.Context, kind market.ItemKind, id string) (it *market.Item, err error) {
	defer wrap(&err, "store.FindItem(%q)", id)
	it, err = scanItem(s.db.sql.QueryRowContext(ctx, itemSelect+" WHERE i.id = ? AND i.kind = ?", id, string(kind)))
	if err := translate(err, func() error { return itemNotFound(kind, id) }); err != nil {
		return nil, err
	}
	a := market.ActorFrom(ctx)
	if !market.CanSeeItem(a, it) {
		return nil, itemNotFound(kind, id)
	}
	return forViewer(a, it), nil
}

// ListItems lists items newest first, with their owners' names, in one
// statement. Anonymous callers and ordinary orgs see published items and
// their own; operators, the bureau and admins see all but other orgs'
// drafts.
func (s *ItemService) ListItems(ctx context.Context, f market.ItemFilter) (out market.Page[market.Item], err error) {
	defer wrap(&err, "store.ListItems(%s)", f.Kind)
	a := market.ActorFrom(ctx)
	var q strings.Builder
	q.WriteString(itemSelect)
	q.WriteString(" WHERE i.kind = ?")
	args := []any{string(f.Kind)}
	switch {
	case market.CanSeeAllItems(a):
		// Everything but other orgs' drafts (market.CanSeeItem).
		q.WriteString(" AND (i.status <> ? OR i.org_id = ?)")
		args = append(args, market.StatusDraft, a.OrgID)
	case a != nil && a.OrgID != "":
		q.WriteString(" AND (i.status = ? OR i.org_id = ?)")
		args = append(args, market.StatusPublished, a.OrgID)
	default:
		q.WriteString(" AND i.status = ?")
		args = append(args, market.StatusPublished)
	}
	// Columns come from the code, never from the request.
	for _, eq := range []struct{ col, val string }{
		{"i.industry", f.Industry}, {"i.status", f.Status}, {"i.org_id", f.OrgID}, {"i.region_code", f.RegionCode},
	} {
		if eq.val != "" {
			q.WriteString(" AND " + eq.col + " = ?")
			args = append(args, eq.val)
		}
	}
	if f.Page.After != "" {
		q.WriteString(" AND i.id < ?")
		args = append(args, f.Page.After)
	}
	// One row more than the page tells whether another page follows.
	q.WriteString(" ORDER BY i.id DESC LIMIT ?")
	args = append(args, f.Page.Limit+1)
	rows, err := s.db.sql.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	out.Items = make([]market.Item, 0, min(f.Page.Limit, 32))
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, *forViewer(a, it))
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	if len(out.Items) > f.Page.Limit {
		out.Items = out.Items[:f.Page.Limit]
		out.NextCursor = market.EncodeCursor(out.Items[f.Page.Limit-1].ID)
	}
	return out, nil
}

// withOrgName fills the owner's name; a failure leaves it empty rather than
// failing a write that has already committed.
func (s *ItemService) withOrgName(ctx context.Context, it *market.Item) *market.Item {
	_ = s.db.sql.QueryRowContext(ctx, "SELECT name FROM orgs WHERE id = ?", it.OrgID).Scan(&it.OrgName)
	return it
}

// fillOrgNames looks the owners' names up in one query (the outbox's
// batches read items through GORM).
func (db *DB) fillOrgNames(ctx context.Context, items []*market.Item) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.OrgID)
	}
	var rows []struct{ ID, Name string }
	if err := db.gorm.WithContext(ctx).Model(&orgRow{}).Select("id, name").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return err
	}
	names := make(map[string]string, len(rows))
	for _, r := range rows {
		names[r.ID] = r.Name
	}
	for _, it := range items {
		it.OrgName = names[it.OrgID]
	}
	return nil
}
