package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// clock is a time the test moves.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// A session keeps only the hash it is given, rotates it conditionally,
// and dies on revocation or expiry.
func TestSessions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		clk := newClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		db := storetest.OpenWith(t, dialect, store.Options{Now: clk.now})
		ctx := context.Background()
		org := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		uid := org.Admin.ID

		sid, err := store.NewSessionService(db).CreateSession(ctx, uid, "hash-1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if n := storetest.Count(t, db, "sessions", "id = ? AND user_id = ? AND refresh_hash = 'hash-1' AND revoked_at IS NULL", sid, uid); n != 1 {
			t.Fatal("session row not as created")
		}
		got, gotUser, err := store.NewSessionService(db).RotateSession(ctx, "hash-1", "hash-2", time.Hour)
		if err != nil || got != sid || gotUser != uid {
			t.Fatalf("rotate: %s %s %v", got, gotUser, err)
		}
		// The old hash is spent; the new one works once.
		_, _, err = store.NewSessionService(db).RotateSession(ctx, "hash-1", "hash-3", time.Hour)
		wantCode(t, "rotate a spent hash", err, market.EUNAUTHORIZED)
		_, _, err = store.NewSessionService(db).RotateSession(ctx, "never-issued", "hash-3", time.Hour)
		wantCode(t, "rotate an unknown hash", err, market.EUNAUTHORIZED)
		if n := storetest.Count(t, db, "sessions", "refresh_hash = 'hash-2'"); n != 1 {
			t.Fatal("the rotated hash is not stored")
		}

		// Revoking needs the session's current hash when one is named.
		err = store.NewSessionService(db).RevokeSession(ctx, sid, "hash-1")
		wantCode(t, "revoke with a stale hash", err, market.EINVALID, "refresh_token")
		revokedAt := clk.now()
		if err := store.NewSessionService(db).RevokeSession(ctx, sid, "hash-2"); err != nil {
			t.Fatal(err)
		}
		_, _, err = store.NewSessionService(db).RotateSession(ctx, "hash-2", "hash-3", time.Hour)
		wantCode(t, "rotate a revoked session", err, market.EUNAUTHORIZED)
		ids, err := store.NewSessionService(db).RevokedSince(ctx, revokedAt.Add(-time.Second))
		if err != nil || len(ids) != 1 || ids[0] != sid {
			t.Fatalf("revoked since: %v %v", ids, err)
		}
		if ids, _ := store.NewSessionService(db).RevokedSince(ctx, revokedAt.Add(time.Second)); len(ids) != 0 {
			t.Fatalf("revoked since later: %v", ids)
		}

		// An expired session does not rotate; each rotation extends it.
		sid2, err := store.NewSessionService(db).CreateSession(ctx, uid, "hash-a", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		clk.advance(50 * time.Minute)
		if _, _, err := store.NewSessionService(db).RotateSession(ctx, "hash-a", "hash-b", time.Hour); err != nil {
			t.Fatalf("rotate before expiry: %v", err)
		}
		clk.advance(50 * time.Minute) // past the first expiry, inside the extended one
		if _, _, err := store.NewSessionService(db).RotateSession(ctx, "hash-b", "hash-c", time.Hour); err != nil {
			t.Fatalf("rotate inside the extended lifetime: %v", err)
		}
		clk.advance(61 * time.Minute)
		_, _, err = store.NewSessionService(db).RotateSession(ctx, "hash-c", "hash-d", time.Hour)
		wantCode(t, "rotate an expired session", err, market.EUNAUTHORIZED)
		// Revoking without a hash ends it too.
		if err := store.NewSessionService(db).RevokeSession(ctx, sid2, ""); err != nil {
			t.Fatal(err)
		}
		if n := storetest.Count(t, db, "sessions", "id = ? AND revoked_at IS NOT NULL", sid2); n != 1 {
			t.Fatal("session not revoked")
		}
		// A deleted account's tokens stop working.
		_, err = store.NewSessionService(db).LoadActor(ctx, "01HZZZZZZZZZZZZZZZZZZZZZZZ", sid)
		wantCode(t, "actor of no user", err, market.EUNAUTHORIZED)
	})
}

// Many refreshes with one token at once: exactly one rotates it.
func TestRotateSessionConcurrently(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		ctx := context.Background()
		org := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		if _, err := store.NewSessionService(db).CreateSession(ctx, org.Admin.ID, "shared", time.Hour); err != nil {
			t.Fatal(err)
		}
		const n = 20
		var wg sync.WaitGroup
		var won atomic.Int32
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := store.NewSessionService(db).RotateSession(ctx, "shared", fmt.Sprintf("next-%d", i), time.Hour)
				switch market.ErrorCode(err) {
				case "":
					won.Add(1)
				case market.EUNAUTHORIZED:
				default:
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if won.Load() != 1 || storetest.Count(t, db, "sessions", "refresh_hash LIKE 'next-%'") != 1 {
			t.Fatalf("%d refreshes won, want 1", won.Load())
		}
	})
}
