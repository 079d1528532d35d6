package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// Instances that start together on an empty database race to create the
// first signing key: exactly one creates it, and all of them read the same
// key.
func TestEnsureSigningKeyRace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		dir := t.TempDir()
		const n = 8
		// One handle per "instance" on MySQL; SQLite allows one process.
		dbs := make([]*store.DB, n)
		for i := range dbs {
			if i > 0 && dialect == store.DialectSQLite {
				dbs[i] = dbs[0]
				continue
			}
			db, err := store.Open(context.Background(), dsn, dir, store.Options{PasswordCost: 4})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.Migrate(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			dbs[i] = db
		}
		var created atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				c, err := dbs[i].EnsureSigningKey(context.Background(), fmt.Sprintf("secret-of-instance-%02d-0123456789abcdef", i))
				errs[i] = err
				if c {
					created.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("instance %d: %v", i, err)
			}
		}
		if created.Load() != 1 {
			t.Fatalf("%d instances created the first key, want 1", created.Load())
		}
		var first string
		for i, db := range dbs {
			keys, err := db.SigningKeys(context.Background())
			if err != nil || len(keys) != 1 || keys[0].ID != store.FirstSigningKeyID {
				t.Fatalf("instance %d reads %+v (%v)", i, keys, err)
			}
			if i == 0 {
				first = keys[0].Secret
			} else if keys[0].Secret != first {
				t.Fatalf("instance %d reads another key", i)
			}
		}
		if n := storetest.Count(t, dbs[0], "audit_events", "entity = 'signing_key' AND action = 'create'"); n != 1 {
			t.Fatalf("%d audit events for the first key, want 1", n)
		}
	})
}

// A rotation adds the newest key; keys whose tokens have all expired
// (older than the newest key that already existed at retireBefore) go.
func TestAddSigningKeyRetires(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		now := t0
		db := storetest.OpenWith(t, dialect, store.Options{PasswordCost: 4, Now: func() time.Time { return now }})
		if _, err := db.EnsureSigningKey(ctx, "first-secret-0123456789abcdef0123456789"); err != nil {
			t.Fatal(err)
		}
		now = t0.Add(10 * time.Minute)
		k1, retired, err := db.AddSigningKey(ctx, "second-secret-0123456789abcdef012345678", now.Add(-17*time.Minute))
		if err != nil || retired != 0 {
			t.Fatalf("first rotation: %v, %d retired", err, retired)
		}
		keys, _ := db.SigningKeys(ctx)
		if len(keys) != 2 || keys[0].ID != k1.ID || keys[1].ID != store.FirstSigningKeyID {
			t.Fatalf("after the first rotation: %+v", keys)
		}
		// 20 minutes on, k1 has signed for longer than a token lives: the
		// first key can go, k1 stays (its tokens may still be live).
		now = t0.Add(30 * time.Minute)
		k2, retired, err := db.AddSigningKey(ctx, "third-secret-0123456789abcdef0123456789", now.Add(-17*time.Minute))
		if err != nil || retired != 1 {
			t.Fatalf("second rotation: %v, %d retired", err, retired)
		}
		keys, _ = db.SigningKeys(ctx)
		if len(keys) != 2 || keys[0].ID != k2.ID || keys[1].ID != k1.ID {
			t.Fatalf("after the second rotation: %+v", keys)
		}
		if n := storetest.Count(t, db, "audit_events", "entity = 'signing_key'"); n != 4 { // create, rotate, retire, rotate
			t.Fatalf("%d signing_key audit events, want 4", n)
		}
		var leaked int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM audit_events WHERE after_json LIKE '%secret%' OR before_json LIKE '%secret%'").Scan(&leaked); err != nil || leaked != 0 {
			t.Fatalf("the audit trail holds a key's secret: %d (%v)", leaked, err)
		}
	})
}
