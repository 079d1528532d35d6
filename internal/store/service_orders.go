package store

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/files"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type serviceOrderRow struct {
	ID                string `gorm:"primaryKey"`
	ServiceID         string
	ProviderOrgID     string
	ClientOrgID       string
	Quantity          int64
	PriceFen          int64
	FeeFen            int64
	Note              string
	Status            string
	DeclineReason     string
	ReportFilename    string
	ReportSize        int64
	ReportContentType string
	ReportSHA256      string `gorm:"column:report_sha256"`
	CreatedByUserID   string
	AcceptedAt        *time.Time
	DeliveredAt       *time.Time
	CompletedAt       *time.Time
	CancelledAt       *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time `gorm:"autoUpdateTime:false"`
}

func (serviceOrderRow) TableName() string { return "service_orders" }

func (r *serviceOrderRow) order() *market.ServiceOrder {
	o := &market.ServiceOrder{ID: r.ID, ServiceID: r.ServiceID, ProviderOrgID: r.ProviderOrgID, ClientOrgID: r.ClientOrgID,
		Quantity: r.Quantity, PriceFen: r.PriceFen, FeeFen: r.FeeFen, Note: r.Note, Status: r.Status,
		DeclineReason: r.DeclineReason, AcceptedAt: utcPtr(r.AcceptedAt), DeliveredAt: utcPtr(r.DeliveredAt),
		CompletedAt: utcPtr(r.CompletedAt), CancelledAt: utcPtr(r.CancelledAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.ReportSHA256 != "" {
		o.Report = &market.Report{Filename: r.ReportFilename, Size: r.ReportSize, ContentType: r.ReportContentType, SHA256: r.ReportSHA256}
	}
	return o
}

func rowFromOrder(o *market.ServiceOrder, userID string) serviceOrderRow {
	r := serviceOrderRow{ID: o.ID, ServiceID: o.ServiceID, ProviderOrgID: o.ProviderOrgID, ClientOrgID: o.ClientOrgID,
		Quantity: o.Quantity, PriceFen: o.PriceFen, FeeFen: o.FeeFen, Note: o.Note, Status: o.Status,
		DeclineReason: o.DeclineReason, CreatedByUserID: userID, AcceptedAt: o.AcceptedAt, DeliveredAt: o.DeliveredAt,
		CompletedAt: o.CompletedAt, CancelledAt: o.CancelledAt, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if o.Report != nil {
		r.ReportFilename, r.ReportSize, r.ReportContentType, r.ReportSHA256 = o.Report.Filename, o.Report.Size, o.Report.ContentType, o.Report.SHA256
	}
	return r
}

func orderNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "service order %s not found", id)
}

// readOrder reads an order whoever asks; lock takes its row lock.
func readOrder(q *gorm.DB, id string, lock bool) (*market.ServiceOrder, error) {
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row serviceOrderRow
	if err := translate(q.First(&row, "id = ?", id).Error, func() error { return orderNotFound(id) }); err != nil {
		return nil, err
	}
	return row.order(), nil
}

// findOrder reads an order its two parties may see.
func findOrder(ctx context.Context, q *gorm.DB, id string) (*market.ServiceOrder, error) {
	o, err := readOrder(q, id, false)
	if err != nil {
		return nil, err
	}
	if !market.CanSeeServiceOrder(market.ActorFrom(ctx), o) {
		return nil, orderNotFound(id)
	}
	return o, nil
}

// ServiceOrderService implements market.ServiceOrderService: orders in the
// database, reports in the deal-evidence file store.
type ServiceOrderService struct {
	db    *DB
	files files.Store
}

var _ market.ServiceOrderService = (*ServiceOrderService)(nil)

// NewServiceOrderService returns the service-order service over db, with
// reports kept in fs (the store deal evidence uses).
func NewServiceOrderService(db *DB, fs files.Store) *ServiceOrderService {
	return &ServiceOrderService{db: db, files: fs}
}

// CreateServiceOrder orders a service: fee_fen = quantity × price_fen at
// the price of the moment.
func (s *ServiceOrderService) CreateServiceOrder(ctx context.Context, n market.NewServiceOrder) (_ *market.ServiceOrder, err error) {
	defer wrap(&err, "store.CreateServiceOrder")
	a := market.ActorFrom(ctx)
	if err := n.Validate(); err != nil {
		return nil, err
	}
	var o *market.ServiceOrder
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		svc, err := findService(tx, n.ServiceID)
		if market.ErrorCode(err) == market.ENOTFOUND {
			return market.Invalid("service_id", "no service %s", n.ServiceID)
		}
		if err != nil {
			return err
		}
		if err := market.CanOrderService(a, svc); err != nil {
			return err
		}
		if o, err = n.Order(svc, s.db.now()); err != nil {
			return err
		}
		o.ID, o.ClientOrgID = ulid.Make().String(), a.OrgID
		row := rowFromOrder(o, a.UserID)
		if err := tx.Session(&gorm.Session{NewDB: true}).Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create", "service_order", o.ID, nil, o)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// FindServiceOrder returns an order to its two parties.
func (s *ServiceOrderService) FindServiceOrder(ctx context.Context, id string) (_ *market.ServiceOrder, err error) {
	defer wrap(&err, "store.FindServiceOrder(%q)", id)
	return findOrder(ctx, s.db.gorm.WithContext(ctx), id)
}

// ListServiceOrders lists the caller's org's orders, as client, provider
// or both, newest first.
func (s *ServiceOrderService) ListServiceOrders(ctx context.Context, f market.ServiceOrderFilter) (_ market.Page[market.ServiceOrder], err error) {
	defer wrap(&err, "store.ListServiceOrders")
	var out market.Page[market.ServiceOrder]
	a := market.ActorFrom(ctx)
	if a == nil || a.OrgID == "" {
		return out, market.Errorf(market.EFORBIDDEN, "service orders are listed by their clients and providers")
	}
	if err := f.Validate(); err != nil {
		return out, err
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&serviceOrderRow{}), "status", f.Status)
	switch f.Role {
	case "client":
		q = q.Where("client_org_id = ?", a.OrgID)
	case "provider":
		q = q.Where("provider_org_id = ?", a.OrgID)
	default:
		q = q.Where("(client_org_id = ? OR provider_org_id = ?)", a.OrgID, a.OrgID)
	}
	return listPage(q, f.Page, true, func(r *serviceOrderRow) string { return r.ID }, (*serviceOrderRow).order)
}

// changeOrder runs one action on an order through run: its row lock,
// visibility (404), who acts (403), the transition (409), then mutate,
// save and audit.
func (s *ServiceOrderService) changeOrder(ctx context.Context, id, action string,
	mutate func(o *market.ServiceOrder, now time.Time) error) (*market.ServiceOrder, error) {
	return run(ctx, s.db, change[market.ServiceOrder]{
		entity: "service_order", id: id, action: action,
		lock: func(tx *gorm.DB) (*market.ServiceOrder, error) {
			return readOrder(tx.Session(&gorm.Session{NewDB: true}), id, true)
		},
		visible:  market.CanSeeServiceOrder,
		notFound: func() error { return orderNotFound(id) },
		allowed:  func(a *market.Actor, o *market.ServiceOrder) error { return market.OrderActor(a, o, action) },
		apply: func(_ *gorm.DB, o *market.ServiceOrder, now time.Time) ([]auditEntry, error) {
			if err := o.Move(action, now); err != nil {
				return nil, err
			}
			if mutate != nil {
				return nil, mutate(o, now)
			}
			return nil, nil
		},
		save: func(tx *gorm.DB, o *market.ServiceOrder) error {
			// created_by_user_id is written once, at creation.
			row := rowFromOrder(o, "")
			return tx.Session(&gorm.Session{NewDB: true}).Select("*").Omit("CreatedByUserID").Save(&row).Error
		},
	})
}

// MoveServiceOrder accepts (provider), cancels (client, before delivery)
// or completes (client, once delivered) an order.
func (s *ServiceOrderService) MoveServiceOrder(ctx context.Context, id, action string) (_ *market.ServiceOrder, err error) {
	defer wrap(&err, "store.MoveServiceOrder(%q, %s)", id, action)
	switch action {
	case market.ActionAcceptOrder, market.ActionCancelOrder, market.ActionCompleteOrder:
	default:
		return nil, fmt.Errorf("MoveServiceOrder does not %s", action)
	}
	return s.changeOrder(ctx, id, action, nil)
}

// DeclineServiceOrder is the provider's refusal of a submitted order.
func (s *ServiceOrderService) DeclineServiceOrder(ctx context.Context, id string, d market.Cancellation) (_ *market.ServiceOrder, err error) {
	defer wrap(&err, "store.DeclineServiceOrder(%q)", id)
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return s.changeOrder(ctx, id, market.ActionDeclineOrder, func(o *market.ServiceOrder, _ time.Time) error {
		o.DeclineReason = d.Reason
		return nil
	})
}

// DeliverServiceOrder stores the report and marks an accepted order
// delivered; the provider may. Who acts and the order's state are checked
// before a byte is written, the content is stored (content-addressed, as
// evidence) before the row that names it commits, and the transition is
// checked again under the row lock.
func (s *ServiceOrderService) DeliverServiceOrder(ctx context.Context, id, filename string, content io.Reader) (_ *market.ServiceOrder, err error) {
	defer wrap(&err, "store.DeliverServiceOrder(%q)", id)
	a := market.ActorFrom(ctx)
	o, err := findOrder(ctx, s.db.gorm.WithContext(ctx), id)
	if err != nil {
		return nil, err
	}
	if err := market.OrderActor(a, o, market.ActionDeliverOrder); err != nil {
		return nil, err
	}
	if _, err := market.OrderTransition(o.Status, market.ActionDeliverOrder); err != nil {
		return nil, err
	}
	ct, key, size, err := putDocument(ctx, s.files, content, "report")
	if err != nil {
		return nil, err
	}
	rep := &market.Report{Filename: market.CleanFilename(filename, "report"), Size: size, ContentType: ct, SHA256: key}
	return s.changeOrder(ctx, id, market.ActionDeliverOrder, func(o *market.ServiceOrder, _ time.Time) error {
		o.Report = rep
		return nil
	})
}

// OpenReport returns the delivered report to the order's two parties;
// anyone else does not see the order (404).
func (s *ServiceOrderService) OpenReport(ctx context.Context, id string) (_ *market.Report, _ io.ReadCloser, err error) {
	defer wrap(&err, "store.OpenReport(%q)", id)
	o, err := findOrder(ctx, s.db.gorm.WithContext(ctx), id)
	if err != nil {
		return nil, nil, err
	}
	if o.Report == nil {
		return nil, nil, market.Errorf(market.ENOTFOUND, "service order %s has no report yet", id)
	}
	rc, err := s.files.Open(ctx, o.Report.SHA256)
	if err != nil {
		return nil, nil, fmt.Errorf("open report of %s (%s): %w", id, o.Report.SHA256, err)
	}
	return o.Report, rc, nil
}
