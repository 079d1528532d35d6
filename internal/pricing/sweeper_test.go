package pricing

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type fakeAuctions struct {
	market.AuctionService
	calls atomic.Int64
	err   error
}

func (f *fakeAuctions) CloseDue(context.Context) (int, error) { f.calls.Add(1); return 1, f.err }

type fakeNotices struct {
	market.NoticeService
	calls atomic.Int64
}

func (f *fakeNotices) EndDue(context.Context) (int, error) { f.calls.Add(1); return 2, nil }

// Sweep closes auctions then ends notices; a failed close stops the sweep
// and reports it; Run sweeps at once, then every interval, until ctx ends.
func TestSweeper(t *testing.T) {
	a, n := &fakeAuctions{}, &fakeNotices{}
	s := &Sweeper{Auctions: a, Notices: n, Interval: 10 * time.Millisecond}
	if c, e, err := s.Sweep(context.Background()); c != 1 || e != 2 || err != nil {
		t.Fatalf("sweep: %d %d %v", c, e, err)
	}
	a.err = errors.New("database down")
	if _, _, err := s.Sweep(context.Background()); err == nil || n.calls.Load() != 1 {
		t.Fatalf("a failed close: err %v, notices swept %d times", err, n.calls.Load())
	}
	a.err = nil
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for a.calls.Load() < 5 {
		if time.Now().After(deadline) {
			t.Fatal("Run does not sweep every interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run does not end with its context")
	}
}
