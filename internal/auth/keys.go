package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// KeyReload is how often an instance rereads the signing keys of the
// shared database, so a key added by `techmarket keys rotate` starts
// signing everywhere within it. A token whose key an instance does not
// know yet makes that instance reread them at once.
const KeyReload = time.Minute

// keyRetryGap bounds the rereads that unknown key ids can cause: a flood
// of forged tokens costs at most one query per gap.
const keyRetryGap = time.Second

// Key is one access-token signing key. ID is empty for keys given by
// configuration (they verify tokens without a key id).
type Key struct {
	ID     string
	Secret []byte
}

// KeyRing holds the signing keys: the first signs, all verify. Keys from
// configuration are fixed; keys from the shared database are reread every
// KeyReload, and at once for a token signed by a key not seen yet.
type KeyRing struct {
	load func(ctx context.Context) ([]Key, error) // nil: fixed keys
	now  func() time.Time
	// fixed are verify-only keys kept beside the loaded ones
	// (TECHMARKET_JWT_OLD_SECRETS during a move to database keys).
	fixed []Key

	mu       sync.Mutex
	keys     []Key
	loadedAt time.Time
	triedAt  time.Time
}

// StaticKeys is a ring of keys from configuration: secret signs, old
// verify.
func StaticKeys(secret []byte, old ...[]byte) *KeyRing {
	r := &KeyRing{now: time.Now, keys: []Key{{Secret: secret}}}
	for _, o := range old {
		r.keys = append(r.keys, Key{Secret: o})
	}
	return r
}

// KeyStore is the part of the store the database ring reads and writes.
type KeyStore interface {
	EnsureSigningKey(ctx context.Context, secret string) (bool, error)
	SigningKeys(ctx context.Context) ([]store.SigningKey, error)
}

// DatabaseKeys returns a ring over the shared database's keys, creating
// the first one if the database has none (whichever instance starts first
// creates it; the others read it). old keys only verify. now is the clock
// (nil: time.Now).
func DatabaseKeys(ctx context.Context, ks KeyStore, now func() time.Time, old ...[]byte) (*KeyRing, error) {
	if now == nil {
		now = time.Now
	}
	secret, err := NewSecret()
	if err != nil {
		return nil, err
	}
	if _, err := ks.EnsureSigningKey(ctx, secret); err != nil {
		return nil, err
	}
	r := &KeyRing{now: now, load: func(ctx context.Context) ([]Key, error) {
		rows, err := ks.SigningKeys(ctx)
		if err != nil {
			return nil, err
		}
		keys := make([]Key, len(rows))
		for i, k := range rows {
			keys[i] = Key{ID: k.ID, Secret: []byte(k.Secret)}
		}
		return keys, nil
	}}
	for _, o := range old {
		r.fixed = append(r.fixed, Key{Secret: o})
	}
	if err := r.reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// NewSecret returns a fresh random key: 32 bytes, hex.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// reload rereads the keys; r.mu must not be held.
func (r *KeyRing) reload(ctx context.Context) error {
	keys, err := r.load(ctx)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return errors.New("auth: the database holds no signing key")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys, r.loadedAt = append(keys, r.fixed...), r.now()
	return nil
}

// signing returns the key that signs new tokens, rereading the keys when
// they are older than KeyReload. A failed reread keeps the keys known:
// signing with the previous key is safe, every instance verifies it.
func (r *KeyRing) signing(ctx context.Context) Key {
	r.mu.Lock()
	stale := r.load != nil && r.now().Sub(r.loadedAt) >= KeyReload
	r.mu.Unlock()
	if stale {
		_ = r.reload(ctx)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys[0]
}

// verifying returns the keys to try on a token with key id kid: the one
// named, rereading the keys once if it is not known (it may be newer than
// this instance's copy), else every key.
func (r *KeyRing) verifying(ctx context.Context, kid string) []Key {
	if kid == "" || r.load == nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		return append([]Key(nil), r.keys...)
	}
	if k, ok := r.find(kid); ok {
		return []Key{k}
	}
	r.mu.Lock()
	retry := r.now().Sub(r.triedAt) >= keyRetryGap
	if retry {
		r.triedAt = r.now()
	}
	r.mu.Unlock()
	if retry && r.reload(ctx) == nil {
		if k, ok := r.find(kid); ok {
			return []Key{k}
		}
	}
	return nil
}

func (r *KeyRing) find(kid string) (Key, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.keys {
		if k.ID == kid {
			return k, true
		}
	}
	return Key{}, false
}
