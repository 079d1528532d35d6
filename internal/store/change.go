package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Lock order. A write that holds several row locks takes them in this
// order, so concurrent writers on any number of instances queue instead
// of deadlocking:
//
//  1. a subsidy policy's lineage root, then the policy (findPolicy);
//  2. the subsidy application;
//  3. the transaction (the deal), and under it its payments; for an
//     innovation voucher, its booking or service order instead
//     (store/vouchers.go); an instrument before its bookings
//     (store/bookings.go);
//  4. an item, an intent, a catalog (no write holds two of these);
//  5. last, the audit chain's head (db.audit), which every write shares,
//     so it is held for as short a time as possible.
//
// A change declares the locks the order puts before its own row in
// change.prelock, and run takes them first. One path runs against the
// order: creating a subsidy application (a buyer's, or auto-apply, inside
// a change of the deal) locks the deal before the policy. It holds no
// application yet, and a deal that already has a live one is refused
// before the policy is locked, so it cannot close a cycle with writers
// that do; any rare cycle left is broken by MySQL's deadlock detection
// and db.tx's retry.

// change is one state change of one aggregate's row, run by run. Each
// aggregate describes its rows once (lock, visibility, save) and each
// action adds its permission rule and domain transition.
type change[T any] struct {
	// entity is the audit trail's name for the aggregate ("transaction",
	// "catalog", the item's kind, ...), id the row's, action the audit
	// action (and the lifecycle action apply performs).
	entity, id, action string
	// prelock takes the locks the lock order puts before this row's; nil
	// when there are none.
	prelock func(tx *gorm.DB) error
	// lock reads the row with SELECT ... FOR UPDATE, so concurrent
	// changes of it queue here; a missing row is the aggregate's
	// ENOTFOUND (through translate).
	lock func(tx *gorm.DB) (*T, error)
	// visible is market's rule for who may see the row; anyone else gets
	// notFound, so a change tells nothing of rows one may not see.
	visible  func(*market.Actor, *T) bool
	notFound func() error
	// allowed is the market.CanX rule for the action.
	allowed func(*market.Actor, *T) error
	// apply performs the domain transition and whatever else the action
	// writes in the transaction; it returns the audit events of those
	// other writes.
	apply func(tx *gorm.DB, v *T, now time.Time) ([]auditEntry, error)
	// save writes the row back.
	save func(tx *gorm.DB, v *T) error
	// settle runs after the save, given the row as it was: outbox rows,
	// read-cache fences, follow-on changes of other aggregates. It
	// returns the audit events of what it wrote. Nil when nothing follows.
	settle func(tx *gorm.DB, before, v *T) ([]auditEntry, error)
	// view is the row as its audit event records it; nil records the row.
	// after, when set, is what the event records as the row's new state
	// instead (a published catalog adds its snapshot's digest).
	view  func(*T) any
	after func(*T) any
}

// auditEntry is one more audit event a change writes.
type auditEntry struct {
	action, entity, id string
	before, after      any
}

// run is the one path every state change of an existing row takes, in one
// database transaction: the locks that come first (prelock), the row's
// lock, visibility, permission, the domain transition (apply), save,
// outbox and follow-ons (settle), and the audit events last, the change's
// own before those of what it caused. It returns the row as saved.
func run[T any](ctx context.Context, db *DB, c change[T]) (*T, error) {
	a := market.ActorFrom(ctx)
	view := c.view
	if view == nil {
		view = func(v *T) any { return v }
	}
	var out *T
	err := db.tx(ctx, func(tx *gorm.DB) error {
		if c.prelock != nil {
			if err := c.prelock(tx); err != nil {
				return err
			}
		}
		v, err := c.lock(tx)
		if err != nil {
			return err
		}
		if !c.visible(a, v) {
			return c.notFound()
		}
		if err := c.allowed(a, v); err != nil {
			return err
		}
		before := *v
		beforeView := view(&before)
		extra, err := c.apply(tx, v, db.now())
		if err != nil {
			return err
		}
		if err := c.save(tx, v); err != nil {
			return err
		}
		if c.settle != nil {
			more, err := c.settle(tx, &before, v)
			if err != nil {
				return err
			}
			extra = append(extra, more...)
		}
		afterView := view
		if c.after != nil {
			afterView = c.after
		}
		if err := db.audit(ctx, tx, c.action, c.entity, c.id, beforeView, afterView(v)); err != nil {
			return err
		}
		for _, e := range extra {
			if err := db.audit(ctx, tx, e.action, e.entity, e.id, e.before, e.after); err != nil {
				return err
			}
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
