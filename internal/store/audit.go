package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

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

var _ market.AuditService = (*DB)(nil)

// ListAudit lists events oldest first, for one entity or all.
func (db *DB) ListAudit(ctx context.Context, f market.AuditFilter) (market.Page[market.AuditEvent], error) {
	var out market.Page[market.AuditEvent]
	if err := market.CanReadAudit(market.ActorFrom(ctx)); err != nil {
		return out, err
	}
	q := whereEq(db.gorm.WithContext(ctx).Model(&auditRow{}), "entity", f.Entity, "entity_id", f.EntityID)
	rows, next, err := fetchPage(q, f.Page, false, func(r *auditRow) string { return r.ID })
	if err != nil {
		return out, err
	}
	out.NextCursor = next
	out.Items = make([]market.AuditEvent, len(rows))
	for i := range rows {
		out.Items[i] = rows[i].event()
	}
	return out, nil
}

// VerifyAudit walks the chain in sequence order, recomputing each hash, and
// names the first event whose content, hash or link does not hold.
func (db *DB) VerifyAudit(ctx context.Context) (*market.AuditVerification, error) {
	if err := market.CanReadAudit(market.ActorFrom(ctx)); err != nil {
		return nil, err
	}
	res := &market.AuditVerification{OK: true}
	prev := ""
	var expectSeq int64 = 1
	const batch = 1000
	var lastSeq int64
	for {
		var rows []auditRow
		if err := db.gorm.WithContext(ctx).Where("seq > ?", lastSeq).Order("seq ASC").Limit(batch).Find(&rows).Error; err != nil {
			return nil, err
		}
		for i := range rows {
			ev := rows[i].event()
			res.Checked++
			if ev.Seq != expectSeq || ev.PrevHash != prev || ev.ComputeHash() != ev.Hash {
				res.OK = false
				res.FirstBrokenID = ev.ID
				return res, nil
			}
			prev, expectSeq, lastSeq = ev.Hash, ev.Seq+1, ev.Seq
		}
		if len(rows) < batch {
			break
		}
	}
	// An event deleted from the end leaves the head ahead of the chain.
	var head auditHead
	if err := db.gorm.WithContext(ctx).First(&head, 1).Error; err != nil {
		return nil, err
	}
	if head.Seq != lastSeq || head.Hash != prev {
		res.OK = false
		res.FirstBrokenID = "head"
	}
	return res, nil
}
