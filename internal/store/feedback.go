package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// FeedbackService holds the feedback aggregate's methods over db.
type FeedbackService struct{ db *DB }

// NewFeedbackService returns the feedback service over db.
func NewFeedbackService(db *DB) *FeedbackService { return &FeedbackService{db: db} }

type feedbackRow struct {
	ID         string `gorm:"primaryKey"`
	SourceKind string
	SourceID   string
	TargetID   string
	Useful     bool
	OrgID      string
	UserID     string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
}

func (feedbackRow) TableName() string { return "match_feedback" }

func (r *feedbackRow) feedback() *market.MatchFeedback {
	return &market.MatchFeedback{ID: r.ID, SourceKind: market.ItemKind(r.SourceKind), SourceID: r.SourceID,
		TargetID: r.TargetID, Useful: r.Useful, OrgID: r.OrgID, UserID: r.UserID, CreatedAt: r.CreatedAt.UTC()}
}

var _ market.FeedbackService = (*FeedbackService)(nil)

// RecordMatchFeedback records the caller's org's judgement of target as a
// match for the source item, replacing the org's earlier feedback on the
// pair; the row and its audit event commit together. Both items must be
// published, the target of the other kind. Refusals write nothing.
//
// Two first feedbacks of one org on one pair may race: the unique index
// on (source, target, org) lets one insert, and the other, refused by it,
// runs again and replaces it.
func (s *FeedbackService) RecordMatchFeedback(ctx context.Context, kind market.ItemKind, sourceID, targetID string, useful bool) (_ *market.MatchFeedback, err error) {
	defer wrap(&err, "store.RecordMatchFeedback(%s %q, %q)", kind, sourceID, targetID)
	a := market.ActorFrom(ctx)
	if kind != market.KindDemand && kind != market.KindAchievement {
		return nil, market.Invalid("kind", "must be demand or achievement")
	}
	for attempt := 1; ; attempt++ {
		fb, err := s.recordFeedback(ctx, a, kind, sourceID, targetID, useful)
		if attempt < 3 && duplicateOn(err, "match_feedback_pair", "match_feedback.source_kind") {
			continue
		}
		return fb, err
	}
}

func (s *FeedbackService) recordFeedback(ctx context.Context, a *market.Actor, kind market.ItemKind, sourceID, targetID string, useful bool) (*market.MatchFeedback, error) {
	var out *market.MatchFeedback
	err := s.db.tx(ctx, func(tx *gorm.DB) error {
		src, err := matchItem(tx, a, kind, sourceID, "id")
		if err != nil {
			return err
		}
		if err := market.CanGiveMatchFeedback(a, src); err != nil {
			return err
		}
		if src.Status != market.StatusPublished {
			return market.Conflict("only published items are matched; %s %s is %s", kind, sourceID, src.Status)
		}
		other := kind.Other()
		field := string(other) + "_id"
		tgt, err := matchItem(tx, a, other, targetID, field)
		if err != nil {
			return err
		}
		switch {
		case tgt.Status != market.StatusPublished:
			return market.Conflict("%s %s is %s; only published items are matched", other, targetID, tgt.Status).
				On(field, "is not published")
		case tgt.OrgID == src.OrgID:
			// Matching never pairs an org's own items.
			return market.Invalid(field, "belongs to the same org as the %s; an org's own items are never matched", kind)
		}
		var old feedbackRow
		err = tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&old,
			"source_kind = ? AND source_id = ? AND target_id = ? AND org_id = ?", string(kind), sourceID, targetID, a.OrgID).Error
		if err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		row := feedbackRow{ID: ulid.Make().String(), SourceKind: string(kind), SourceID: sourceID, TargetID: targetID,
			Useful: useful, OrgID: a.OrgID, UserID: a.UserID, CreatedAt: s.db.now()}
		if errors.Is(err, errNotFound) {
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			out = row.feedback()
			return s.db.audit(ctx, tx, "create", "match_feedback", row.ID, nil, out)
		}
		// The org's feedback on the pair keeps its id, so its audit events
		// read as one history; it now says what was said last.
		row.ID = old.ID
		if err := tx.Select("*").Save(&row).Error; err != nil {
			return err
		}
		out = row.feedback()
		return s.db.audit(ctx, tx, "update", "match_feedback", row.ID, old.feedback(), out)
	})
	return out, err
}

// matchItem reads an item of a feedback's pair. An unknown id, an item of
// the other kind and one the caller may not see are all not found, naming
// the path parameter at fault.
func matchItem(tx *gorm.DB, a *market.Actor, kind market.ItemKind, id, field string) (*market.Item, error) {
	var row itemRow
	err := tx.Session(&gorm.Session{NewDB: true}).Select("id, kind, org_id, status").
		First(&row, "id = ? AND kind = ?", id, string(kind)).Error
	if err != nil && !errors.Is(err, errNotFound) {
		return nil, err
	}
	if err == nil {
		if it := row.item(); market.CanSeeItem(a, it) {
			return it, nil
		}
	}
	return nil, &market.Error{Code: market.ENOTFOUND, Message: string(kind) + " " + id + " not found",
		Fields: []market.FieldError{{Field: field, Message: "no " + string(kind) + " " + id}}}
}

