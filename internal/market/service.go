package market

import (
	"context"
	"io"
	"strings"
	"time"
)

// Service kinds (SPEC "Instruments and testing services").
var ServiceKinds = []Code{
	{"testing", "检测"}, {"analysis", "分析"}, {"standard_lookup", "标准查询"},
	{"consulting", "技术咨询"}, {"certification", "认证"},
}

// Service is a testing, analysis or consulting service a university or
// institute sells.
type Service struct {
	ID             string    `json:"id"`
	OrgID          string    `json:"org_id"`
	Name           string    `json:"name"`
	Kind           string    `json:"kind"`
	Description    string    `json:"description"`
	PriceFen       int64     `json:"price_fen"`
	Unit           string    `json:"unit"`
	TurnaroundDays int       `json:"turnaround_days"`
	Status         string    `json:"status"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// NewService is the body of POST /services.
type NewService struct {
	Name           string `json:"name"`
	Kind           string `json:"kind"`
	Description    string `json:"description"`
	PriceFen       int64  `json:"price_fen"`
	Unit           string `json:"unit"`
	TurnaroundDays int    `json:"turnaround_days"`
}

// Service validates the input and returns the service it describes.
func (n *NewService) Service(orgID string, now time.Time) (*Service, error) {
	var p Problems
	n.Name, n.Description, n.Unit = strings.TrimSpace(n.Name), strings.TrimSpace(n.Description), strings.TrimSpace(n.Unit)
	textLen(&p, "name", n.Name, 2, 200)
	textLen(&p, "description", n.Description, 0, 5000)
	textLen(&p, "unit", n.Unit, 1, 20)
	if !HasCode(ServiceKinds, n.Kind) {
		p.Add("kind", "must be a service kind of GET /meta")
	}
	if n.PriceFen < 0 || n.PriceFen > MaxAmountFen {
		p.Add("price_fen", "must be from 0 to %d fen", int64(MaxAmountFen))
	}
	if n.TurnaroundDays < 1 || n.TurnaroundDays > 365 {
		p.Add("turnaround_days", "must be from 1 to 365")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return &Service{OrgID: orgID, Name: n.Name, Kind: n.Kind, Description: n.Description, PriceFen: n.PriceFen,
		Unit: n.Unit, TurnaroundDays: n.TurnaroundDays, Status: InstrumentActive, CreatedAt: now, UpdatedAt: now}, nil
}

// Service order states (SPEC: submitted → accepted → delivered →
// completed, or declined by the provider, cancelled by the client).
const (
	OrderSubmitted = "submitted"
	OrderAccepted  = "accepted"
	OrderDelivered = "delivered"
	OrderCompleted = "completed"
	OrderDeclined  = "declined"
	OrderCancelled = "cancelled"
)

// OrderStatuses are the service order states with their labels.
var OrderStatuses = []Code{
	{OrderSubmitted, "已提交"}, {OrderAccepted, "已受理"}, {OrderDelivered, "已交付"},
	{OrderCompleted, "已完成"}, {OrderDeclined, "已拒绝"}, {OrderCancelled, "已取消"},
}

// Service order actions.
const (
	ActionAcceptOrder   = "accept"
	ActionDeclineOrder  = "decline"
	ActionCancelOrder   = "cancel"
	ActionDeliverOrder  = "deliver"
	ActionCompleteOrder = "complete"
)

// orderTransitions is the one lifecycle table of service orders.
var orderTransitions = map[string]map[string]string{
	ActionAcceptOrder:   {OrderSubmitted: OrderAccepted},
	ActionDeclineOrder:  {OrderSubmitted: OrderDeclined},
	ActionCancelOrder:   {OrderSubmitted: OrderCancelled, OrderAccepted: OrderCancelled},
	ActionDeliverOrder:  {OrderAccepted: OrderDelivered},
	ActionCompleteOrder: {OrderDelivered: OrderCompleted},
}

// OrderTransition returns the state an action moves an order to, or a
// conflict naming the current state.
func OrderTransition(from, action string) (string, error) {
	to, ok := orderTransitions[action][from]
	if !ok {
		return "", Errorf(ECONFLICT, "cannot %s a service order that is %s", action, from)
	}
	return to, nil
}

// Report is the file a provider delivers with an order.
type Report struct {
	Filename    string `json:"filename"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
}

