// Package auth issues and checks sessions: short-lived signed access tokens
// (JWT, HS256), rotating refresh tokens stored only as hashes, and
// revocation shared by every server instance through the cache.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/liuzhou-techmarket/techmarket/internal/cache"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// Config sets token lifetimes, the signing key and the login limits.
type Config struct {
	// Keys sign and verify access tokens; every instance must share them.
	// Nil: a fixed ring of Secret (signs) and OldSecrets (still verify
	// tokens during a key rotation).
	Keys       *KeyRing
	Secret     []byte
	OldSecrets [][]byte
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// LoginLimit attempts per account and LoginIPLimit per IP address in
	// each LoginPeriod.
	LoginLimit   int
	LoginIPLimit int
	LoginPeriod  time.Duration
}

// Service implements market.AuthService.
type Service struct {
	db      *store.SessionService
	cache   cache.Cache
	limiter cache.Limiter
	cfg     Config
	log     *slog.Logger
	// dummyHash is compared against when an account does not exist, so a
	// failed login takes as long whether or not the account exists. It has
	// the cost of real hashes: a cheaper one would answer unknown accounts
	// faster and tell them apart.
	dummyHash []byte
}

var _ market.AuthService = (*Service)(nil)

// New returns the service.
func New(db *store.SessionService, c cache.Cache, l cache.Limiter, cfg Config, log *slog.Logger) *Service {
	dummy, _ := bcrypt.GenerateFromPassword([]byte("not-a-password"), db.PasswordCost())
	if cfg.Keys == nil {
		cfg.Keys = StaticKeys(cfg.Secret, cfg.OldSecrets...)
	}
	return &Service{db: db, cache: c, limiter: l, cfg: cfg, log: log, dummyHash: dummy}
}

type claims struct {
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

func revokedKey(sessionID string) string { return "revoked:session:" + sessionID }

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

func newRefreshToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Login checks the password and starts a session. Attempts are limited per
// account whatever their outcome, so guessing one account is slow; the
// per-IP budget counts failed attempts only, so many people behind one
// address (a campus NAT) signing in correctly do not lock each other out.
// An account longer than any account can be is refused before any lookup
// or limiter key is made of it.
func (s *Service) Login(ctx context.Context, account, password, ip string) (*market.Tokens, error) {
	// The account is spelled as it was stored (trimmed, an email
	// lower-cased), so any case of an email finds the account and shares
	// its attempt budget.
	account = market.NormalizeAccount(account)
	var p market.Problems
	if account == "" {
		p.Add("account", "is required")
	}
	if len(account) > market.MaxAccountLen {
		p.Add("account", "is at most %d bytes long", market.MaxAccountLen)
	}
	if password == "" {
		p.Add("password", "is required")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	ipKey := "login:ip:" + ip
	if err := s.loginBudget(ctx, ipKey, s.cfg.LoginIPLimit, true); err != nil {
		return nil, err
	}
	failed := func() error {
		// A failure spends the IP's budget; the answer is 401 either way.
		_ = s.loginBudget(ctx, ipKey, s.cfg.LoginIPLimit, false)
		return market.Errorf(market.EUNAUTHORIZED, "account or password is wrong")
	}
	cred, findErr := s.db.FindCredentials(ctx, account)
	unknown := market.ErrorCode(findErr) == market.ENOTFOUND
	if findErr != nil && !unknown {
		return nil, findErr
	}
	// The budget belongs to the account the database matched, else to the
	// normalised text: "USER@x.cn" and "user@x.cn" are one account and
	// must not get a budget each.
	key := "login:account:" + account
	if !unknown {
		key = "login:user:" + cred.User.ID
	}
	if err := s.loginBudget(ctx, key, s.cfg.LoginLimit, false); err != nil {
		return nil, err
	}
	if unknown {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash, []byte(password))
		return nil, failed()
	}
	if bcrypt.CompareHashAndPassword([]byte(cred.PasswordHash), []byte(password)) != nil {
		return nil, failed()
	}
	refresh, err := newRefreshToken()
	if err != nil {
		return nil, err
	}
	sid, err := s.db.CreateSession(ctx, cred.User.ID, hashToken(refresh), s.cfg.RefreshTTL)
	if err != nil {
		return nil, err
	}
	return s.tokens(ctx, cred.User.ID, sid, refresh)
}

// loginBudget spends one attempt of a login budget, or with peek only
// checks that one is left. A limiter that cannot be reached refuses the
// login (503) rather than lift the limit.
func (s *Service) loginBudget(ctx context.Context, key string, limit int, peek bool) error {
	check := s.limiter.Allow
	if peek {
		check = s.limiter.Peek
	}
	d, err := check(ctx, key, limit, s.cfg.LoginPeriod)
	if err != nil {
		return &market.Error{Code: market.EUNAVAILABLE, Message: "login is unavailable, try again shortly", Err: err}
	}
	if !d.Allowed {
		return &market.Error{Code: market.ERATELIMIT, Message: "too many login attempts, try again later",
			RetryAfter: retrySeconds(d.RetryAfter)}
	}
	return nil
}

func retrySeconds(d time.Duration) int {
	n := int((d + time.Second - 1) / time.Second)
	if n < 1 {
		n = 1
	}
	return n
}

// tokens signs an access token with the ring's signing key; a key from
// the database names itself in the header (kid), so other instances know
// which key to check it with.
func (s *Service) tokens(ctx context.Context, userID, sessionID, refresh string) (*market.Tokens, error) {
	now := time.Now()
	c := claims{SessionID: sessionID, RegisteredClaims: jwt.RegisteredClaims{
		Subject: userID, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
		Issuer: "techmarket",
	}}
	key := s.cfg.Keys.signing(ctx)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	if key.ID != "" {
		tok.Header["kid"] = key.ID
	}
	signed, err := tok.SignedString(key.Secret)
	if err != nil {
		return nil, err
	}
	return &market.Tokens{AccessToken: signed, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresIn: int(s.cfg.AccessTTL / time.Second)}, nil
}

// Refresh rotates the refresh token: the old one stops working.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*market.Tokens, error) {
	if refreshToken == "" {
		return nil, market.Invalid("refresh_token", "is required")
	}
	next, err := newRefreshToken()
	if err != nil {
		return nil, err
	}
	sid, uid, err := s.db.RotateSession(ctx, hashToken(refreshToken), hashToken(next), s.cfg.RefreshTTL)
	if err != nil {
		return nil, err
	}
	return s.tokens(ctx, uid, sid, next)
}

