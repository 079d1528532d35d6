package market

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Org is an enterprise, university, institute, market operator or the
// science bureau.
type Org struct {
	ID           string     `json:"id"`
	Kind         string     `json:"kind"`
	Name         string     `json:"name"`
	CreditCode   string     `json:"credit_code"`
	RegionCode   string     `json:"region_code"`
	Market       string     `json:"market,omitempty"`
	ContactName  string     `json:"contact_name"`
	ContactPhone string     `json:"contact_phone"`
	Verified     bool       `json:"verified"`
	VerifiedAt   *time.Time `json:"verified_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// User roles inside an org.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// User is one account. Platform admins belong to no org.
type User struct {
	ID            string    `json:"id"`
	OrgID         string    `json:"org_id,omitempty"`
	Account       string    `json:"account"`
	Name          string    `json:"name"`
	Role          string    `json:"role"`
	PlatformAdmin bool      `json:"platform_admin,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// NewUser is the body that creates an account.
type NewUser struct {
	Account  string `json:"account"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Role     string `json:"role,omitempty"`
}

// Validate normalises the account (NormalizeAccount) and checks it, the
// password and the name. prefix names the JSON object the fields live in
// ("admin." at registration).
func (u *NewUser) Validate(prefix string, p *Problems) {
	u.Account = NormalizeAccount(u.Account)
	u.Name = strings.TrimSpace(u.Name)
	if !validAccount(u.Account) {
		p.Add(prefix+"account", "must be a mainland mobile number (11 digits) or an email address")
	}
	if n := utf8.RuneCountInString(u.Password); n < 8 || n > 72 || len(u.Password) > 72 {
		// bcrypt reads at most 72 bytes; longer passwords would be cut silently.
		p.Add(prefix+"password", "must be 8 to 72 characters")
	}
	if u.Name == "" || utf8.RuneCountInString(u.Name) > 50 {
		p.Add(prefix+"name", "is required, at most 50 characters")
	}
	if u.Role == "" {
		u.Role = RoleMember
	}
	if u.Role != RoleAdmin && u.Role != RoleMember {
		p.Add(prefix+"role", "must be admin or member")
	}
}

// NormalizeAccount is the one spelling of an account, used when it is
// created and when it signs in: surrounding space trimmed and an email
// address lower-cased; a phone number is its digits as they are. Stored
// accounts compare exactly on every database, so "CaseTest@example.com"
// and "casetest@example.com" are one account because they normalise alike.
func NormalizeAccount(a string) string {
	a = strings.TrimSpace(a)
	if strings.Contains(a, "@") {
		a = strings.ToLower(a)
	}
	return a
}

// MaxAccountLen bounds an account in bytes (an email address's limit, RFC
// 5321): no longer account exists, so login refuses one (422) before it
// looks anything up.
const MaxAccountLen = 254

func validAccount(a string) bool {
	if len(a) == 11 && a[0] == '1' && strings.Trim(a, "0123456789") == "" {
		return true
	}
	if len(a) > MaxAccountLen || !strings.Contains(a, "@") {
		return false
	}
	addr, err := mail.ParseAddress(a)
	return err == nil && addr.Address == a
}

// Registration is the body of POST /orgs: the org and its first admin.
type Registration struct {
	Kind         string  `json:"kind"`
	Name         string  `json:"name"`
	CreditCode   string  `json:"credit_code"`
	RegionCode   string  `json:"region_code"`
	Market       string  `json:"market"`
	ContactName  string  `json:"contact_name"`
	ContactPhone string  `json:"contact_phone"`
	Admin        NewUser `json:"admin"`
}

// Validate checks every field and reports all problems at once.
func (r *Registration) Validate() error {
	var p Problems
	r.Name = strings.TrimSpace(r.Name)
	r.CreditCode = strings.TrimSpace(r.CreditCode)
	r.ContactName = strings.TrimSpace(r.ContactName)
	r.ContactPhone = strings.TrimSpace(r.ContactPhone)
	if !HasCode(OrgKinds, r.Kind) {
		p.Add("kind", "must be one of enterprise, university, institute, operator, government")
	}
	if r.Name == "" || utf8.RuneCountInString(r.Name) > 100 {
		p.Add("name", "is required, at most 100 characters")
	}
	if !ValidCreditCode(r.CreditCode) {
		p.Add("credit_code", "is not a valid unified social credit code (GB 32100-2015: 18 characters with a correct check character)")
	}
	if !ValidRegionCode(r.RegionCode) {
		p.Add("region_code", "must be a 6-digit administrative division code")
	}
	switch {
	case r.Kind == OrgOperator && !HasCode(Markets, r.Market):
		p.Add("market", "an operator must name its market: liuzhou or guizhong")
	case r.Kind != OrgOperator && r.Market != "":
		p.Add("market", "only operators are bound to a market")
	}
	if r.ContactName == "" || utf8.RuneCountInString(r.ContactName) > 50 {
		p.Add("contact_name", "is required, at most 50 characters")
	}
	if !validPhone(r.ContactPhone) {
		p.Add("contact_phone", "must be a phone number: digits, optionally with + and -")
	}
	r.Admin.Role = RoleAdmin
	r.Admin.Validate("admin.", &p)
	return p.Err()
}

func validPhone(s string) bool {
	if len(s) < 5 || len(s) > 20 {
		return false
	}
	return strings.Trim(s, "0123456789+-") == ""
}

// Actor is who makes a request: the authenticated user and what we know of
// its org at the time the token was checked.
type Actor struct {
	UserID        string
	OrgID         string
	OrgKind       string
	OrgVerified   bool
	Market        string // operators only
	Role          string
	PlatformAdmin bool
	SessionID     string
}

// IsOperator reports whether the actor works for a market operator.
func (a *Actor) IsOperator() bool { return a != nil && a.OrgKind == OrgOperator }

// IsGovernment reports whether the actor works for the science bureau.
func (a *Actor) IsGovernment() bool { return a != nil && a.OrgKind == OrgGovernment }

// IsVerifiedOrg reports whether the actor belongs to a verified org.
func (a *Actor) IsVerifiedOrg() bool { return a != nil && a.OrgID != "" && a.OrgVerified }

// CanVerifyOrgs reports whether the actor may list and verify orgs.
func (a *Actor) CanVerifyOrgs() bool {
	return a != nil && (a.PlatformAdmin || (a.IsOperator() && a.OrgVerified))
}

type actorKey struct{}

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of the context, or nil for anonymous calls.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// Validate checks the filter's values.
func (f OrgFilter) Validate() error {
	if f.Kind != "" && !HasCode(OrgKinds, f.Kind) {
		return Invalid("kind", "must be an org kind of GET /meta")
	}
	return nil
}

// CanTrade says why an org may not be a party to a deal, "" when it may:
// only verified orgs that buy or sell technology trade (an operator or the
// bureau oversees deals, it is never a party).
func CanTrade(o *Org) string {
	switch {
	case o.Kind == OrgOperator || o.Kind == OrgGovernment:
		return fmt.Sprintf("a %s org does not buy or sell technology", o.Kind)
	case !o.Verified:
		return fmt.Sprintf("org %s is not verified; only verified orgs trade", o.ID)
	}
	return ""
}

// OrgFilter narrows GET /orgs.
type OrgFilter struct {
	Kind     string
	Verified *bool
	Page     PageRequest
}

// Tokens is what login and refresh answer.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// Me is the answer of GET /auth/me.
type Me struct {
	User User `json:"user"`
	Org  *Org `json:"org"`
}

// OrgService manages orgs and their users.
type OrgService interface {
	// Register creates an org and its first admin. Public registration
	// makes enterprises, universities and institutes; operators and
	// government orgs are made by a platform admin and verified at once.
	Register(ctx context.Context, r Registration) (*Org, error)
	FindOrg(ctx context.Context, id string) (*Org, error)
	ListOrgs(ctx context.Context, f OrgFilter) (Page[Org], error)
	VerifyOrg(ctx context.Context, id string) (*Org, error)
	AddUser(ctx context.Context, orgID string, u NewUser) (*User, error)
	ListUsers(ctx context.Context, orgID string) ([]User, error)
	// CreatePlatformAdmin makes a platform admin (command line only).
	CreatePlatformAdmin(ctx context.Context, u NewUser) (*User, error)
}

// AuthService issues, refreshes and revokes sessions.
type AuthService interface {
	Login(ctx context.Context, account, password, ip string) (*Tokens, error)
	Refresh(ctx context.Context, refreshToken string) (*Tokens, error)
	// Logout revokes the caller's session; refreshToken, when given, must
	// belong to it.
	Logout(ctx context.Context, refreshToken string) error
	// Authenticate checks an access token and returns its actor.
	Authenticate(ctx context.Context, accessToken string) (*Actor, error)
	Me(ctx context.Context) (*Me, error)
}
