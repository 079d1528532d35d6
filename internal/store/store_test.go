package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

var admin = market.WithActor(context.Background(), &market.Actor{PlatformAdmin: true, Role: market.RoleAdmin})

// mustOrg registers a verified enterprise and returns a context acting as it.
func mustOrg(t *testing.T, db *store.DB, i int) context.Context {
	t.Helper()
	code := creditCode(i)
	o, err := db.Register(admin, market.Registration{Kind: market.OrgEnterprise, Name: fmt.Sprintf("企业%d", i),
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
	it, err := db.CreateItem(ctx, market.KindDemand, market.DemandInput{Title: &title, Description: &desc,
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
				if _, err := db.CreateItem(ctxs[i%4], market.KindDemand, market.DemandInput{Title: &title,
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
		v, err := db.VerifyAudit(admin)
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

// An edit made behind the API's back is found, and named.
func TestAuditTamper(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		ctx := mustOrg(t, db, 1)
		for range 5 {
			newDemand(t, db, ctx)
		}
		var victim string
		if err := db.SQL().QueryRow("SELECT id FROM audit_events WHERE seq = 3").Scan(&victim); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec("UPDATE audit_events SET after_json = REPLACE(after_json, '焊接', '偷改') WHERE id = ?", victim); err != nil {
			t.Fatal(err)
		}
		v, err := db.VerifyAudit(admin)
		if err != nil {
			t.Fatal(err)
		}
		if v.OK || v.FirstBrokenID != victim {
			t.Fatalf("tampered event not found: %+v, want %s", v, victim)
		}

		// Deleting the newest event is found through the head.
		db2 := storetest.Open(t, dialect)
		ctx2 := mustOrg(t, db2, 2)
		newDemand(t, db2, ctx2)
		if _, err := db2.SQL().Exec("DELETE FROM audit_events WHERE seq = (SELECT m FROM (SELECT MAX(seq) AS m FROM audit_events) x)"); err != nil {
			t.Fatal(err)
		}
		if v, _ := db2.VerifyAudit(admin); v.OK {
			t.Fatal("deleted newest event not found")
		}
		// Only admins and the bureau may read it.
		if _, err := db2.VerifyAudit(ctx2); market.ErrorCode(err) != market.EFORBIDDEN {
			t.Fatalf("enterprise verifies audit: %v", err)
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
