package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/liuzhou-techmarket/techmarket/internal/auth"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// clock is a time a test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

// TestDatabaseKeys: two instances on one database, no shared secret in
// their configuration, sign with the key the database holds; a rotation
// loses no token: old keys verify, and an instance that meets a token of
// a key newer than its copy rereads the keys at once.
func TestDatabaseKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ string, cfg config.Config) {
		sys := open(t, cfg)
		ctx := context.Background()
		org := storetest.MustCreateOrg(t, sys.DB, market.OrgEnterprise, true)
		clockA, clockB := &clock{t: time.Now()}, &clock{t: time.Now()}
		instance := func(c *clock) *auth.Service {
			ring, err := auth.DatabaseKeys(ctx, sys.DB, c.now)
			if err != nil {
				t.Fatal(err)
			}
			return auth.New(sys.Sessions, sys.Cache, sys.Cache, auth.Config{Keys: ring, AccessTTL: time.Minute, RefreshTTL: time.Hour,
				LoginLimit: 100, LoginIPLimit: 100, LoginPeriod: time.Minute}, quiet)
		}
		a, b := instance(clockA), instance(clockB)
		keys, err := sys.DB.SigningKeys(ctx)
		if err != nil || len(keys) != 1 || keys[0].ID != store.FirstSigningKeyID {
			t.Fatalf("keys after two instances started: %+v (%v)", keys, err)
		}

		tok, err := a.Login(ctx, org.Admin.Account, storetest.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if kid := kidOf(t, tok.AccessToken); kid != store.FirstSigningKeyID {
			t.Fatalf("kid %q", kid)
		}
		if _, err := b.Authenticate(ctx, tok.AccessToken); err != nil {
			t.Fatalf("a token of A on B: %v", err)
		}

		// techmarket keys rotate, while both run.
		k2, _, err := sys.DB.AddSigningKey(ctx, "rotated-secret-0123456789abcdef01234567", time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		// A signs with the key it knows until it rereads them.
		tok2, err := a.Refresh(ctx, tok.RefreshToken)
		if err != nil || kidOf(t, tok2.AccessToken) != store.FirstSigningKeyID {
			t.Fatalf("refresh before A rereads: %v", err)
		}
		clockA.add(auth.KeyReload)
		tok3, err := a.Refresh(ctx, tok2.RefreshToken)
		if err != nil || kidOf(t, tok3.AccessToken) != k2.ID {
			t.Fatalf("refresh after A reread the keys: %v, kid %q", err, kidOf(t, tok3.AccessToken))
		}
		// B has not reread: the unknown key id makes it.
		if _, err := b.Authenticate(ctx, tok3.AccessToken); err != nil {
			t.Fatalf("a token of the new key on B: %v", err)
		}
		// Tokens of the old key still verify everywhere.
		for name, s := range map[string]*auth.Service{"A": a, "B": b} {
			if _, err := s.Authenticate(ctx, tok2.AccessToken); err != nil {
				t.Fatalf("old-key token on %s after the rotation: %v", name, err)
			}
		}

		// A token naming a key nobody has, or a real key id with a wrong
		// secret, is refused.
		claims := jwt.MapClaims{"sub": "u", "sid": "s", "iss": "techmarket", "exp": time.Now().Add(time.Minute).Unix()}
		for name, kid := range map[string]string{"unknown kid": "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "known kid, wrong secret": k2.ID} {
			forged := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
			forged.Header["kid"] = kid
			s, _ := forged.SignedString([]byte("not-our-key-not-our-key-not-our-key!"))
			_, err := b.Authenticate(ctx, s)
			mustCode(t, name, err, market.EUNAUTHORIZED)
		}
	})
}

// A configured TECHMARKET_JWT_SECRET overrides the database keys: its
// tokens carry no key id and database-key tokens do not verify with it.
func TestStaticSecretOverridesDatabaseKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ string, cfg config.Config) {
		sys := open(t, cfg) // apptest.Config sets a secret
		ctx := context.Background()
		org := storetest.MustCreateOrg(t, sys.DB, market.OrgEnterprise, true)
		tok, err := sys.Auth.Login(ctx, org.Admin.Account, storetest.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if kid := kidOf(t, tok.AccessToken); kid != "" {
			t.Fatalf("a configured secret's token names key %q", kid)
		}
		ring, err := auth.DatabaseKeys(ctx, sys.DB, nil)
		if err != nil {
			t.Fatal(err)
		}
		dbKeys := auth.New(sys.Sessions, sys.Cache, sys.Cache, auth.Config{Keys: ring, AccessTTL: time.Minute, RefreshTTL: time.Hour,
			LoginLimit: 100, LoginIPLimit: 100, LoginPeriod: time.Minute}, quiet)
		_, err = dbKeys.Authenticate(ctx, tok.AccessToken)
		mustCode(t, "secret token checked with the database keys", err, market.EUNAUTHORIZED)
	})
}
