package store

import (
	"context"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// IntentService holds the intent aggregate's methods over db.
type IntentService struct{ db *DB }

// NewIntentService returns the intent service over db.
func NewIntentService(db *DB) *IntentService { return &IntentService{db: db} }

type intentRow struct {
	ID         string `gorm:"primaryKey"`
	FromOrgID  string
	ToOrgID    string
	ItemKind   string
	ItemID     string
	Message    string
	Status     string
	PendingKey *string
	ReasonCode string
	Reason     string
	DecidedAt  *time.Time
	CreatedAt  time.Time
	// Save stores UpdatedAt as set; GORM must not stamp a later instant
	// than the answer and the audit event show.
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (intentRow) TableName() string { return "intents" }

func (r *intentRow) intent() *market.Intent {
	in := &market.Intent{
		ID: r.ID, FromOrgID: r.FromOrgID, ToOrgID: r.ToOrgID, Message: r.Message, Status: r.Status,
		ReasonCode: r.ReasonCode, Reason: r.Reason, DecidedAt: utcPtr(r.DecidedAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.ItemKind == string(market.KindDemand) {
		in.DemandID = r.ItemID
	} else {
		in.AchievementID = r.ItemID
	}
	return in
}

func rowFromIntent(in *market.Intent) intentRow {
	r := intentRow{
		ID: in.ID, FromOrgID: in.FromOrgID, ToOrgID: in.ToOrgID, ItemKind: string(in.ItemKind()), ItemID: in.ItemID(),
		Message: in.Message, Status: in.Status, ReasonCode: in.ReasonCode, Reason: in.Reason, DecidedAt: in.DecidedAt,
		CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
	}
	// Only a pending intent holds the (org, item) slot.
	if in.Status == market.IntentPending {
		k := in.FromOrgID + ":" + in.ItemID()
		r.PendingKey = &k
	}
	return r
}

func intentNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "intent %s not found", id)
}

var _ market.IntentService = (*IntentService)(nil)

// CreateIntent records the caller's org's interest in another org's
// published item.
func (s *IntentService) CreateIntent(ctx context.Context, n market.NewIntent) (_ *market.Intent, err error) {
	defer wrap(&err, "store.CreateIntent")
	a := market.ActorFrom(ctx)
	if err := market.CanCreateIntent(a); err != nil {
		return nil, err
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	kind, itemID, field := market.KindAchievement, n.AchievementID, "achievement_id"
	if n.DemandID != "" {
		kind, itemID, field = market.KindDemand, n.DemandID, "demand_id"
	}
	now := s.db.now()
	in := &market.Intent{ID: ulid.Make().String(), FromOrgID: a.OrgID, Message: n.Message,
		Status: market.IntentPending, CreatedAt: now, UpdatedAt: now}
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		var item itemRow
		err := tx.First(&item, "id = ? AND kind = ?", itemID, string(kind)).Error
		if err := translate(err, func() error { return itemNotFound(kind, itemID) }); err != nil {
			return err
		}
		it := item.item()
		switch {
		case !market.CanSeeItem(a, it):
			return itemNotFound(kind, itemID)
		case it.OrgID == a.OrgID:
			return market.Invalid(field, "is your own org's %s; intents go to other orgs", kind)
		case it.Status != market.StatusPublished:
			return market.Conflict("%s %s is %s; intents go to published items", kind, itemID, it.Status)
		}
		in.ToOrgID, in.ItemTitle = it.OrgID, it.Title
		if kind == market.KindDemand {
			in.DemandID = itemID
		} else {
			in.AchievementID = itemID
		}
		row := rowFromIntent(in)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "intent", in.ID, nil, in)
	})
	err = translate(err, nil, uniqueKey{"intents_pending_key", "intents.pending_key", func() error {
		return s.pendingConflict(ctx, a.OrgID, itemID, kind)
	}})
	if err != nil {
		return nil, err
	}
	return in, nil
}

// pendingConflict names the pending intent that holds the (org, item) slot.
func (s *IntentService) pendingConflict(ctx context.Context, orgID, itemID string, kind market.ItemKind) error {
	var row intentRow
	msg := "your org already has a pending intent on this " + string(kind)
	if err := s.db.gorm.WithContext(ctx).First(&row, "pending_key = ?", orgID+":"+itemID).Error; err == nil {
		msg += ": intent " + row.ID
	}
	return market.Conflict("%s", msg).On(string(kind)+"_id", "already has a pending intent from your org")
}

