package store

import (
	"context"
	"time"

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
	LastError   string
	CreatedAt   time.Time
}

func (outboxRow) TableName() string { return "search_outbox" }

// OutboxEntry is one claimed change to apply to the search engine.
type OutboxEntry struct {
	ID       string
	ItemID   string
	Kind     market.ItemKind
	Attempts int
}

// enqueue records inside tx that an item changed in a way the search index
// must follow. It is called only when the item was or is published: items
// that never were public never reach the index.
func (db *DB) enqueue(tx *gorm.DB, it *market.Item) error {
	now := db.now()
	return tx.Create(&outboxRow{ID: ulid.Make().String(), ItemID: it.ID, Kind: string(it.Kind),
		AvailableAt: now, CreatedAt: now}).Error
}

// ClaimOutbox leases up to n due entries. On MySQL, SKIP LOCKED lets the
// workers of several instances claim disjoint rows without waiting on each
// other; the lease keeps a row from being claimed again while one worker
// applies it, and frees it if that worker dies.
func (db *DB) ClaimOutbox(ctx context.Context, n int, lease time.Duration) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := db.tx(ctx, func(tx *gorm.DB) error {
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
			out = append(out, OutboxEntry{ID: r.ID, ItemID: r.ItemID, Kind: market.ItemKind(r.Kind), Attempts: r.Attempts + 1})
		}
		return tx.Model(&outboxRow{}).Where("id IN ?", ids).
			Updates(map[string]any{"locked_until": now.Add(lease), "attempts": gorm.Expr("attempts + 1")}).Error
	})
	return out, err
}

// FinishOutbox deletes applied entries.
func (db *DB) FinishOutbox(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return db.gorm.WithContext(ctx).Where("id IN ?", ids).Delete(&outboxRow{}).Error
}

// RetryOutbox releases entries that failed, to be tried again after delay.
func (db *DB) RetryOutbox(ctx context.Context, ids []string, delay time.Duration, cause error) error {
	if len(ids) == 0 {
		return nil
	}
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("id IN ?", ids).
		Updates(map[string]any{"locked_until": nil, "available_at": db.now().Add(delay), "last_error": msg}).Error
}

// OutboxBacklog counts entries not yet applied.
func (db *DB) OutboxBacklog(ctx context.Context) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&outboxRow{}).Count(&n).Error
	return n, err
}

// ItemsByID loads items as they are now, with their owners' names, for
// indexing. Missing IDs are left out.
func (db *DB) ItemsByID(ctx context.Context, ids []string) ([]*market.Item, error) {
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
func (db *DB) PublishedItems(ctx context.Context, kind market.ItemKind, afterID string, n int) ([]*market.Item, error) {
	var rows []itemRow
	err := db.gorm.WithContext(ctx).Where("kind = ? AND status = ? AND id > ?", string(kind), market.StatusPublished, afterID).
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

// CountPublished counts the published items of a kind.
func (db *DB) CountPublished(ctx context.Context, kind market.ItemKind) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&itemRow{}).Where("kind = ? AND status = ?", string(kind), market.StatusPublished).Count(&n).Error
	return n, err
}
