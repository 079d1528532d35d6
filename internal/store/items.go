package store

import (
	"context"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// ItemService holds the item aggregate's methods over db.
type ItemService struct{ db *DB }

// NewItemService returns the item service over db.
func NewItemService(db *DB) *ItemService { return &ItemService{db: db} }

type itemRow struct {
	ID              string `gorm:"primaryKey"`
	Kind            string
	OrgID           string
	Status          string
	Title           string
	Body            string
	Industry        string
	Keywords        []string `gorm:"serializer:json"`
	Modes           []string `gorm:"serializer:json"`
	RegionCode      string
	ContactName     string
	ContactPhone    string
	BudgetMinFen    int64
	BudgetMaxFen    int64
	Deadline        string
	Maturity        string
	AskingPriceFen  int64
	PatentNumbers   []string `gorm:"serializer:json"`
	Inventors       []string `gorm:"serializer:json"`
	RejectionReason string
	SubmittedAt     *time.Time
	PublishedAt     *time.Time
	ClosedAt        *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (itemRow) TableName() string { return "items" }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (r *itemRow) item() *market.Item {
	it := &market.Item{
		ID: r.ID, Kind: market.ItemKind(r.Kind), OrgID: r.OrgID, Status: r.Status, Title: r.Title, Body: r.Body,
		Industry: r.Industry, Keywords: r.Keywords, Modes: r.Modes, RegionCode: r.RegionCode,
		BudgetMinFen: r.BudgetMinFen, BudgetMaxFen: r.BudgetMaxFen, Deadline: r.Deadline, Maturity: r.Maturity,
		AskingPriceFen: r.AskingPriceFen, PatentNumbers: r.PatentNumbers, Inventors: r.Inventors,
		RejectionReason: r.RejectionReason, SubmittedAt: utcPtr(r.SubmittedAt), PublishedAt: utcPtr(r.PublishedAt),
		ClosedAt: utcPtr(r.ClosedAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.ContactName != "" || r.ContactPhone != "" {
		it.Contact = &market.Contact{Name: r.ContactName, Phone: r.ContactPhone}
	}
	return it
}

func rowFromItem(it *market.Item) itemRow {
	r := itemRow{
		ID: it.ID, Kind: string(it.Kind), OrgID: it.OrgID, Status: it.Status, Title: it.Title, Body: it.Body,
		Industry: it.Industry, Keywords: nonNil(it.Keywords), Modes: nonNil(it.Modes), RegionCode: it.RegionCode,
		BudgetMinFen: it.BudgetMinFen, BudgetMaxFen: it.BudgetMaxFen, Deadline: it.Deadline, Maturity: it.Maturity,
		AskingPriceFen: it.AskingPriceFen, PatentNumbers: nonNil(it.PatentNumbers), Inventors: nonNil(it.Inventors),
		RejectionReason: it.RejectionReason, SubmittedAt: it.SubmittedAt, PublishedAt: it.PublishedAt,
		ClosedAt: it.ClosedAt, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
	}
	if it.Contact != nil {
		r.ContactName, r.ContactPhone = it.Contact.Name, it.Contact.Phone
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// forViewer hides what the viewer may not see.
func forViewer(a *market.Actor, it *market.Item) *market.Item {
	if !market.CanSeeContact(a, it) {
		it.Contact = nil
	}
	return it
}

var _ market.ItemService = (*ItemService)(nil)

// CreateItem creates a draft owned by the caller's org.
func (s *ItemService) CreateItem(ctx context.Context, kind market.ItemKind, in market.ItemPatch) (_ *market.Item, err error) {
	defer wrap(&err, "store.CreateItem(%s)", kind)
	a := market.ActorFrom(ctx)
	if err := market.CanCreateItem(a, kind); err != nil {
		return nil, err
	}
	now := s.db.now()
	it := &market.Item{ID: ulid.Make().String(), Kind: kind, OrgID: a.OrgID, Status: market.StatusDraft,
		CreatedAt: now, UpdatedAt: now}
	it.Apply(in)
	if err := it.Validate(now); err != nil {
		return nil, err
	}
	row := rowFromItem(it)
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", string(kind), it.ID, nil, it)
	})
	if err != nil {
		return nil, err
	}
	return s.withOrgName(ctx, it), nil
}

// lockItem reads an item for update inside tx.
func lockItem(tx *gorm.DB, kind market.ItemKind, id string) (*itemRow, error) {
	var row itemRow
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&row, "id = ? AND kind = ?", id, string(kind)).Error
	return &row, translate(err, func() error { return itemNotFound(kind, id) })
}

// changeItem runs one lifecycle action on an item through run: allowed
// is the action's permission rule, mutate adjusts the item after the
// transition (and validates it). A change that publishes, edits or
// unpublishes a published item fences the read cache before the commit
// and writes the outbox row that reindexes it.
func (s *ItemService) changeItem(ctx context.Context, kind market.ItemKind, id, action string,
	allowed func(*market.Actor, *market.Item) error, mutate func(it *market.Item, now time.Time) error) (*market.Item, error) {
	var release func()
	defer func() {
		if release != nil {
			release()
		}
	}()
	out, err := run(ctx, s.db, change[market.Item]{
		entity: string(kind), id: id, action: action,
		lock: func(tx *gorm.DB) (*market.Item, error) {
			row, err := lockItem(tx, kind, id)
			if err != nil {
				return nil, err
			}
			return row.item(), nil
		},
		visible:  market.CanSeeItem,
		notFound: func() error { return itemNotFound(kind, id) },
		allowed:  allowed,
		apply: func(_ *gorm.DB, it *market.Item, now time.Time) ([]auditEntry, error) {
			to, err := market.ItemTransition(it.Status, action)
			if err != nil {
				return nil, err
			}
			it.Status, it.UpdatedAt = to, now
			return nil, mutate(it, now)
		},
		save: func(tx *gorm.DB, it *market.Item) error {
			nr := rowFromItem(it)
			return tx.Select("*").Save(&nr).Error
		},
		settle: func(tx *gorm.DB, before, it *market.Item) ([]auditEntry, error) {
			if before.Status != market.StatusPublished && it.Status != market.StatusPublished {
				return nil, nil
			}
			// Fence the read cache before the commit; a retried
			// transaction fences again (the first fence is released).
			if s.db.fence != nil {
				if release != nil {
					release()
					release = nil
				}
				var err error
				if release, err = s.db.fence.FenceItem(ctx, string(kind), id); err != nil {
					return nil, market.Errorf(market.EUNAVAILABLE, "the read cache cannot be reached; nothing was changed, try again")
				}
			}
			return nil, s.db.enqueue(tx, it)
		},
	})
	if err != nil {
		return nil, err
	}
	return forViewer(market.ActorFrom(ctx), s.withOrgName(ctx, out)), nil
}

// UpdateItem edits a draft, rejected or published item; a published item
// stays published. An untouched deadline is not re-checked, so a demand
// whose deadline has passed can still be corrected.
func (s *ItemService) UpdateItem(ctx context.Context, kind market.ItemKind, id string, in market.ItemPatch) (_ *market.Item, err error) {
	defer wrap(&err, "store.UpdateItem(%s, %q)", kind, id)
	return s.changeItem(ctx, kind, id, market.ActionEdit, market.CanChangeItem, func(it *market.Item, now time.Time) error {
		prev := *it
		it.Apply(in)
		return it.ValidateEdit(&prev, now)
	})
}

// SubmitItem sends a draft or rejected item to review. Only verified orgs
// publish, so only they may submit.
func (s *ItemService) SubmitItem(ctx context.Context, kind market.ItemKind, id string) (_ *market.Item, err error) {
	defer wrap(&err, "store.SubmitItem(%s, %q)", kind, id)
	return s.changeItem(ctx, kind, id, market.ActionSubmit, market.CanSubmitItem, func(it *market.Item, now time.Time) error {
		it.SubmittedAt = &now
		return it.Validate(now)
	})
}

// ReviewItem approves (publishes) or rejects an item under review.
func (s *ItemService) ReviewItem(ctx context.Context, kind market.ItemKind, id string, r market.Review) (_ *market.Item, err error) {
	defer wrap(&err, "store.ReviewItem(%s, %q)", kind, id)
	if err := r.Validate(); err != nil {
		return nil, err
	}
	action := market.ActionApprove
	if r.Decision == "reject" {
		action = market.ActionReject
	}
	return s.changeItem(ctx, kind, id, action, func(a *market.Actor, _ *market.Item) error {
		return market.CanReviewItems(a)
	}, func(it *market.Item, now time.Time) error {
		if action == market.ActionApprove {
			it.PublishedAt, it.RejectionReason = &now, ""
		} else {
			it.RejectionReason = r.Reason
		}
		return nil
	})
}

// CloseItem closes an item; its owner or an operator may.
func (s *ItemService) CloseItem(ctx context.Context, kind market.ItemKind, id string) (_ *market.Item, err error) {
	defer wrap(&err, "store.CloseItem(%s, %q)", kind, id)
	return s.changeItem(ctx, kind, id, market.ActionClose, market.CanCloseItem, func(it *market.Item, now time.Time) error {
		it.ClosedAt = &now
		return nil
	})
}

func itemNotFound(kind market.ItemKind, id string) error {
	return market.Errorf(market.ENOTFOUND, "%s %s not found", kind, id)
}