// ServiceOrder is one client's order of a service.
type ServiceOrder struct {
	ID            string     `json:"id"`
	ServiceID     string     `json:"service_id"`
	ProviderOrgID string     `json:"provider_org_id"`
	ClientOrgID   string     `json:"client_org_id"`
	Quantity      int64      `json:"quantity"`
	PriceFen      int64      `json:"price_fen"`
	FeeFen        int64      `json:"fee_fen"`
	Note          string     `json:"note"`
	Status        string     `json:"status"`
	DeclineReason string     `json:"decline_reason,omitempty"`
	Report        *Report    `json:"report,omitempty"`
	AcceptedAt    *time.Time `json:"accepted_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	CompletedAt   *time.Time `json:"completed_at,omitempty"`
	CancelledAt   *time.Time `json:"cancelled_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// IsParty reports whether org is the order's client or provider.
func (o *ServiceOrder) IsParty(org string) bool {
	return org != "" && (org == o.ClientOrgID || org == o.ProviderOrgID)
}

// NewServiceOrder is the body of POST /service-orders.
type NewServiceOrder struct {
	ServiceID string `json:"service_id"`
	Quantity  int64  `json:"quantity"`
	Note      string `json:"note"`
}

// Validate checks the request's own fields.
func (n *NewServiceOrder) Validate() error {
	var p Problems
	n.ServiceID, n.Note = strings.TrimSpace(n.ServiceID), strings.TrimSpace(n.Note)
	if n.ServiceID == "" || len(n.ServiceID) > 26 {
		p.Add("service_id", "is required: an id")
	}
	if n.Quantity < 1 || n.Quantity > 10_000 {
		p.Add("quantity", "must be from 1 to 10000")
	}
	textLen(&p, "note", n.Note, 0, 2000)
	return p.Err()
}

// Order returns the order of service s: fee_fen = quantity × price_fen.
func (n *NewServiceOrder) Order(s *Service, now time.Time) (*ServiceOrder, error) {
	if s.PriceFen > 0 && n.Quantity > MaxAmountFen/s.PriceFen {
		return nil, Invalid("quantity", "the fee would pass %d fen", int64(MaxAmountFen))
	}
	return &ServiceOrder{ServiceID: s.ID, ProviderOrgID: s.OrgID, Quantity: n.Quantity, PriceFen: s.PriceFen,
		FeeFen: n.Quantity * s.PriceFen, Note: n.Note, Status: OrderSubmitted, CreatedAt: now, UpdatedAt: now}, nil
}

// Move applies an action to the order and stamps its time.
func (o *ServiceOrder) Move(action string, now time.Time) error {
	to, err := OrderTransition(o.Status, action)
	if err != nil {
		return err
	}
	o.Status, o.UpdatedAt = to, now
	switch action {
	case ActionAcceptOrder:
		o.AcceptedAt = &now
	case ActionDeliverOrder:
		o.DeliveredAt = &now
	case ActionCompleteOrder:
		o.CompletedAt = &now
	case ActionCancelOrder, ActionDeclineOrder:
		o.CancelledAt = &now
	}
	return nil
}

// Who does what with services:
//
//   - services are public; verified universities and institutes offer them;
//   - any verified enterprise, university or institute but the provider
//     orders one;
//   - an order and its report exist for its two parties only (others:
//     404); the provider accepts, declines and delivers, the client cancels
//     (before delivery) and completes (takes the delivery).

// CanCreateService says whether the actor may offer services.
func CanCreateService(a *Actor) error {
	if a == nil || (a.OrgKind != OrgUniversity && a.OrgKind != OrgInstitute) {
		return Errorf(EFORBIDDEN, "services are offered by universities and institutes")
	}
	if !a.OrgVerified {
		return Errorf(EFORBIDDEN, "your org must be verified before it offers services")
	}
	return nil
}

// CanOrderService says whether the actor may order the service.
func CanOrderService(a *Actor, s *Service) error {
	switch {
	case a == nil || a.OrgID == "" || !isTradingKind(a.OrgKind):
		return Errorf(EFORBIDDEN, "services are ordered by enterprises, universities and institutes")
	case !a.OrgVerified:
		return Errorf(EFORBIDDEN, "your org must be verified before it orders services")
	case a.OrgID == s.OrgID:
		return Errorf(EFORBIDDEN, "an org does not order its own service")
	case s.Status != InstrumentActive:
		return Errorf(ECONFLICT, "service %s is %s and takes no orders", s.ID, s.Status)
	}
	return nil
}

// CanSeeServiceOrder reports whether the order exists for the actor.
func CanSeeServiceOrder(a *Actor, o *ServiceOrder) bool { return a != nil && o.IsParty(a.OrgID) }

// OrderActor says who performs an action on an order.
func OrderActor(a *Actor, o *ServiceOrder, action string) error {
	switch action {
	case ActionAcceptOrder, ActionDeclineOrder, ActionDeliverOrder:
		if a.OrgID != o.ProviderOrgID {
			return Errorf(EFORBIDDEN, "only the provider may %s the order", action)
		}
	default:
		if a.OrgID != o.ClientOrgID {
			return Errorf(EFORBIDDEN, "only the client may %s the order", action)
		}
	}
	return nil
}

// ServiceFilter narrows GET /services.
type ServiceFilter struct {
	Kind, OrgID string
	Page        PageRequest
}

// Validate checks the filter values.
func (f *ServiceFilter) Validate() error {
	if f.Kind != "" && !HasCode(ServiceKinds, f.Kind) {
		return Invalid("kind", "must be a service kind of GET /meta")
	}
	if len(f.OrgID) > 26 {
		return Invalid("org_id", "is not an id")
	}
	return nil
}

// ServiceOrderFilter narrows GET /service-orders: the caller's own.
type ServiceOrderFilter struct {
	Role   string // "client", "provider" or "" for both
	Status string
	Page   PageRequest
}

// Validate checks the filter values.
func (f *ServiceOrderFilter) Validate() error {
	var p Problems
	if f.Role != "" && f.Role != "client" && f.Role != "provider" {
		p.Add("role", "must be client or provider")
	}
	if f.Status != "" && !HasCode(OrderStatuses, f.Status) {
		p.Add("status", "must be a service order status of GET /meta")
	}
	return p.Err()
}

// ServiceService offers services and takes their orders.
type ServiceService interface {
	CreateService(ctx context.Context, n NewService) (*Service, error)
	FindService(ctx context.Context, id string) (*Service, error)
	ListServices(ctx context.Context, f ServiceFilter) (Page[Service], error)
}

// ServiceOrderService moves service orders along and keeps their reports.
type ServiceOrderService interface {
	CreateServiceOrder(ctx context.Context, n NewServiceOrder) (*ServiceOrder, error)
	FindServiceOrder(ctx context.Context, id string) (*ServiceOrder, error)
	ListServiceOrders(ctx context.Context, f ServiceOrderFilter) (Page[ServiceOrder], error)
	// MoveServiceOrder applies accept, cancel or complete; decline takes
	// a reason.
	MoveServiceOrder(ctx context.Context, id, action string) (*ServiceOrder, error)
	DeclineServiceOrder(ctx context.Context, id string, d Cancellation) (*ServiceOrder, error)
	// DeliverServiceOrder stores the report (PDF, JPEG or PNG, detected
	// from the bytes) and marks the order delivered.
	DeliverServiceOrder(ctx context.Context, id, filename string, content io.Reader) (*ServiceOrder, error)
	// OpenReport returns the report's record and content to the parties.
	OpenReport(ctx context.Context, id string) (*Report, io.ReadCloser, error)
}
