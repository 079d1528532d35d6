package store_test

import (
	"fmt"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// BenchmarkUpdateItem measures one state change through the store's
// change path: lock, visibility, permission, transition, save, audit, in
// one transaction (a draft: no fence, no outbox row).
func BenchmarkUpdateItem(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			ent := storetest.MustCreateOrg(b, db, market.OrgEnterprise, true)
			it := storetest.MustCreateItem(b, db, ent.Ctx, market.KindDemand, storetest.Demand())
			items := store.NewItemService(db)
			titles := [2]string{"汽车车身轻量化技术需求（修订）", "汽车车身轻量化技术需求"}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				title := titles[i%2]
				i++
				if _, err := items.UpdateItem(ent.Ctx, market.KindDemand, it.ID, market.DemandInput{Title: &title}); err != nil {
					b.Fatal(fmt.Sprint(i, err))
				}
			}
		})
	}
}
