// Package live tells the server-sent-event streams of auctions that their
// feed grew. The feed itself is in the database (auction_events, numbered
// per auction); what travels here is only a poke naming the auction, so a
// lost poke costs latency, never an event: every stream also reads the
// feed on a timer. On the embedded default the pokes stay in process; on
// the production stack a Redis channel carries them to every instance.
package live

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Hub fans pokes out to the streams of this process, per auction.
type Hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
	// gen counts the pokes of each auction that has streams here.
	gen map[string]uint64
	// publish carries a poke to the other instances; nil in process.
	publish func(auctionID string)
}

// NewHub returns a hub with no relay: pokes reach this process only.
func NewHub() *Hub {
	return &Hub{subs: map[string]map[chan struct{}]struct{}{}, gen: map[string]uint64{}}
}

// Subscribe returns a channel that receives a value after the auction's
// feed grew (pokes coalesce: one pending value at most), and the function
// that ends the subscription.
func (h *Hub) Subscribe(auctionID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[auctionID] == nil {
		h.subs[auctionID] = map[chan struct{}]struct{}{}
	}
	h.subs[auctionID][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[auctionID], ch)
		if len(h.subs[auctionID]) == 0 {
			delete(h.subs, auctionID)
			delete(h.gen, auctionID)
		}
		h.mu.Unlock()
	}
}

// Subscribers counts the streams of this process on an auction.
func (h *Hub) Subscribers(auctionID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[auctionID])
}

// Generation counts the pokes the auction's streams here have had: a
// shared reader of the feed reads the database again only when it moved.
func (h *Hub) Generation(auctionID string) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gen[auctionID]
}

// Local pokes the streams of this process on the auction. It never blocks.
func (h *Hub) Local(auctionID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[auctionID] != nil {
		h.gen[auctionID]++
	}
	for ch := range h.subs[auctionID] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Notify pokes the auction's streams here and, through the relay, on every
// other instance. The store calls it after a change to the feed commits.
func (h *Hub) Notify(auctionID string) {
	h.Local(auctionID)
	if h.publish != nil {
		h.publish(auctionID)
	}
}

// RelayRedis carries pokes between instances on a Redis channel: Notify
// publishes to it, and a subscription (kept until ctx ends) pokes the
// local streams of every message, this instance's own included (harmless:
// streams read the feed by number). The returned function waits for the
// subscription to end after ctx did.
func (h *Hub) RelayRedis(ctx context.Context, client *redis.Client, channel string, log *slog.Logger) (wait func()) {
	h.publish = func(id string) {
		pctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := client.Publish(pctx, channel, id).Err(); err != nil {
			log.Warn("auction poke not published; other instances' streams catch up at their next read", "err", err)
		}
	}
	sub := client.Subscribe(ctx, channel)
	// Wait for the confirmation, so pokes published from now on arrive.
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if _, err := sub.Receive(rctx); err != nil {
		log.Warn("auction poke channel not confirmed yet; streams rely on their timer until it is", "err", err)
	}
	cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				_ = sub.Close()
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				h.Local(m.Payload)
			}
		}
	}()
	return func() { <-done }
}
