package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

var admin = market.WithActor(context.Background(), &market.Actor{PlatformAdmin: true, Role: market.RoleAdmin})

// mustOrg registers a verified enterprise and returns a context acting as it.
func mustOrg(t *testing.T, db *store.DB, i int) context.Context {
	t.Helper()
	code := creditCode(i)
	o, err := store.NewOrgService(db).Register(admin, market.Registration{Kind: market.OrgEnterprise, Name: fmt.Sprintf("企业%d", i),
		CreditCode: code, RegionCode: "450203", ContactName: "张", ContactPhone: "0772-1234567",
		Admin: market.NewUser{Account: fmt.Sprintf("e%d@example.com", i), Password: "pass-word-1", Name: "管理员"}})
	if err != nil {
		t.Fatal(err)
	}
	return market.WithActor(context.Background(), &market.Actor{OrgID: o.ID, OrgKind: o.Kind, OrgVerified: true, Role: market.RoleAdmin})
}

func creditCode(i int) string {
	body := fmt.Sprintf("91450200MA%07d", i)
	c, ok := market.CreditCodeCheckChar(body)
	if !ok {
		panic(body)
	}
	return body + string(c)
}

func newDemand(t *testing.T, db *store.DB, ctx context.Context) *market.Item {
	t.Helper()
	title, desc, ind, region := "焊接工艺改进需求", "需要解决高强钢激光焊接的气孔问题。", "steel", "450203"
	modes := []string{"service"}
	it, err := store.NewItemService(db).CreateItem(ctx, market.KindDemand, market.DemandInput{Title: &title, Description: &desc,
		Industry: &ind, CooperationModes: &modes, RegionCode: &region})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// Many writers at once still produce one unbroken chain numbered without
// gaps: appends serialise on the chain's head row.
func TestAuditChainConcurrent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		const writers = 40
		ctxs := make([]context.Context, 4)
		for i := range ctxs {
			ctxs[i] = mustOrg(t, db, i)
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				title, desc, ind, region := fmt.Sprintf("需求%d", i), "需要解决高强钢激光焊接的气孔问题。", "steel", "450203"
				modes := []string{"service"}
				if _, err := store.NewItemService(db).CreateItem(ctxs[i%4], market.KindDemand, market.DemandInput{Title: &title,
					Description: &desc, Industry: &ind, CooperationModes: &modes, RegionCode: &region}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		v, err := store.NewAuditService(db).VerifyAudit(admin)
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK || v.Checked != writers+4 {
			t.Fatalf("verify: %+v, want ok with %d events", v, writers+4)
		}
		var maxSeq, n int64
		if err := db.SQL().QueryRow("SELECT MAX(seq), COUNT(*) FROM audit_events").Scan(&maxSeq, &n); err != nil {
			t.Fatal(err)
		}
		if maxSeq != n {
			t.Fatalf("seq has gaps: max %d over %d events", maxSeq, n)
		}
	})
}

// brokenAt returns the id a failed verification names, or "" for null.
func brokenAt(v *market.AuditVerification) string {
	if v.FirstBrokenID == nil {
		return ""
	}
	return *v.FirstBrokenID
}

