// Package pricing runs the price-discovery work that no request starts:
// the close of auctions at their end and the end of notice periods. Every
// instance runs a Sweeper; the store's conditional updates under row
// locks make exactly one of them do each close, and any of them do it
// when another instance died.
package pricing

import (
	"context"
	"log/slog"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// DefaultInterval is how often a Sweeper looks for due work: an auction
// closes within about a second of its end.
const DefaultInterval = time.Second

// Sweeper closes due auctions and ends due notice periods. The rules'
// clock is the services' own (injected in tests); the interval is real
// time.
type Sweeper struct {
	Auctions market.AuctionService
	Notices  market.NoticeService
	Interval time.Duration
	Log      *slog.Logger
}

// Sweep does the due work once and reports what it did.
func (s *Sweeper) Sweep(ctx context.Context) (closed, ended int, err error) {
	if closed, err = s.Auctions.CloseDue(ctx); err != nil {
		return closed, 0, err
	}
	ended, err = s.Notices.EndDue(ctx)
	return closed, ended, err
}

// Run sweeps every Interval until ctx ends. A failed sweep is logged and
// tried again at the next tick.
func (s *Sweeper) Run(ctx context.Context) {
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if closed, ended, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("price discovery sweep failed; trying again at the next tick", "err", err)
		} else if closed+ended > 0 {
			log.Info("price discovery sweep", "auctions_closed", closed, "notices_ended", ended)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
