package store

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type outboxRow struct {
	ID          string `gorm:"primaryKey"`
	ItemID      string
	Kind        string
	Attempts    int
	AvailableAt time.Time
	LockedUntil *time.Time
	ClaimToken  string
	LastError   string
	CreatedAt   time.Time
}

func (outboxRow) TableName() string { return "search_outbox" }

// OutboxEntry is one claimed change to apply to the search engine.
// Attempts counts the claims of the row, this one included; Token names
// the claim, and only its holder may finish or release the row.
type OutboxEntry struct {
	ID       string
	ItemID   string
	Kind     market.ItemKind
	Attempts int
	Token    string
}

// enqueue records inside tx that an item changed in a way the search index
// must follow. It is called only when the item was or is published: items
// that never were public never reach the index.
func (db *DB) enqueue(tx *gorm.DB, it *market.Item) error {
	now := db.now()
	return tx.Create(&outboxRow{ID: ulid.Make().String(), ItemID: it.ID, Kind: string(it.Kind),
		AvailableAt: now, CreatedAt: now}).Error
}

// ClaimOutbox leases up to n due entries under a new claim token. On
// MySQL, SKIP LOCKED lets the workers of several instances claim disjoint
// rows without waiting on each other; the lease keeps a row from being
// claimed again while one worker applies it, and frees it if that worker
// dies. A worker must be done with its engine calls before the lease ends:
// after that another worker may claim the rows, and the first one's
// FinishOutbox and RetryOutbox no longer touch them.
func (db *DB) ClaimOutbox(ctx context.Context, n int, lease time.Duration) (_ []OutboxEntry, err error) {
	defer wrap(&err, "store.ClaimOutbox")
	var out []OutboxEntry
	token := ulid.Make().String()
	err = db.tx(ctx, func(tx *gorm.DB) error {
		out = out[:0]
		now := db.now()
		var rows []outboxRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Where("available_at <= ? AND (locked_until IS NULL OR locked_until < ?)", now, now).
			Order("available_at, id").Limit(n).Find(&rows).Error
		if err != nil || len(rows) == 0 {
			return err
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			out = append(out, OutboxEntry{ID: r.ID, ItemID: r.ItemID, Kind: market.ItemKind(r.Kind), Attempts: r.Attempts + 1, Token: token})
		}
		return tx.Model(&outboxRow{}).Where("id IN ?", ids).
			Updates(map[string]any{"locked_until": now.Add(lease), "claim_token": token, "attempts": gorm.Expr("attempts + 1")}).Error
	})
	return out, err
}

// FinishOutbox deletes applied entries that the claim token still holds,
// and says how many it deleted: fewer than asked means the lease ran out
// and another worker has the rest.
func (db *DB) FinishOutbox(ctx context.Context, token string, ids []string) (_ int64, err error) {
	defer wrap(&err, "store.FinishOutbox(%q)", token)
	if len(ids) == 0 {
		return 0, nil
	}
	res := db.gorm.WithContext(ctx).Where("id IN ? AND claim_token = ?", ids, token).Delete(&outboxRow{})
	return res.RowsAffected, res.Error
}

// RetryOutbox releases entries that failed, to be tried again after delay,
// if the claim token still holds them; it says how many it released.
func (db *DB) RetryOutbox(ctx context.Context, token string, ids []string, delay time.Duration, cause error) (_ int64, err error) {
	defer wrap(&err, "store.RetryOutbox(%q)", token)
	if len(ids) == 0 {
		return 0, nil
	}
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	res := db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("id IN ? AND claim_token = ?", ids, token).
		Updates(map[string]any{"locked_until": nil, "claim_token": "", "available_at": db.now().Add(delay), "last_error": msg})
	return res.RowsAffected, res.Error
}

// OutboxBacklog counts entries not yet applied.
func (db *DB) OutboxBacklog(ctx context.Context) (_ int64, err error) {
	defer wrap(&err, "store.OutboxBacklog")
	var n int64
	err = db.gorm.WithContext(ctx).Model(&outboxRow{}).Count(&n).Error
	return n, err
}

// ItemsByID loads items as they are now, with their owners' names, for
// indexing. Missing IDs are left out.
func (db *DB) ItemsByID(ctx context.Context, ids []string) (_ []*market.Item, err error) {
	defer wrap(&err, "store.ItemsByID")
	var rows []itemRow
	if err := db.gorm.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	items := make([]*market.Item, len(rows))
	for i := range rows {
		items[i] = rows[i].item()
	}
	return items, db.fillOrgNames(ctx, items)
}

// PublishedItems pages through the published items of a kind by ID, for
// reindexing.
func (db *DB) PublishedItems(ctx context.Context, kind market.ItemKind, afterID string, n int) (_ []*market.Item, err error) {
	defer wrap(&err, "store.PublishedItems(%s, %q)", kind, afterID)
	var rows []itemRow
	err = db.gorm.WithContext(ctx).Where("kind = ? AND status = ? AND id > ?", string(kind), market.StatusPublished, afterID).
		Order("id").Limit(n).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	items := make([]*market.Item, len(rows))
	for i := range rows {
		items[i] = rows[i].item()
	}
	return items, db.fillOrgNames(ctx, items)
}

// ItemVersion is what tells two states of an item apart for indexing.
type ItemVersion struct {
	Status    string
	UpdatedAt time.Time
}

// ItemVersions returns the status and last change of the items that
// exist among ids. The outbox worker reads them after writing to the
// engine to see whether an item changed meanwhile.
func (db *DB) ItemVersions(ctx context.Context, ids []string) (_ map[string]ItemVersion, err error) {
	defer wrap(&err, "store.ItemVersions")
	var rows []struct {
		ID        string
		Status    string
		UpdatedAt time.Time
	}
	out := make(map[string]ItemVersion, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err = db.gorm.WithContext(ctx).Model(&itemRow{}).Select("id, status, updated_at").Where("id IN ?", ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.ID] = ItemVersion{Status: r.Status, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, err
}

// ItemRef names one item.
type ItemRef struct {
	ID   string
	Kind market.ItemKind
}

// ItemsChangedSince pages by ID through the items (of any status) whose
// last change is at or after since; reindex re-applies them after a
// rebuild.
func (db *DB) ItemsChangedSince(ctx context.Context, since time.Time, afterID string, n int) (_ []ItemRef, err error) {
	defer wrap(&err, "store.ItemsChangedSince(%q)", afterID)
	var rows []struct {
		ID   string
		Kind string
	}
	err = db.gorm.WithContext(ctx).Model(&itemRow{}).Select("id, kind").
		Where("updated_at >= ? AND id > ?", since.UTC(), afterID).Order("id").Limit(n).Scan(&rows).Error
	out := make([]ItemRef, len(rows))
	for i, r := range rows {
		out[i] = ItemRef{ID: r.ID, Kind: market.ItemKind(r.Kind)}
	}
	return out, err
}

// Now is the database's clock (the one item changes are stamped with).
func (db *DB) Now() time.Time { return db.now() }

// CountPublished counts the published items of a kind.
func (db *DB) CountPublished(ctx context.Context, kind market.ItemKind) (_ int64, err error) {
	defer wrap(&err, "store.CountPublished(%s)", kind)
	var n int64
	err = db.gorm.WithContext(ctx).Model(&itemRow{}).Where("kind = ? AND status = ?", string(kind), market.StatusPublished).Count(&n).Error
	return n, err
}