// An edit made behind the API's back is found, and named.
func TestAuditTamper(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		ctx := mustOrg(t, db, 1)
		for range 5 {
			newDemand(t, db, ctx)
		}
		v, err := store.NewAuditService(db).VerifyAudit(admin)
		if err != nil || !v.OK || v.FirstBrokenID != nil || v.Checked != 6 {
			t.Fatalf("untouched trail: %+v %v", v, err)
		}
		var victim string
		if err := db.SQL().QueryRow("SELECT id FROM audit_events WHERE seq = 3").Scan(&victim); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec("UPDATE audit_events SET after_json = REPLACE(after_json, '焊接', '偷改') WHERE id = ?", victim); err != nil {
			t.Fatal(err)
		}
		v, err = store.NewAuditService(db).VerifyAudit(admin)
		if err != nil {
			t.Fatal(err)
		}
		if v.OK || brokenAt(v) != victim || v.Problem != market.AuditBrokenEvent || v.Checked != 3 {
			t.Fatalf("tampered event not found: %+v, want %s", v, victim)
		}

		// Deleting the newest events is found through the head, and named
		// by the last event that survives: the chain breaks after it.
		db2 := storetest.Open(t, dialect)
		ctx2 := mustOrg(t, db2, 2)
		newDemand(t, db2, ctx2)
		newDemand(t, db2, ctx2)
		var survivor string
		if err := db2.SQL().QueryRow("SELECT id FROM audit_events WHERE seq = 1").Scan(&survivor); err != nil {
			t.Fatal(err)
		}
		if _, err := db2.SQL().Exec("DELETE FROM audit_events WHERE seq > 1"); err != nil {
			t.Fatal(err)
		}
		if v, _ := store.NewAuditService(db2).VerifyAudit(admin); v.OK || brokenAt(v) != survivor || v.Problem != market.AuditBrokenTruncated {
			t.Fatalf("deleted newest events: %+v, want broken after %s", v, survivor)
		}
		// With nothing left, there is no event to name.
		if _, err := db2.SQL().Exec("DELETE FROM audit_events"); err != nil {
			t.Fatal(err)
		}
		if v, _ := store.NewAuditService(db2).VerifyAudit(admin); v.OK || v.FirstBrokenID != nil || v.Problem != market.AuditBrokenTruncated || v.Checked != 0 {
			t.Fatalf("emptied trail: %+v", v)
		}
		// A head rewritten to another hash no longer matches the last event.
		db3 := storetest.Open(t, dialect)
		newDemand(t, db3, mustOrg(t, db3, 3))
		var last string
		if err := db3.SQL().QueryRow("SELECT id FROM audit_events WHERE seq = 2").Scan(&last); err != nil {
			t.Fatal(err)
		}
		if _, err := db3.SQL().Exec("UPDATE audit_head SET hash = ? WHERE id = 1", strings.Repeat("0", 64)); err != nil {
			t.Fatal(err)
		}
		if v, _ := store.NewAuditService(db3).VerifyAudit(admin); v.OK || brokenAt(v) != last || v.Problem != market.AuditBrokenHead {
			t.Fatalf("rewritten head: %+v, want %s", v, last)
		}
		// Only admins and the bureau may read it.
		if _, err := store.NewAuditService(db2).VerifyAudit(ctx2); market.ErrorCode(err) != market.EFORBIDDEN {
			t.Fatalf("enterprise verifies audit: %v", err)
		}
	})
}

// Verifying while many writers append never reports a broken chain: the
// check stops at the head it read first, and what comes after is newer.
// A real edit made during the writes is still found.
func TestAuditVerifyDuringWrites(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		ctx := mustOrg(t, db, 1)
		const writers, edits = 10, 30 // 300 edits
		ids := make([]string, writers)
		for i := range ids {
			ids[i] = newDemand(t, db, ctx).ID
		}
		var wg sync.WaitGroup
		done := make(chan struct{})
		errs := make(chan error, writers+4)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range edits {
					title := fmt.Sprintf("焊接工艺改进需求 第%d版", n)
					if _, err := store.NewItemService(db).UpdateItem(ctx, market.KindDemand, ids[w], market.DemandInput{Title: &title}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		var verifies sync.Map
		var vg sync.WaitGroup
		for r := range 3 {
			vg.Add(1)
			go func() {
				defer vg.Done()
				n := 0
				for {
					select {
					case <-done:
						verifies.Store(r, n)
						return
					default:
					}
					v, err := store.NewAuditService(db).VerifyAudit(admin)
					if err != nil {
						errs <- err
						return
					}
					if !v.OK {
						errs <- fmt.Errorf("verify %d during writes: %+v", n, v)
						return
					}
					n++
				}
			}()
		}
		wg.Wait()
		close(done)
		vg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		total := 0
		verifies.Range(func(_, n any) bool { total += n.(int); return true })
		if total < 3 {
			t.Fatalf("only %d verifications ran during the writes", total)
		}
		t.Logf("%d verifications during %d edits, all ok", total, writers*edits)
		want := int64(1 + writers + writers*edits)
		if v, err := store.NewAuditService(db).VerifyAudit(admin); err != nil || !v.OK || v.Checked != want {
			t.Fatalf("after the writes: %+v %v, want ok with %d events", v, err, want)
		}

		// A tamper in the middle of the trail is still found and named.
		var victim string
		if err := db.SQL().QueryRow("SELECT id FROM audit_events WHERE seq = ?", want/2).Scan(&victim); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec("UPDATE audit_events SET actor_org_id = 'someone-else' WHERE id = ?", victim); err != nil {
			t.Fatal(err)
		}
		if v, _ := store.NewAuditService(db).VerifyAudit(admin); v.OK || brokenAt(v) != victim {
			t.Fatalf("tamper after concurrent writes: %+v, want %s", v, victim)
		}
	})
}

