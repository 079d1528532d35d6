package store

import (
	"context"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type serviceRow struct {
	ID             string `gorm:"primaryKey"`
	OrgID          string
	Name           string
	Kind           string
	Description    string
	PriceFen       int64
	Unit           string
	TurnaroundDays int
	Status         string
	CreatedAt      time.Time
	UpdatedAt      time.Time `gorm:"autoUpdateTime:false"`
}

func (serviceRow) TableName() string { return "services" }

func (r *serviceRow) service() *market.Service {
	s := market.Service(*r)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return &s
}

func findService(q *gorm.DB, id string) (*market.Service, error) {
	var row serviceRow
	if err := translate(q.First(&row, "id = ?", id).Error, func() error {
		return market.Errorf(market.ENOTFOUND, "service %s not found", id)
	}); err != nil {
		return nil, err
	}
	return row.service(), nil
}

// ServiceService implements market.ServiceService on the database.
type ServiceService struct{ db *DB }

var _ market.ServiceService = (*ServiceService)(nil)

// NewServiceService returns the service catalogue over db.
func NewServiceService(db *DB) *ServiceService { return &ServiceService{db: db} }

// CreateService offers a service of the caller's university or institute.
func (s *ServiceService) CreateService(ctx context.Context, n market.NewService) (_ *market.Service, err error) {
	defer wrap(&err, "store.CreateService")
	a := market.ActorFrom(ctx)
	if err := market.CanCreateService(a); err != nil {
		return nil, err
	}
	svc, err := n.Service(a.OrgID, s.db.now())
	if err != nil {
		return nil, err
	}
	svc.ID = ulid.Make().String()
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		row := serviceRow(*svc)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "service", svc.ID, nil, svc)
	})
	if err != nil {
		return nil, err
	}
	return svc, nil
}

// FindService returns a service; services are public.
func (s *ServiceService) FindService(ctx context.Context, id string) (_ *market.Service, err error) {
	defer wrap(&err, "store.FindService(%q)", id)
	return findService(s.db.gorm.WithContext(ctx), id)
}

// ListServices lists services newest first.
func (s *ServiceService) ListServices(ctx context.Context, f market.ServiceFilter) (_ market.Page[market.Service], err error) {
	defer wrap(&err, "store.ListServices")
	var out market.Page[market.Service]
	if err := f.Validate(); err != nil {
		return out, err
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&serviceRow{}), "kind", f.Kind, "org_id", f.OrgID)
	return listPage(q, f.Page, true, func(r *serviceRow) string { return r.ID }, (*serviceRow).service)
}
