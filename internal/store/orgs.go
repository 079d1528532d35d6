package store

import (
	"context"
	"time"

	"github.com/oklog/ulid/v2"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// OrgService holds the org aggregate's methods over db.
type OrgService struct{ db *DB }

// NewOrgService returns the org service over db.
func NewOrgService(db *DB) *OrgService { return &OrgService{db: db} }

type orgRow struct {
	ID           string `gorm:"primaryKey"`
	Kind         string
	Name         string
	CreditCode   string
	RegionCode   string
	Market       string
	ContactName  string
	ContactPhone string
	Verified     bool
	VerifiedAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (orgRow) TableName() string { return "orgs" }

func (r *orgRow) org() *market.Org {
	o := market.Org(*r)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	if o.VerifiedAt != nil {
		t := o.VerifiedAt.UTC()
		o.VerifiedAt = &t
	}
	return &o
}

// UserRow is a stored account with its password hash.
type userRow struct {
	ID            string `gorm:"primaryKey"`
	OrgID         *string
	Account       string
	PasswordHash  string
	Name          string
	Role          string
	PlatformAdmin bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (userRow) TableName() string { return "users" }

func (r *userRow) user() market.User {
	u := market.User{ID: r.ID, Account: r.Account, Name: r.Name, Role: r.Role,
		PlatformAdmin: r.PlatformAdmin, CreatedAt: r.CreatedAt.UTC()}
	if r.OrgID != nil {
		u.OrgID = *r.OrgID
	}
	return u
}

var _ market.OrgService = (*OrgService)(nil)

func (db *DB) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), db.cost)
	return string(h), err
}

// Register creates an org and its first admin user in one transaction.
func (s *OrgService) Register(ctx context.Context, r market.Registration) (_ *market.Org, err error) {
	defer wrap(&err, "store.Register")
	actor := market.ActorFrom(ctx)
	byAdmin := actor != nil && actor.PlatformAdmin
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if (r.Kind == market.OrgOperator || r.Kind == market.OrgGovernment) && !byAdmin {
		return nil, market.Errorf(market.EFORBIDDEN, "only a platform admin may create %s orgs", r.Kind)
	}
	hash, err := s.db.hashPassword(r.Admin.Password)
	if err != nil {
		return nil, err
	}
	now := s.db.now()
	row := orgRow{ID: ulid.Make().String(), Kind: r.Kind, Name: r.Name, CreditCode: r.CreditCode,
		RegionCode: r.RegionCode, Market: r.Market, ContactName: r.ContactName, ContactPhone: r.ContactPhone,
		CreatedAt: now, UpdatedAt: now}
	// Orgs made by the admin (operator, government) are verified at once.
	if byAdmin {
		row.Verified, row.VerifiedAt = true, &now
	}
	user := userRow{ID: ulid.Make().String(), OrgID: &row.ID, Account: r.Admin.Account, PasswordHash: hash,
		Name: r.Admin.Name, Role: market.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Create(&user).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "register", "org", row.ID, nil, row.org())
	})
	if err != nil {
		return nil, translateOrgErr(err, "admin.account")
	}
	return row.org(), nil
}

// translateOrgErr turns a duplicate credit code or account into a conflict
// naming the body field at fault: accountField is "admin.account" at
// registration and "account" where the body is the user itself.
func translateOrgErr(err error, accountField string) error {
	// The account is asked first: MySQL quotes the duplicate value, and an
	// account may contain "credit_code" while a credit code (upper-case
	// letters and digits) never contains "account".
	return translate(err, nil,
		uniqueKey{"users_account", "account", func() error {
			return market.Conflict("this account is already taken").On(accountField, "already taken")
		}},
		uniqueKey{"orgs_credit_code", "credit_code", func() error {
			return market.Conflict("an org with this credit_code is already registered").On("credit_code", "already registered")
		}})
}

// FindOrg returns one org. Operators and admins see every org; a user sees
// its own.
func (s *OrgService) FindOrg(ctx context.Context, id string) (_ *market.Org, err error) {
	defer wrap(&err, "store.FindOrg(%q)", id)
	a := market.ActorFrom(ctx)
	if !a.CanVerifyOrgs() && (a == nil || a.OrgID != id) && !a.IsGovernment() {
		return nil, market.Errorf(market.EFORBIDDEN, "only operators and admins may read other orgs")
	}
	return s.db.findOrg(ctx, s.db.gorm, id)
}

func (db *DB) findOrg(ctx context.Context, q *gorm.DB, id string) (*market.Org, error) {
	var row orgRow
	if err := translate(q.WithContext(ctx).First(&row, "id = ?", id).Error, func() error { return orgNotFound(id) }); err != nil {
		return nil, err
	}
	return row.org(), nil
}