// GET /audit pages in chain order (seq), even where ids do not sort that
// way, as when two instances make ids in the same millisecond.
func TestAuditListsInChainOrder(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		// A valid chain of seven events whose ids run against their seq,
		// written the way appends write it.
		const n = 7
		prev := ""
		at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		var want []string
		for seq := int64(1); seq <= n; seq++ {
			ev := market.AuditEvent{ID: fmt.Sprintf("01J%023d", 100-seq), Seq: seq, Action: "create", Entity: "demand",
				EntityID: "01JDEMAND", Before: []byte("null"), After: []byte(`{"n":` + strconv.FormatInt(seq, 10) + `}`), At: at, PrevHash: prev}
			ev.Hash = ev.ComputeHash()
			if _, err := db.SQL().Exec(`INSERT INTO audit_events (id, seq, actor_user_id, actor_org_id, action, entity, entity_id,
				before_json, after_json, at, prev_hash, hash) VALUES (?, ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?)`,
				ev.ID, ev.Seq, ev.Action, ev.Entity, ev.EntityID, string(ev.Before), string(ev.After), ev.At, ev.PrevHash, ev.Hash); err != nil {
				t.Fatal(err)
			}
			prev = ev.Hash
			want = append(want, ev.ID)
		}
		if _, err := db.SQL().Exec("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", n, prev); err != nil {
			t.Fatal(err)
		}
		if v, err := store.NewAuditService(db).VerifyAudit(admin); err != nil || !v.OK || v.Checked != n {
			t.Fatalf("the fixture chain does not verify: %+v %v", v, err)
		}
		for _, f := range []market.AuditFilter{{}, {Entity: "demand"}, {Entity: "demand", EntityID: "01JDEMAND"}} {
			var got []string
			var seqs []int64
			f.Page = market.PageRequest{Limit: 3}
			for range n {
				p, err := store.NewAuditService(db).ListAudit(admin, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range p.Items {
					got, seqs = append(got, ev.ID), append(seqs, ev.Seq)
				}
				if p.NextCursor == "" {
					break
				}
				pr, err := market.ParsePage(p.NextCursor, "3")
				if err != nil {
					t.Fatal(err)
				}
				f.Page = pr
			}
			if !slices.Equal(got, want) {
				t.Fatalf("filter %+v: pages list %v (seq %v), want seq order %v", f, got, seqs, want)
			}
		}
		// A cursor that is not a seq is refused, naming the cursor.
		_, err := store.NewAuditService(db).ListAudit(admin, market.AuditFilter{Page: market.PageRequest{After: want[0], Limit: 3}})
		var me *market.Error
		if !errors.As(err, &me) || me.Code != market.EINVALID || me.Fields[0].Field != "cursor" {
			t.Fatalf("an id as cursor: %v", err)
		}
	})
}

// Two instances starting together migrate one after the other.
func TestMigrateConcurrently(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		if dialect == store.DialectSQLite {
			t.Skip("SQLite serves one process")
		}
		dsn := storetest.DSN(t, dialect)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := store.Open(context.Background(), dsn, t.TempDir(), store.Options{})
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				errs[i] = db.Migrate(context.Background(), nil)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestMySQLDSN(t *testing.T) {
	got, err := store.MySQLDSN("mysql://app:pw@tcp(db:3306)/techmarket")
	if err != nil {
		t.Fatal(err)
	}
	// loc=UTC is the driver's default, so FormatDSN leaves it out.
	for _, want := range []string{"parseTime=true", "charset=utf8mb4", "app:pw@tcp(db:3306)/techmarket"} {
		if !contains(got, want) {
			t.Errorf("%s lacks %s", got, want)
		}
	}
	if _, err := store.MySQLDSN("::not a dsn"); err == nil {
		t.Error("bad DSN accepted")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// The embedded default commits with synchronous=FULL: an acknowledged deal
// or payment is on disk before the answer, and survives a power cut.
func TestSQLiteCommitsDurably(t *testing.T) {
	db := storetest.Open(t, store.DialectSQLite)
	var mode, journal string
	if err := db.SQL().QueryRow("PRAGMA synchronous").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRow("PRAGMA journal_mode").Scan(&journal); err != nil {
		t.Fatal(err)
	}
	if mode != "2" || journal != "wal" { // 2 = FULL
		t.Fatalf("synchronous %s, journal_mode %s; want 2 (FULL) in WAL", mode, journal)
	}
}
