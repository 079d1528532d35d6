package store

import (
	"context"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// SessionService holds the session aggregate's methods over db.
type SessionService struct{ db *DB }

// NewSessionService returns the session service over db.
func NewSessionService(db *DB) *SessionService { return &SessionService{db: db} }

type sessionRow struct {
	ID          string `gorm:"primaryKey"`
	UserID      string
	RefreshHash string
	ExpiresAt   time.Time
	RevokedAt   *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (sessionRow) TableName() string { return "sessions" }

// Credentials is an account with its password hash, for login.
type Credentials struct {
	User         market.User
	PasswordHash string
}

// FindCredentials looks an account up for login.
func (s *SessionService) FindCredentials(ctx context.Context, account string) (_ *Credentials, err error) {
	defer wrap(&err, "store.FindCredentials(%q)", account)
	var row userRow
	err = s.db.gorm.WithContext(ctx).First(&row, "account = ?", account).Error
	if err := translate(err, func() error { return market.Errorf(market.ENOTFOUND, "no such account") }); err != nil {
		return nil, err
	}
	return &Credentials{User: row.user(), PasswordHash: row.PasswordHash}, nil
}

// CreateSession starts a session for a user with the hash of its first
// refresh token.
func (s *SessionService) CreateSession(ctx context.Context, userID, refreshHash string, ttl time.Duration) (_ string, err error) {
	defer wrap(&err, "store.CreateSession(%q)", userID)
	now := s.db.now()
	row := sessionRow{ID: ulid.Make().String(), UserID: userID, RefreshHash: refreshHash,
		ExpiresAt: now.Add(ttl), CreatedAt: now, UpdatedAt: now}
	return row.ID, s.db.gorm.WithContext(ctx).Create(&row).Error
}

// RotateSession swaps a live session's refresh token for a new one. The
// update is conditional on the old hash, so of two concurrent refreshes
// with the same token exactly one wins.
func (s *SessionService) RotateSession(ctx context.Context, oldHash, newHash string, ttl time.Duration) (sessionID, userID string, err error) {
	defer wrap(&err, "store.RotateSession")
	now := s.db.now()
	var row sessionRow
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&row, "refresh_hash = ?", oldHash).Error; err != nil {
			return err
		}
		res := tx.Model(&sessionRow{}).
			Where("id = ? AND refresh_hash = ? AND revoked_at IS NULL AND expires_at > ?", row.ID, oldHash, now).
			Updates(map[string]any{"refresh_hash": newHash, "expires_at": now.Add(ttl), "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errNotFound
		}
		return nil
	})
	if err != nil {
		return "", "", translate(err, func() error {
			return market.Errorf(market.EUNAUTHORIZED, "refresh token is invalid, expired or revoked")
		})
	}
	return row.ID, row.UserID, nil
}

// RevokeSession ends a session. When refreshHash is not empty it must be
// the session's current refresh token.
func (s *SessionService) RevokeSession(ctx context.Context, sessionID, refreshHash string) (err error) {
	defer wrap(&err, "store.RevokeSession(%q)", sessionID)
	q := s.db.gorm.WithContext(ctx).Model(&sessionRow{}).Where("id = ?", sessionID)
	if refreshHash != "" {
		var n int64
		if err := s.db.gorm.WithContext(ctx).Model(&sessionRow{}).Where("id = ? AND refresh_hash = ?", sessionID, refreshHash).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return market.Invalid("refresh_token", "does not belong to this session")
		}
	}
	now := s.db.now()
	return q.Where("revoked_at IS NULL").Updates(map[string]any{"revoked_at": now, "updated_at": now}).Error
}

// RevokedSince lists sessions revoked after t, so a restarted process can
// reload revocations that are still relevant into its cache.
func (s *SessionService) RevokedSince(ctx context.Context, t time.Time) (_ []string, err error) {
	defer wrap(&err, "store.RevokedSince")
	var ids []string
	err = s.db.gorm.WithContext(ctx).Model(&sessionRow{}).Where("revoked_at > ?", t).Pluck("id", &ids).Error
	return ids, err
}

// LoadActor reads the user and org behind a token.
func (s *SessionService) LoadActor(ctx context.Context, userID, sessionID string) (_ *market.Actor, err error) {
	defer wrap(&err, "store.LoadActor(%q, %q)", userID, sessionID)
	var u userRow
	err = s.db.gorm.WithContext(ctx).First(&u, "id = ?", userID).Error
	if err := translate(err, func() error { return market.Errorf(market.EUNAUTHORIZED, "the account no longer exists") }); err != nil {
		return nil, err
	}
	a := &market.Actor{UserID: u.ID, Role: u.Role, PlatformAdmin: u.PlatformAdmin, SessionID: sessionID}
	if u.OrgID != nil {
		o, err := s.db.findOrg(ctx, s.db.gorm, *u.OrgID)
		if err != nil {
			return nil, err
		}
		a.OrgID, a.OrgKind, a.OrgVerified, a.Market = o.ID, o.Kind, o.Verified, o.Market
	}
	return a, nil
}

// Me returns the caller's user and org.
func (s *SessionService) Me(ctx context.Context) (_ *market.Me, err error) {
	defer wrap(&err, "store.Me")
	a := market.ActorFrom(ctx)
	if a == nil {
		return nil, market.Errorf(market.EUNAUTHORIZED, "sign in first")
	}
	var u userRow
	if err := s.db.gorm.WithContext(ctx).First(&u, "id = ?", a.UserID).Error; err != nil {
		return nil, err
	}
	me := &market.Me{User: u.user()}
	if u.OrgID != nil {
		o, err := s.db.findOrg(ctx, s.db.gorm, *u.OrgID)
		if err != nil {
			return nil, err
		}
		me.Org = o
	}
	return me, nil
}

// PasswordCost is the bcrypt cost of new password hashes, for a login's
// dummy comparison to take as long as a real one.
func (s *SessionService) PasswordCost() int { return s.db.PasswordCost() }
