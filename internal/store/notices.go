package store

import (
	"context"
	"errors"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// NoticeService runs public notices (公示), their objections and the
// applications to take a listing, and ends their periods (EndDue, run by
// every instance) with the auction among several applicants.
type NoticeService struct {
	db       *DB
	now      func() time.Time
	minDays  int
	auctions *AuctionService
}

var _ market.NoticeService = (*NoticeService)(nil)

// NewNoticeService returns the notice service on db; auctions among a
// listing's applicants are created through auctions.
func NewNoticeService(db *DB, auctions *AuctionService, opt PriceOptions) *NoticeService {
	s := &NoticeService{db: db, now: opt.clock(db), minDays: opt.NoticeMinDays, auctions: auctions}
	if s.minDays <= 0 {
		s.minDays = market.DefaultNoticeMinDays
	}
	return s
}

type noticeRow struct {
	ID               string `gorm:"primaryKey"`
	AchievementID    string
	SellerOrgID      string
	Kind             string
	PriceFen         int64
	BuyerOrgID       string
	StartsOn         string
	EndsOn           string
	PeriodEnd        time.Time
	Note             string
	Status           string
	WinnerOrgID      string
	AuctionID        string
	OpenObjections   int
	ApplicationCount int
	CancelReason     string
	CompletedAt      *time.Time
	CancelledAt      *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time `gorm:"autoUpdateTime:false"`
}

func (noticeRow) TableName() string { return "notices" }

func (r *noticeRow) notice() *market.Notice {
	return &market.Notice{ID: r.ID, AchievementID: r.AchievementID, SellerOrgID: r.SellerOrgID, Kind: r.Kind,
		PriceFen: r.PriceFen, BuyerOrgID: r.BuyerOrgID, StartsOn: r.StartsOn, EndsOn: r.EndsOn, Note: r.Note,
		Status: r.Status, WinnerOrgID: r.WinnerOrgID, AuctionID: r.AuctionID, OpenObjections: r.OpenObjections,
		ApplicationCount: r.ApplicationCount, CancelReason: r.CancelReason, CompletedAt: utcPtr(r.CompletedAt),
		CancelledAt: utcPtr(r.CancelledAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func rowFromNotice(n *market.Notice) noticeRow {
	return noticeRow{ID: n.ID, AchievementID: n.AchievementID, SellerOrgID: n.SellerOrgID, Kind: n.Kind,
		PriceFen: n.PriceFen, BuyerOrgID: n.BuyerOrgID, StartsOn: n.StartsOn, EndsOn: n.EndsOn, PeriodEnd: n.PeriodEnd(),
		Note: n.Note, Status: n.Status, WinnerOrgID: n.WinnerOrgID, AuctionID: n.AuctionID,
		OpenObjections: n.OpenObjections, ApplicationCount: n.ApplicationCount, CancelReason: n.CancelReason,
		CompletedAt: n.CompletedAt, CancelledAt: n.CancelledAt, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
}

type objectionRow struct {
	ID              string `gorm:"primaryKey"`
	NoticeID        string
	OrgID           string
	Reason          string
	Status          string
	ResolutionNote  string
	ResolvedByOrgID string
	ResolvedAt      *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time `gorm:"autoUpdateTime:false"`
}

func (objectionRow) TableName() string { return "notice_objections" }

func (r *objectionRow) objection() *market.Objection {
	return &market.Objection{ID: r.ID, NoticeID: r.NoticeID, OrgID: r.OrgID, Reason: r.Reason, Status: r.Status,
		ResolutionNote: r.ResolutionNote, ResolvedByOrgID: r.ResolvedByOrgID, ResolvedAt: utcPtr(r.ResolvedAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func rowFromObjection(o *market.Objection) objectionRow {
	return objectionRow{ID: o.ID, NoticeID: o.NoticeID, OrgID: o.OrgID, Reason: o.Reason, Status: o.Status,
		ResolutionNote: o.ResolutionNote, ResolvedByOrgID: o.ResolvedByOrgID, ResolvedAt: o.ResolvedAt,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

type noticeApplicationRow struct {
	ID        string `gorm:"primaryKey"`
	NoticeID  string
	OrgID     string
	Message   string
	CreatedAt time.Time
}

func (noticeApplicationRow) TableName() string { return "notice_applications" }

func (r *noticeApplicationRow) application() *market.Application {
	return &market.Application{ID: r.ID, NoticeID: r.NoticeID, OrgID: r.OrgID, Message: r.Message, CreatedAt: r.CreatedAt.UTC()}
}

func noticeNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "notice %s not found", id)
}

func lockNotice(tx *gorm.DB, id string) (*noticeRow, error) {
	var row noticeRow
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&row, "id = ?", id).Error
	if err := translate(err, func() error { return noticeNotFound(id) }); err != nil {
		return nil, err
	}
	return &row, nil
}

// CreateNotice gives notice of a published achievement's price; its owner
// may.
func (s *NoticeService) CreateNotice(ctx context.Context, in market.NewNotice) (_ *market.Notice, err error) {
	defer wrap(&err, "store.CreateNotice(%q)", in.AchievementID)
	actor := market.ActorFrom(ctx)
	if actor == nil || actor.OrgID == "" {
		return nil, market.Errorf(market.EFORBIDDEN, "only the achievement's owner gives notice of its price")
	}
	now := s.now()
	n, err := in.Notice(now, s.minDays)
	if err != nil {
		return nil, err
	}
	n.ID = ulid.Make().String()
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		it, err := lockAchievementForPricing(tx, actor, n.AchievementID)
		if err != nil {
			return err
		}
		if err := market.CanCreateNotice(actor, it.OrgID); err != nil {
			return err
		}
		if it.Status != market.StatusPublished {
			return market.Errorf(market.ECONFLICT, "achievement %s is %s; only a published achievement is noticed", it.ID, it.Status)
		}
		if n.BuyerOrgID != "" {
			if err := checkBuyer(tx, n.BuyerOrgID, it.OrgID); err != nil {
				return err
			}
		}
		if err := checkNoLivePricing(tx, it.ID); err != nil {
			return err
		}
		n.SellerOrgID = it.OrgID
		row := rowFromNotice(n)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "notice", n.ID, nil, n)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// checkBuyer checks the agreed buyer: a verified trading org other than
// the seller.
func checkBuyer(tx *gorm.DB, buyerID, sellerID string) error {
	var o orgRow
	err := tx.Select("id, kind, verified").First(&o, "id = ?", buyerID).Error
	switch {
	case errors.Is(err, errNotFound):
		return market.Invalid("buyer_org_id", "no org %s", buyerID)
	case err != nil:
		return err
	case o.ID == sellerID:
		return market.Invalid("buyer_org_id", "is the seller itself")
	case o.Kind == market.OrgOperator || o.Kind == market.OrgGovernment:
		return market.Invalid("buyer_org_id", "a %s org does not buy technology", o.Kind)
	case !o.Verified:
		return market.Invalid("buyer_org_id", "org %s is not verified; only verified orgs trade", buyerID)
	}
	return nil
}

// FindNotice returns a notice; notices are public.
func (s *NoticeService) FindNotice(ctx context.Context, id string) (_ *market.Notice, err error) {
	defer wrap(&err, "store.FindNotice(%q)", id)
	var row noticeRow
	err = s.db.gorm.WithContext(ctx).First(&row, "id = ?", id).Error
	if err := translate(err, func() error { return noticeNotFound(id) }); err != nil {
		return nil, err
	}
	return row.notice(), nil
}

// ListNotices lists notices, newest first.
func (s *NoticeService) ListNotices(ctx context.Context, f market.NoticeFilter) (_ market.Page[market.Notice], err error) {
	defer wrap(&err, "store.ListNotices")
	var out market.Page[market.Notice]
	if err := f.Validate(); err != nil {
		return out, err
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&noticeRow{}), "status", f.Status, "kind", f.Kind, "achievement_id", f.AchievementID)
	rows, next, err := fetchPage(q, f.Page, true, func(r *noticeRow) string { return r.ID })
	if err != nil {
		return out, err
	}
	out.NextCursor = next
	out.Items = make([]market.Notice, len(rows))
	for i := range rows {
		out.Items[i] = *rows[i].notice()
	}
	return out, nil
}

// change runs one action on a notice through the store's change path
// (run): lock, apply fn, save, audit. Notices are public, and each
// action's market rule runs inside fn on the rules' clock (not the
// store's: tests move it to a period's end), so visibility and the
// generic permission step let every caller through to it.
func (s *NoticeService) change(ctx context.Context, id, action string, fn func(tx *gorm.DB, n *market.Notice, now time.Time) error) (*market.Notice, error) {
	return run(ctx, s.db, change[market.Notice]{
		entity: "notice", id: id, action: action,
		lock: func(tx *gorm.DB) (*market.Notice, error) {
			row, err := lockNotice(tx, id)
			if err != nil {
				return nil, err
			}
			return row.notice(), nil
		},
		visible:  func(*market.Actor, *market.Notice) bool { return true },
		notFound: func() error { return noticeNotFound(id) },
		allowed:  func(*market.Actor, *market.Notice) error { return nil },
		apply: func(tx *gorm.DB, n *market.Notice, _ time.Time) ([]auditEntry, error) {
			return nil, fn(tx, n, s.now())
		},
		save: func(tx *gorm.DB, n *market.Notice) error {
			nr := rowFromNotice(n)
			return tx.Select("*").Save(&nr).Error
		},
	})
}

// CancelNotice withdraws an active notice; its seller may.
func (s *NoticeService) CancelNotice(ctx context.Context, id, reason string) (_ *market.Notice, err error) {
	defer wrap(&err, "store.CancelNotice(%q)", id)
	actor := market.ActorFrom(ctx)
	return s.change(ctx, id, "cancel", func(_ *gorm.DB, n *market.Notice, now time.Time) error {
		return market.CancelNotice(actor, n, reason, now)
	})
}

// Object records a verified org's objection to an active notice.
func (s *NoticeService) Object(ctx context.Context, noticeID string, in market.NewObjection) (_ *market.Objection, err error) {
	defer wrap(&err, "store.Object(%q)", noticeID)
	actor := market.ActorFrom(ctx)
	var o *market.Objection
	_, err = s.change(ctx, noticeID, "object", func(tx *gorm.DB, n *market.Notice, now time.Time) error {
		if err := market.CheckObjection(actor, n, &in); err != nil {
			return err
		}
		o = &market.Objection{ID: ulid.Make().String(), NoticeID: n.ID, OrgID: actor.OrgID, Reason: in.Reason,
			Status: market.ObjectionOpen, CreatedAt: now, UpdatedAt: now}
		or := rowFromObjection(o)
		if err := tx.Create(&or).Error; err != nil {
			return err
		}
		n.OpenObjections++
		n.UpdatedAt = now
		return s.db.audit(ctx, tx, "create", "objection", o.ID, nil, o)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// ListObjections lists a notice's objections, oldest first: all of them
// to the seller and operators, its own to an objecting org.
func (s *NoticeService) ListObjections(ctx context.Context, noticeID string, pr market.PageRequest) (_ market.Page[market.Objection], err error) {
	defer wrap(&err, "store.ListObjections(%q)", noticeID)
	var out market.Page[market.Objection]
	n, err := s.FindNotice(ctx, noticeID)
	if err != nil {
		return out, err
	}
	actor := market.ActorFrom(ctx)
	q := s.db.gorm.WithContext(ctx).Model(&objectionRow{}).Where("notice_id = ?", noticeID)
	if !market.CanManageNotice(actor, n) {
		if actor == nil || actor.OrgID == "" {
			return out, market.Errorf(market.EFORBIDDEN, "sign in as the seller, an operator or an objecting org")
		}
		q = q.Where("org_id = ?", actor.OrgID)
	}
	rows, next, err := fetchPage(q, pr, false, func(r *objectionRow) string { return r.ID })
	if err != nil {
		return out, err
	}
	out.NextCursor = next
	out.Items = make([]market.Objection, len(rows))
	for i := range rows {
		out.Items[i] = *rows[i].objection()
	}
	return out, nil
}

// ResolveObjection records an operator's decision on an objection; an
// upheld one cancels the notice.
func (s *NoticeService) ResolveObjection(ctx context.Context, noticeID, objectionID string, r market.Resolution) (_ *market.Objection, err error) {
	defer wrap(&err, "store.ResolveObjection(%q, %q)", noticeID, objectionID)
	actor := market.ActorFrom(ctx)
	var o *market.Objection
	_, err = s.change(ctx, noticeID, "resolve_objection", func(tx *gorm.DB, n *market.Notice, now time.Time) error {
		var or objectionRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&or, "id = ? AND notice_id = ?", objectionID, noticeID).Error
		if errors.Is(err, errNotFound) {
			return market.Errorf(market.ENOTFOUND, "objection %s not found on notice %s", objectionID, noticeID)
		}
		if err != nil {
			return err
		}
		o = or.objection()
		before := *o
		cancel, err := market.ResolveObjection(actor, n, o, r, now)
		if err != nil {
			return err
		}
		nr := rowFromObjection(o)
		if err := tx.Select("*").Save(&nr).Error; err != nil {
			return err
		}
		n.OpenObjections--
		n.UpdatedAt = now
		if cancel {
			n.Status, n.CancelledAt, n.CancelReason = market.NoticeCancelled, &now, "objection "+o.ID+" upheld"
		}
		return s.db.audit(ctx, tx, "resolve", "objection", o.ID, &before, o)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Apply records a verified enterprise's application to take a listing;
// one per org.
func (s *NoticeService) Apply(ctx context.Context, noticeID string, in market.NewApplication) (_ *market.Application, err error) {
	defer wrap(&err, "store.Apply(%q)", noticeID)
	actor := market.ActorFrom(ctx)
	var ap *market.Application
	_, err = s.change(ctx, noticeID, "apply", func(tx *gorm.DB, n *market.Notice, now time.Time) error {
		if err := market.CheckApplication(actor, n, &in, now); err != nil {
			return err
		}
		var k int64
		if err := tx.Model(&noticeApplicationRow{}).Where("notice_id = ? AND org_id = ?", noticeID, actor.OrgID).Count(&k).Error; err != nil {
			return err
		}
		if k > 0 {
			return market.Errorf(market.ECONFLICT, "your org has already applied to take notice %s", noticeID)
		}
		ap = &market.Application{ID: ulid.Make().String(), NoticeID: noticeID, OrgID: actor.OrgID, Message: in.Message, CreatedAt: now}
		ar := noticeApplicationRow{ID: ap.ID, NoticeID: ap.NoticeID, OrgID: ap.OrgID, Message: ap.Message, CreatedAt: now}
		if err := tx.Create(&ar).Error; err != nil {
			return err
		}
		n.ApplicationCount++
		n.UpdatedAt = now
		return s.db.audit(ctx, tx, "create", "notice_application", ap.ID, nil, ap)
	})
	if err != nil {
		return nil, err
	}
	return ap, nil
}

// ListApplications lists a listing's applications, oldest first: all of
// them to the seller and operators, its own to an applicant.
func (s *NoticeService) ListApplications(ctx context.Context, noticeID string, pr market.PageRequest) (_ market.Page[market.Application], err error) {
	defer wrap(&err, "store.ListApplications(%q)", noticeID)
	var out market.Page[market.Application]
	n, err := s.FindNotice(ctx, noticeID)
	if err != nil {
		return out, err
	}
	actor := market.ActorFrom(ctx)
	q := s.db.gorm.WithContext(ctx).Model(&noticeApplicationRow{}).Where("notice_id = ?", noticeID)
	if !market.CanManageNotice(actor, n) {
		if actor == nil || actor.OrgID == "" {
			return out, market.Errorf(market.EFORBIDDEN, "sign in as the seller, an operator or an applicant")
		}
		q = q.Where("org_id = ?", actor.OrgID)
	}
	rows, next, err := fetchPage(q, pr, false, func(r *noticeApplicationRow) string { return r.ID })
	if err != nil {
		return out, err
	}
	out.NextCursor = next
	out.Items = make([]market.Application, len(rows))
	for i := range rows {
		out.Items[i] = *rows[i].application()
	}
	return out, nil
}

// EndDue ends the period of every active notice whose period is over, each
// in a transaction of its own under the notice's row lock (so of several
// instances exactly one ends it): an open objection keeps it active; an
// agreed price completes for its buyer; a listing completes for its one
// applicant, with no winner for none, or starts an auction among two or
// more, who are registered for it at once.
func (s *NoticeService) EndDue(ctx context.Context) (ended int, err error) {
	defer wrap(&err, "store.EndDue")
	now := s.now()
	var due []string
	if err := s.db.gorm.WithContext(ctx).Model(&noticeRow{}).
		Where("status = ? AND period_end <= ? AND open_objections = 0", market.NoticeActive, now).
		Order("period_end").Limit(100).Pluck("id", &due).Error; err != nil {
		return 0, err
	}
	for _, id := range due {
		auctionID := ""
		_, err := s.change(ctx, id, "end_period", func(tx *gorm.DB, n *market.Notice, now time.Time) error {
			if n.Status != market.NoticeActive || now.Before(n.PeriodEnd()) {
				return errDone
			}
			var applicants []string
			if err := tx.Model(&noticeApplicationRow{}).Where("notice_id = ?", id).Order("id").Pluck("org_id", &applicants).Error; err != nil {
				return err
			}
			out := market.EndPeriod(n, n.OpenObjections, applicants)
			if out.Wait {
				return errDone
			}
			n.Status, n.WinnerOrgID, n.CompletedAt, n.UpdatedAt = market.NoticeCompleted, out.WinnerOrgID, &now, now
			if !out.Auction {
				return nil
			}
			a := market.NoticeAuction(n, now)
			a.ID = ulid.Make().String()
			if err := s.auctions.insert(ctx, tx, a); err != nil {
				return err
			}
			row := rowFromAuction(a)
			for _, org := range applicants {
				if _, err := s.auctions.addRegistration(ctx, tx, &row, a, org, now); err != nil {
					return err
				}
			}
			n.AuctionID, auctionID = a.ID, a.ID
			return nil
		})
		if errors.Is(err, errDone) {
			continue
		}
		if err != nil {
			return ended, err
		}
		ended++
		if auctionID != "" {
			s.auctions.notify(auctionID)
		}
	}
	return ended, nil
}
