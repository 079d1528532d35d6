package main

import (
	"context"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/seed"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// sweptAuctions is the seeder's auction service with a running server's
// sweep made right after each auction is created: the moment the demo's
// past auction, its end long gone, has no bid yet.
type sweptAuctions struct {
	market.AuctionService
	t      *testing.T
	server market.AuctionService
}

func (s sweptAuctions) CreateAuction(ctx context.Context, n market.NewAuction) (*market.Auction, error) {
	a, err := s.AuctionService.CreateAuction(ctx, n)
	if err == nil {
		if _, err := s.server.CloseDue(ctx); err != nil {
			s.t.Errorf("the server's sweep: %v", err)
		}
	}
	return a, err
}

// The demo's auction held ten days ago is sold even when a server already
// runs on the database and sweeps due auctions while the seeder bids: the
// server sees the auction only once the seeder has sold it. Before, seed
// failed with "auction … is unsold" whenever the sweep came first.
func TestSeedWhileAnotherInstanceSweeps(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		env := map[string]string{"TECHMARKET_DATA_DIR": t.TempDir(), "TECHMARKET_DB_DSN": storetest.DSN(t, dialect),
			"TECHMARKET_BCRYPT_COST": "4"}
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		open := func() *store.DB {
			db, err := app.OpenDB(ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		seeder, server := open(), open()
		uploads, err := app.OpenFiles(cfg)
		if err != nil {
			t.Fatal(err)
		}
		svc := demoServices(seeder, cfg, uploads)
		serverAuctions := store.NewAuctionService(server, store.PriceOptions{})
		pricing := svc.Pricing
		svc.Pricing = func(ctx context.Context, now func() time.Time, fn func(market.NoticeService, market.AuctionService) error) error {
			return pricing(ctx, now, func(ns market.NoticeService, as market.AuctionService) error {
				return fn(ns, sweptAuctions{AuctionService: as, t: t, server: serverAuctions})
			})
		}
		data, err := seed.Load()
		if err != nil {
			t.Fatal(err)
		}
		n, err := seed.Apply(ctx, svc, data, "demo-pass-1")
		if err != nil {
			t.Fatalf("seed while another instance sweeps: %v", err)
		}
		if n.Auctions != 2 {
			t.Fatalf("seeded %d auctions, want 2", n.Auctions)
		}
		for status, want := range map[string]int{market.AuctionSold: 1, market.AuctionUnsold: 0} {
			page, err := serverAuctions.ListAuctions(storetest.Admin(), market.AuctionFilter{Status: status, Page: market.PageRequest{Limit: 10}})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != want {
				t.Errorf("%d %s auctions after seeding, want %d", len(page.Items), status, want)
			}
		}
	})
}