// ListOrgs lists orgs newest first.
func (s *OrgService) ListOrgs(ctx context.Context, f market.OrgFilter) (_ market.Page[market.Org], err error) {
	defer wrap(&err, "store.ListOrgs")
	var out market.Page[market.Org]
	if a := market.ActorFrom(ctx); !a.CanVerifyOrgs() && !a.IsGovernment() {
		return out, market.Errorf(market.EFORBIDDEN, "only operators, the bureau and admins may list orgs")
	}
	if err := f.Validate(); err != nil {
		return out, err
	}
	q := whereEq(s.db.gorm.WithContext(ctx).Model(&orgRow{}), "kind", f.Kind)
	if f.Verified != nil {
		q = q.Where("verified = ?", *f.Verified)
	}
	rows, next, err := fetchPage(q, f.Page, true, func(r *orgRow) string { return r.ID })
	if err != nil {
		return out, err
	}
	out.NextCursor = next
	out.Items = make([]market.Org, len(rows))
	for i := range rows {
		out.Items[i] = *rows[i].org()
	}
	return out, nil
}

// VerifyOrg marks an org verified. Verifying a verified org is a conflict.
func (s *OrgService) VerifyOrg(ctx context.Context, id string) (_ *market.Org, err error) {
	defer wrap(&err, "store.VerifyOrg(%q)", id)
	if !market.ActorFrom(ctx).CanVerifyOrgs() {
		return nil, market.Errorf(market.EFORBIDDEN, "only a platform admin or a verified operator may verify orgs")
	}
	var out *market.Org
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		var row orgRow
		if err := translate(tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&row, "id = ?", id).Error, func() error { return orgNotFound(id) }); err != nil {
			return err
		}
		if row.Verified {
			return market.Conflict("org %s is already verified", id)
		}
		before := row.org()
		now := s.db.now()
		row.Verified, row.VerifiedAt, row.UpdatedAt = true, &now, now
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		out = row.org()
		return s.db.audit(ctx, tx, "verify", "org", id, before, out)
	})
	return out, err
}

// AddUser adds a member (or another admin) to an org; only the org's
// admins may.
func (s *OrgService) AddUser(ctx context.Context, orgID string, in market.NewUser) (_ *market.User, err error) {
	defer wrap(&err, "store.AddUser(%q)", orgID)
	a := market.ActorFrom(ctx)
	if a == nil || a.OrgID != orgID || a.Role != market.RoleAdmin {
		return nil, market.Errorf(market.EFORBIDDEN, "only an admin of this org may add users")
	}
	var p market.Problems
	in.Validate("", &p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	hash, err := s.db.hashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.db.now()
	row := userRow{ID: ulid.Make().String(), OrgID: &orgID, Account: in.Account, PasswordHash: hash,
		Name: in.Name, Role: in.Role, CreatedAt: now, UpdatedAt: now}
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "add_user", "user", row.ID, nil, row.user())
	})
	if err != nil {
		return nil, translateOrgErr(err, "account")
	}
	u := row.user()
	return &u, nil
}

// ListUsers lists an org's users; its own members and platform admins may.
func (s *OrgService) ListUsers(ctx context.Context, orgID string) (_ []market.User, err error) {
	defer wrap(&err, "store.ListUsers(%q)", orgID)
	a := market.ActorFrom(ctx)
	if a == nil || (a.OrgID != orgID && !a.PlatformAdmin) {
		return nil, market.Errorf(market.EFORBIDDEN, "only members of this org may list its users")
	}
	var rows []userRow
	if err := s.db.gorm.WithContext(ctx).Where("org_id = ?", orgID).Order("id ASC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]market.User, len(rows))
	for i := range rows {
		out[i] = rows[i].user()
	}
	return out, nil
}

// CreatePlatformAdmin creates a platform admin (no org).
func (s *OrgService) CreatePlatformAdmin(ctx context.Context, in market.NewUser) (_ *market.User, err error) {
	defer wrap(&err, "store.CreatePlatformAdmin")
	var p market.Problems
	in.Role = market.RoleAdmin
	in.Validate("", &p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	hash, err := s.db.hashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.db.now()
	row := userRow{ID: ulid.Make().String(), Account: in.Account, PasswordHash: hash, Name: in.Name,
		Role: market.RoleAdmin, PlatformAdmin: true, CreatedAt: now, UpdatedAt: now}
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "create_admin", "user", row.ID, nil, row.user())
	})
	if err != nil {
		return nil, translateOrgErr(err, "account")
	}
	u := row.user()
	return &u, nil
}

func orgNotFound(id string) error { return market.Errorf(market.ENOTFOUND, "org %s not found", id) }