// signalRow is one item of the other kind with its summed signals.
type signalRow struct {
	OtherID   string
	Useful    int64
	NotUseful int64
	Intents   int64
	Deals     int64
}

// MatchSignals returns the signals of every published item of the other
// kind that has any for the pair it forms with the source item, in two
// queries: the source's owner, then one UNION over feedback (from either
// side), accepted intents and signed deals.
//
// For a demand D of org O and an achievement A of org P, the pair (D, A)
// has an accepted intent when O's intent on A or P's intent on D was
// accepted, and a signed deal when a deal not pending nor cancelled names
// D and A, or names A with O as the buyer.
func (s *FeedbackService) MatchSignals(ctx context.Context, kind market.ItemKind, sourceID string) (_ map[string]market.PairSignal, err error) {
	defer wrap(&err, "store.MatchSignals(%s %q)", kind, sourceID)
	if kind != market.KindDemand && kind != market.KindAchievement {
		return nil, market.Invalid("kind", "must be demand or achievement")
	}
	g := s.db.gorm.WithContext(ctx)
	var src itemRow
	err = g.Select("id, org_id").First(&src, "id = ? AND kind = ?", sourceID, string(kind)).Error
	if err := translate(err, func() error { return itemNotFound(kind, sourceID) }); err != nil {
		return nil, err
	}
	other := kind.Other()
	var q string
	var args []any
	fb := `SELECT %s AS other_id, SUM(CASE WHEN useful THEN 1 ELSE 0 END) AS useful,
		SUM(CASE WHEN useful THEN 0 ELSE 1 END) AS not_useful, 0 AS intents, 0 AS deals
		FROM match_feedback WHERE source_kind = ? AND %s = ? GROUP BY %s`
	feedback := fmt.Sprintf(fb, "target_id", "source_id", "target_id") + " UNION ALL " + fmt.Sprintf(fb, "source_id", "target_id", "source_id")
	signed := market.TransactionSignalStatuses
	if kind == market.KindDemand {
		// D's pairs: the achievements (1) O's accepted intents name, (2)
		// of the orgs whose intents on D were accepted, (3) of deals
		// naming D, (4) of deals O bought.
		q = feedback + ` UNION ALL
		SELECT item_id, 0, 0, 1, 0 FROM intents
			WHERE status = ? AND item_kind = ? AND from_org_id = ?
		UNION ALL
		SELECT a.id, 0, 0, 1, 0 FROM intents i JOIN items a ON a.org_id = i.from_org_id AND a.kind = ?
			WHERE i.status = ? AND i.item_kind = ? AND i.item_id = ?
		UNION ALL
		SELECT achievement_id, 0, 0, 0, 1 FROM transactions
			WHERE demand_id = ? AND achievement_id <> '' AND status IN ?
		UNION ALL
		SELECT achievement_id, 0, 0, 0, 1 FROM transactions
			WHERE buyer_org_id = ? AND achievement_id <> '' AND status IN ?`
		args = []any{string(kind), sourceID, string(other), sourceID,
			market.IntentAccepted, string(other), src.OrgID,
			string(other), market.IntentAccepted, string(kind), sourceID,
			sourceID, signed,
			src.OrgID, signed}
	} else {
		// A's pairs: the demands (1) of the orgs whose intents on A were
		// accepted, (2) P's accepted intents name, (3) of deals naming A
		// and a demand, (4) of the buyers of deals naming A.
		q = feedback + ` UNION ALL
		SELECT d.id, 0, 0, 1, 0 FROM intents i JOIN items d ON d.org_id = i.from_org_id AND d.kind = ?
			WHERE i.status = ? AND i.item_kind = ? AND i.item_id = ?
		UNION ALL
		SELECT item_id, 0, 0, 1, 0 FROM intents
			WHERE status = ? AND item_kind = ? AND from_org_id = ?
		UNION ALL
		SELECT demand_id, 0, 0, 0, 1 FROM transactions
			WHERE achievement_id = ? AND demand_id <> '' AND status IN ?
		UNION ALL
		SELECT d.id, 0, 0, 0, 1 FROM transactions t JOIN items d ON d.org_id = t.buyer_org_id AND d.kind = ?
			WHERE t.achievement_id = ? AND t.status IN ?`
		args = []any{string(kind), sourceID, string(other), sourceID,
			string(other), market.IntentAccepted, string(kind), sourceID,
			market.IntentAccepted, string(other), src.OrgID,
			sourceID, signed,
			string(other), sourceID, signed}
	}
	// Only published items of the other kind are candidates for a match.
	q = `SELECT s.other_id, SUM(s.useful) AS useful, SUM(s.not_useful) AS not_useful,
		SUM(s.intents) AS intents, SUM(s.deals) AS deals
		FROM (` + q + `) s JOIN items o ON o.id = s.other_id
		WHERE o.kind = ? AND o.status = ? GROUP BY s.other_id`
	args = append(args, string(other), market.StatusPublished)
	var rows []signalRow
	if err := g.Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]market.PairSignal, len(rows))
	for _, r := range rows {
		out[r.OtherID] = market.PairSignal{Useful: int(r.Useful), NotUseful: int(r.NotUseful),
			AcceptedIntent: r.Intents > 0, SignedDeal: r.Deals > 0}
	}
	return out, nil
}
