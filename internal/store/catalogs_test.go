package store_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// TestCatalogChangePath walks a catalog through the change path: a
// refused change (nothing to publish, someone who may not see the draft,
// a second publication) changes nothing and audits nothing; a publication
// freezes the matching items and is audited once.
func TestCatalogChangePath(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		catalogs := store.NewCatalogService(db)
		op := storetest.MustCreateOrg(t, db, market.OrgOperator, true)
		ent := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		kind, title, period := "demand", "2025年第四季度柳州市技术需求目录", "2025-Q4"
		c, err := catalogs.CreateCatalog(op.Ctx, market.CatalogInput{Kind: &kind, Title: &title, Period: &period,
			Filter: &market.CatalogFilter{Industries: []string{"automotive"}, RegionCodes: []string{"450200"}}})
		if err != nil {
			t.Fatal(err)
		}
		events := func() int {
			return storetest.Count(t, db, "audit_events", "entity = 'catalog' AND entity_id = ?", c.ID)
		}
		frozen := func() int { return storetest.Count(t, db, "catalog_items", "catalog_id = ?", c.ID) }
		if c.Status != market.CatalogDraft || c.ItemCount != 0 || events() != 1 {
			t.Fatalf("created: %+v, %d events", c, events())
		}

		_, err = catalogs.PublishCatalog(op.Ctx, c.ID)
		if fields := market.FieldNames(err); market.ErrorCode(err) != market.ECONFLICT || len(fields) != 1 || fields[0] != "filter" {
			t.Fatalf("publishing an empty catalog: %v (fields %v), want a conflict on filter", err, fields)
		}
		storetest.MustPublish(t, db, ent.Ctx, op.Ctx, market.KindDemand, storetest.Demand())
		if _, err := catalogs.PublishCatalog(ent.Ctx, c.ID); market.ErrorCode(err) != market.ENOTFOUND {
			t.Fatalf("an enterprise publishing a draft it cannot see: %v, want not found", err)
		}
		if got, err := catalogs.FindCatalog(op.Ctx, c.ID); err != nil || got.Status != market.CatalogDraft || frozen() != 0 || events() != 1 {
			t.Fatalf("after refused changes: %+v %v, %d frozen, %d events", got, err, frozen(), events())
		}

		c, err = catalogs.PublishCatalog(op.Ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != market.CatalogPublished || c.ItemCount != 1 || c.PublishedAt == nil || frozen() != 1 || events() != 2 {
			t.Fatalf("published: %+v, %d frozen, %d events", c, frozen(), events())
		}
		if _, err := catalogs.PublishCatalog(op.Ctx, c.ID); market.ErrorCode(err) != market.ECONFLICT {
			t.Fatalf("publishing twice: %v, want a conflict", err)
		}
		if frozen() != 1 || events() != 2 {
			t.Fatalf("after a second publication: %d frozen, %d events", frozen(), events())
		}
		if v, err := store.NewAuditService(db).VerifyAudit(storetest.Admin()); err != nil || !v.OK {
			t.Fatalf("audit chain: %+v %v", v, err)
		}
	})
}