// Logout revokes the caller's session in the database (so its refresh
// token dies) and in the shared cache (so its access token dies on every
// instance at once). If the cache cannot be written the logout fails: a
// revocation that only some instances know of is not one.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	a := market.ActorFrom(ctx)
	if a == nil {
		return market.Errorf(market.EUNAUTHORIZED, "sign in first")
	}
	rh := ""
	if refreshToken != "" {
		rh = hashToken(refreshToken)
	}
	if err := s.db.RevokeSession(ctx, a.SessionID, rh); err != nil {
		return err
	}
	if err := s.cache.Set(ctx, revokedKey(a.SessionID), []byte("1"), s.cfg.AccessTTL+time.Minute); err != nil {
		return &market.Error{Code: market.EUNAVAILABLE, Message: "logout could not be shared with every server, try again", Err: err}
	}
	return nil
}

// Authenticate checks an access token's signature and expiry, then that
// its session was not revoked, then loads the actor. A cache failure
// refuses the token (fail closed) rather than risk letting a revoked one in.
func (s *Service) Authenticate(ctx context.Context, token string) (*market.Actor, error) {
	c, err := s.parse(ctx, token)
	if err != nil {
		return nil, market.Errorf(market.EUNAUTHORIZED, "access token is invalid or expired")
	}
	_, err = s.cache.Get(ctx, revokedKey(c.SessionID))
	switch {
	case err == nil:
		return nil, market.Errorf(market.EUNAUTHORIZED, "this session has ended, sign in again")
	case !errors.Is(err, cache.ErrMiss):
		return nil, &market.Error{Code: market.EUNAVAILABLE, Message: "cannot check the session now, try again shortly", Err: err}
	}
	return s.db.LoadActor(ctx, c.Subject, c.SessionID)
}

func (s *Service) parse(ctx context.Context, token string) (*claims, error) {
	// The key id is read before the signature is checked: it only picks
	// which of our own keys to check the signature with.
	var kid string
	if t, _, err := jwt.NewParser().ParseUnverified(token, &claims{}); err == nil {
		kid, _ = t.Header["kid"].(string)
	}
	var lastErr error
	for _, key := range s.cfg.Keys.verifying(ctx, kid) {
		var c claims
		_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key.Secret, nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("techmarket"), jwt.WithExpirationRequired())
		if err == nil && c.SessionID != "" && c.Subject != "" {
			return &c, nil
		}
		lastErr = err
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("token lacks subject or session")
	}
	return nil, lastErr
}

// Me returns the caller's user and org.
func (s *Service) Me(ctx context.Context) (*market.Me, error) { return s.db.Me(ctx) }

// WarmRevocations copies revocations that may still concern live access
// tokens from the database into the cache. The in-process cache starts
// empty after a restart; without this a token revoked just before it would
// work again until it expires.
func (s *Service) WarmRevocations(ctx context.Context) error {
	ids, err := s.db.RevokedSince(ctx, time.Now().Add(-s.cfg.AccessTTL-time.Minute))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.cache.Set(ctx, revokedKey(id), []byte("1"), s.cfg.AccessTTL+time.Minute); err != nil {
			return err
		}
	}
	return nil
}
