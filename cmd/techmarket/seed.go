package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/app"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/files"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/seed"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// cmdSeed loads the demo data set: orgs of both markets (their admins sign
// in with --password), demands and achievements in every state, and the
// bureau's subsidy policy.
func cmdSeed(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stdout)
	demo := fs.Bool("demo", false, "load the demo data set")
	password := fs.String("password", "demo-pass-2026", "password of every demo org admin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*demo {
		return errors.New("usage: techmarket seed --demo [--password P]")
	}
	data, err := seed.Load()
	if err != nil {
		return err
	}
	// The services are the store's; published items reach the search
	// index through their outbox rows, applied by serve's worker. So seed
	// needs neither the cache nor the engine, and runs while serve holds
	// the embedded index.
	db, err := openDB(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	uploads, err := app.OpenFiles(cfg)
	if err != nil {
		return err
	}
	n, err := seed.Apply(ctx, demoServices(db, cfg, uploads), data, *password)
	if errors.Is(err, seed.ErrAlreadyLoaded) {
		fmt.Fprintln(stdout, "demo data is already loaded; nothing to do")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %d orgs, %d demands, %d achievements, %d subsidy policies, %d notices, %d auctions, "+
		"%d instruments, %d bookings, %d services, %d service orders; org admins sign in with password %q\n",
		n.Orgs, n.Demands, n.Achievements, n.SubsidyPolicies, n.Notices, n.Auctions,
		n.Instruments, n.Bookings, n.Services, n.ServiceOrders, *password)
	return nil
}

// demoServices are the store's services the seeder writes through. The
// demo's notices and auctions are made on the seeder's clock (one auction
// is held in the past) in one transaction; nobody watches their feeds yet.
func demoServices(db *store.DB, cfg config.Config, uploads *files.Local) seed.Services {
	pricing := func(ctx context.Context, now func() time.Time, fn func(market.NoticeService, market.AuctionService) error) error {
		return db.Atomically(ctx, func(tx *store.DB) error {
			opt := store.PriceOptions{Now: now, NoticeMinDays: cfg.NoticeMinDays}
			a := store.NewAuctionService(tx, opt)
			return fn(store.NewNoticeService(tx, a, opt), a)
		})
	}
	sharing := &seed.SharingServices{Instruments: store.NewInstrumentService(db), Bookings: store.NewBookingService(db),
		Services: store.NewServiceService(db), ServiceOrders: store.NewServiceOrderService(db, uploads)}
	return seed.Services{Orgs: store.NewOrgService(db), Items: store.NewItemService(db), Subsidies: store.NewSubsidyService(db),
		Pricing: pricing, Sharing: sharing}
}