// FindIntent returns an intent to one of its two orgs.
func (s *IntentService) FindIntent(ctx context.Context, id string) (_ *market.Intent, err error) {
	defer wrap(&err, "store.FindIntent(%q)", id)
	var row intentRow
	err = s.db.gorm.WithContext(ctx).First(&row, "id = ?", id).Error
	if err := translate(err, func() error { return intentNotFound(id) }); err != nil {
		return nil, err
	}
	in := row.intent()
	if !market.CanSeeIntent(market.ActorFrom(ctx), in) {
		return nil, intentNotFound(id)
	}
	return s.withItemTitles(ctx, in), nil
}

// ListIntents lists the intents the caller's org sent, received, or both,
// newest first.
func (s *IntentService) ListIntents(ctx context.Context, f market.IntentFilter) (_ market.Page[market.Intent], err error) {
	defer wrap(&err, "store.ListIntents")
	var out market.Page[market.Intent]
	a := market.ActorFrom(ctx)
	if a == nil || a.OrgID == "" {
		return out, market.Errorf(market.EFORBIDDEN, "only orgs have intents")
	}
	q := s.db.gorm.WithContext(ctx).Model(&intentRow{})
	switch f.Role {
	case market.IntentRoleSent:
		q = q.Where("from_org_id = ?", a.OrgID)
	case market.IntentRoleReceived:
		q = q.Where("to_org_id = ?", a.OrgID)
	default:
		q = q.Where("(from_org_id = ? OR to_org_id = ?)", a.OrgID, a.OrgID)
	}
	rows, next, err := fetchPage(whereEq(q, "status", f.Status), f.Page, true, func(r *intentRow) string { return r.ID })
	if err != nil {
		return out, err
	}
	out.NextCursor = next
	list := make([]*market.Intent, len(rows))
	for i := range rows {
		list[i] = rows[i].intent()
	}
	s.withItemTitles(ctx, list...)
	out.Items = make([]market.Intent, len(list))
	for i, in := range list {
		out.Items[i] = *in
	}
	return out, nil
}

// withItemTitles fills the titles of the intents' items in one query; a
// failure leaves them empty rather than failing the read.
func (s *IntentService) withItemTitles(ctx context.Context, list ...*market.Intent) *market.Intent {
	if len(list) == 0 {
		return nil
	}
	ids := make([]string, len(list))
	for i, in := range list {
		ids[i] = in.ItemID()
	}
	var rows []struct{ ID, Title string }
	_ = s.db.gorm.WithContext(ctx).Model(&itemRow{}).Select("id, title").Where("id IN ?", ids).Find(&rows).Error
	titles := make(map[string]string, len(rows))
	for _, r := range rows {
		titles[r.ID] = r.Title
	}
	for _, in := range list {
		in.ItemTitle = titles[in.ItemID()]
	}
	return list[0]
}

// AcceptIntent accepts a pending intent; the item's owner may.
func (s *IntentService) AcceptIntent(ctx context.Context, id string) (_ *market.Intent, err error) {
	defer wrap(&err, "store.AcceptIntent(%q)", id)
	return s.decideIntent(ctx, id, market.ActionAccept, func(*market.Intent) {})
}

// DeclineIntent declines a pending intent with a reason.
func (s *IntentService) DeclineIntent(ctx context.Context, id string, d market.Decline) (_ *market.Intent, err error) {
	defer wrap(&err, "store.DeclineIntent(%q)", id)
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return s.decideIntent(ctx, id, market.ActionDecline, func(in *market.Intent) {
		in.ReasonCode, in.Reason = d.ReasonCode, d.Reason
	})
}

// decideIntent locks the intent, checks visibility, permission and the
// transition, applies it and audits, in one transaction.
func (s *IntentService) decideIntent(ctx context.Context, id, action string, mutate func(*market.Intent)) (*market.Intent, error) {
	a := market.ActorFrom(ctx)
	var out *market.Intent
	err := s.db.tx(ctx, func(tx *gorm.DB) error {
		var row intentRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&row, "id = ?", id).Error
		if err := translate(err, func() error { return intentNotFound(id) }); err != nil {
			return err
		}
		in := row.intent()
		if !market.CanSeeIntent(a, in) {
			return intentNotFound(id)
		}
		if err := market.CanDecideIntent(a, in); err != nil {
			return err
		}
		to, err := market.IntentTransition(in.Status, action)
		if err != nil {
			return err
		}
		before := *in
		now := s.db.now()
		in.Status, in.DecidedAt, in.UpdatedAt = to, &now, now
		mutate(in)
		nr := rowFromIntent(in)
		if err := tx.Select("*").Save(&nr).Error; err != nil {
			return err
		}
		out = in
		return s.db.audit(ctx, tx, action, "intent", id, &before, in)
	})
	if err != nil {
		return nil, err
	}
	return s.withItemTitles(ctx, out), nil
}
