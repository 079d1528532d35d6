package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// feedCache keeps, per auction with streams on this instance, the latest
// events read from the database, so that a poke makes one read however
// many streams watch: the first stream that finds the hub's generation
// moved (or the copy older than a second) reads what is new; the others
// take it from memory. A stream resuming from before the copy reads the
// database itself.
type feedCache struct {
	mu    sync.Mutex
	feeds map[string]*feed
}

type feed struct {
	mu     sync.Mutex
	users  int
	events []market.AuctionEvent // consecutive, newest last
	hi     int64                 // the highest seq read
	gen    uint64                // the hub's generation at the last read
	read   time.Time
}

// feedKeep bounds the events kept per auction.
const feedKeep = 1024

func (fc *feedCache) acquire(id string) *feed {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.feeds == nil {
		fc.feeds = map[string]*feed{}
	}
	f := fc.feeds[id]
	if f == nil {
		f = &feed{hi: -1}
		fc.feeds[id] = f
	}
	f.users++
	return f
}

func (fc *feedCache) release(id string, f *feed) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if f.users--; f.users == 0 {
		delete(fc.feeds, id)
	}
}

// after returns the events after seq, from the copy when it holds them.
func (f *feed) after(ctx context.Context, svc market.AuctionService, live Live, id string, seq int64) ([]market.AuctionEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hi < 0 || (len(f.events) > 0 && seq < f.events[0].Seq-1) || (len(f.events) == 0 && seq < f.hi) {
		// Nothing kept yet, or the stream resumes from before the copy.
		evs, err := svc.EventsAfter(ctx, id, seq, sseBatch)
		if err == nil && f.hi < 0 {
			f.keep(evs, seq)
		}
		return evs, err
	}
	if seq >= f.hi {
		gen := live.Generation(id)
		if gen == f.gen && time.Since(f.read) < time.Second {
			return nil, nil // nothing new since the last read
		}
		// The generation is taken before the read: a poke during it makes
		// the next caller read again.
		evs, err := svc.EventsAfter(ctx, id, f.hi, sseBatch)
		if err != nil {
			return nil, err
		}
		f.gen, f.read = gen, time.Now()
		f.keep(evs, f.hi)
	}
	i := 0
	for i < len(f.events) && f.events[i].Seq <= seq {
		i++
	}
	return append([]market.AuctionEvent(nil), f.events[i:]...), nil
}

// keep appends events read after seq.
func (f *feed) keep(evs []market.AuctionEvent, seq int64) {
	if f.hi < 0 {
		f.hi, f.read = seq, time.Now()
	}
	for _, ev := range evs {
		if ev.Seq == f.hi+1 {
			f.events = append(f.events, ev)
			f.hi = ev.Seq
		}
	}
	if len(f.events) > feedKeep {
		f.events = append([]market.AuctionEvent(nil), f.events[len(f.events)-feedKeep:]...)
	}
}
