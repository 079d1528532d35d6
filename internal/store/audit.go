package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// AuditService holds the audit aggregate's methods over db.
type AuditService struct{ db *DB }

// NewAuditService returns the audit service over db.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

type auditRow struct {
	ID          string `gorm:"primaryKey"`
	Seq         int64
	ActorUserID string
	ActorOrgID  string
	Action      string
	Entity      string
	EntityID    string
	BeforeJSON  string
	AfterJSON   string
	At          time.Time
	PrevHash    string
	Hash        string
}

func (auditRow) TableName() string { return "audit_events" }

type auditHead struct {
	ID   int `gorm:"primaryKey"`
	Seq  int64
	Hash string
}

func (auditHead) TableName() string { return "audit_head" }

func (r *auditRow) event() market.AuditEvent {
	return market.AuditEvent{
		ID: r.ID, Seq: r.Seq, ActorUserID: r.ActorUserID, ActorOrgID: r.ActorOrgID,
		Action: r.Action, Entity: r.Entity, EntityID: r.EntityID,
		Before: json.RawMessage(r.BeforeJSON), After: json.RawMessage(r.AfterJSON),
		At: r.At.UTC(), PrevHash: r.PrevHash, Hash: r.Hash,
	}
}

// audit appends one event inside tx, chained to the current tip. The tip
// row is locked, so concurrent transactions append one after another and
// the chain never forks. before and after are marshalled as JSON (nil
// becomes null).
func (db *DB) audit(ctx context.Context, tx *gorm.DB, action, entity, entityID string, before, after any) error {
	b, err := json.Marshal(before)
	if err != nil {
		return err
	}
	a, err := json.Marshal(after)
	if err != nil {
		return err
	}
	var head auditHead
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&head, 1).Error; err != nil {
		return fmt.Errorf("lock audit head: %w", err)
	}
	ev := market.AuditEvent{
		ID: ulid.Make().String(), Seq: head.Seq + 1, Action: action, Entity: entity, EntityID: entityID,
		Before: b, After: a, At: db.now(), PrevHash: head.Hash,
	}
	if actor := market.ActorFrom(ctx); actor != nil {
		ev.ActorUserID, ev.ActorOrgID = actor.UserID, actor.OrgID
	}
	ev.Hash = ev.ComputeHash()
	row := auditRow{ID: ev.ID, Seq: ev.Seq, ActorUserID: ev.ActorUserID, ActorOrgID: ev.ActorOrgID,
		Action: ev.Action, Entity: ev.Entity, EntityID: ev.EntityID, BeforeJSON: string(b), AfterJSON: string(a),
		At: ev.At, PrevHash: ev.PrevHash, Hash: ev.Hash}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return tx.Model(&auditHead{}).Where("id = 1").Updates(map[string]any{"seq": ev.Seq, "hash": ev.Hash}).Error
}

var _ market.AuditService = (*AuditService)(nil)

// ListAudit lists events in chain order (oldest first), for one entity or
// all. Pages run by seq, not by id: ids made by two instances in the same
// millisecond need not sort the way the chain numbered them. The cursor
// holds the last seq of the page.
func (s *AuditService) ListAudit(ctx context.Context, f market.AuditFilter) (_ market.Page[market.AuditEvent], err error) {
	defer wrap(&err, "store.ListAudit")
	var out market.Page[market.AuditEvent]
	if err := market.CanReadAudit(market.ActorFrom(ctx)); err != nil {
		return out, err
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&auditRow{}), "entity", f.Entity, "entity_id", f.EntityID)
	if f.Page.After != "" {
		after, err := strconv.ParseInt(f.Page.After, 10, 64)
		if err != nil || after < 0 {
			return out, market.Invalid("cursor", "is not a cursor this server issued")
		}
		q = q.Where("seq > ?", after)
	}
	var rows []auditRow
	if err := q.Order("seq ASC").Limit(f.Page.Limit + 1).Find(&rows).Error; err != nil {
		return out, err
	}
	if len(rows) > f.Page.Limit {
		rows = rows[:f.Page.Limit]
		out.NextCursor = market.EncodeCursor(strconv.FormatInt(rows[len(rows)-1].Seq, 10))
	}
	out.Items = make([]market.AuditEvent, len(rows))
	for i := range rows {
		out.Items[i] = rows[i].event()
	}
	return out, nil
}

// auditBatch is how many events VerifyAudit reads at a time.
const auditBatch = 1000

// VerifyAudit walks the chain in sequence order, recomputing each hash, and
// names the first event whose content, hash or link does not hold, or
// whose catalog snapshot no longer matches the digest it recorded.
//
// The head is read first, and only events up to its seq are checked. The
// head moves in the transaction that appends, and appends take turns on
// its row lock, so every event up to the head read is committed and stays
// as it is (the trail is append-only), while events past it are newer
// than this check and are left to the next one. Reading the head last
// instead would, under concurrent writes, find it ahead of the events
// read and report a truncated chain that is not.
func (s *AuditService) VerifyAudit(ctx context.Context) (_ *market.AuditVerification, err error) {
	defer wrap(&err, "store.VerifyAudit")
	if err := market.CanReadAudit(market.ActorFrom(ctx)); err != nil {
		return nil, err
	}
	g := s.db.gorm.WithContext(ctx)
	var head auditHead
	if err := g.First(&head, 1).Error; err != nil {
		return nil, err
	}
	res := &market.AuditVerification{OK: true}
	prev, lastID := "", ""
	var lastSeq int64
	for lastSeq < head.Seq {
		var rows []auditRow
		if err := g.Where("seq > ? AND seq <= ?", lastSeq, head.Seq).Order("seq ASC").Limit(auditBatch).Find(&rows).Error; err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			break
		}
		for i := range rows {
			ev := rows[i].event()
			res.Checked++
			if ev.Seq != lastSeq+1 || ev.PrevHash != prev || ev.ComputeHash() != ev.Hash {
				res.Broken(ev.ID, market.AuditBrokenEvent)
				return res, nil
			}
			if ok, err := s.snapshotHolds(ctx, &ev); err != nil {
				return nil, err
			} else if !ok {
				res.Broken(ev.ID, market.AuditBrokenSnapshot)
				return res, nil
			}
			prev, lastSeq, lastID = ev.Hash, ev.Seq, ev.ID
		}
	}
	switch {
	case lastSeq != head.Seq:
		// Events were removed from the end: the chain breaks after the
		// last one that survives.
		res.Broken(lastID, market.AuditBrokenTruncated)
	case head.Hash != prev:
		res.Broken(lastID, market.AuditBrokenHead)
	}
	return res, nil
}

// snapshotHolds reports whether the event, if it is a catalog's publish
// event that recorded a snapshot digest, still matches the catalog's
// frozen items. Events of catalogs published before digests were recorded
// carry none and hold.
func (s *AuditService) snapshotHolds(ctx context.Context, ev *market.AuditEvent) (bool, error) {
	if ev.Entity != "catalog" || ev.Action != market.ActionPublish {
		return true, nil
	}
	var after struct {
		SnapshotSHA256 string `json:"snapshot_sha256"`
	}
	if err := json.Unmarshal(ev.After, &after); err != nil || after.SnapshotSHA256 == "" {
		return true, nil // the hash check has vouched for this content already
	}
	sum, err := snapshotDigest(s.db.gorm.WithContext(ctx), ev.EntityID)
	if err != nil {
		return false, err
	}
	return sum == after.SnapshotSHA256, nil
}
