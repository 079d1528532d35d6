package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Live tells streams that an auction's feed grew (live.Hub).
type Live interface {
	Subscribe(auctionID string) (<-chan struct{}, func())
	// Generation moves with every poke of the auction on this instance.
	Generation(auctionID string) uint64
}

// SSE defaults.
const (
	defaultSSEPoll      = 5 * time.Second
	defaultSSEHeartbeat = 15 * time.Second
	// defaultSSEMaxAge ends a stream before the server's write timeout;
	// the client reconnects by itself with Last-Event-ID and misses
	// nothing.
	defaultSSEMaxAge = 45 * time.Second
	sseBatch         = 500
)

// auctionEvents: GET /auctions/{id}/events, a text/event-stream of the
// auction's feed (bid, extended, opened, closed). Each event's id is its
// number in the feed; a client that reconnects with Last-Event-ID (or
// ?last_event_id=) is sent every event after it first. The stream reads
// the feed when poked (a change on any instance) and on a timer, sends a
// comment as heartbeat, and ends after the close event, when the client
// goes away, after SSEMaxAge, or when the server shuts down. A closed
// auction with nothing left to send answers 204, which tells EventSource
// clients to stop reconnecting.
func (s *Server) auctionEvents(c *fiber.Ctx) error {
	id := c.Params("id")
	last, err := lastEventID(c)
	if err != nil {
		return err
	}
	ctx := context.WithoutCancel(c.UserContext())
	first, err := s.deps.Auctions.EventsAfter(ctx, id, last, sseBatch)
	if err != nil {
		return err
	}
	if len(first) == 0 {
		a, err := s.deps.Auctions.FindAuction(ctx, id)
		if err != nil {
			return err
		}
		if !a.Live() {
			return c.SendStatus(fiber.StatusNoContent)
		}
	}
	poke, unsubscribe := s.deps.Live.Subscribe(id)
	f := s.feeds.acquire(id)
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	poll, beat, maxAge := orDuration(s.cfg.SSEPoll, defaultSSEPoll), orDuration(s.cfg.SSEHeartbeat, defaultSSEHeartbeat),
		orDuration(s.cfg.SSEMaxAge, defaultSSEMaxAge)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer unsubscribe()
		defer s.feeds.release(id, f)
		fmt.Fprintf(w, "retry: 2000\n\n")
		send := func(evs []market.AuctionEvent) (closed bool, err error) {
			for _, ev := range evs {
				fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, ev.Type, ev.Data)
				last = ev.Seq
				closed = closed || ev.Type == market.EventClosed
			}
			return closed, w.Flush()
		}
		if closed, err := send(first); closed || err != nil {
			return
		}
		stop := time.NewTimer(maxAge)
		defer stop.Stop()
		tick := time.NewTicker(poll)
		defer tick.Stop()
		heartbeat := time.NewTicker(beat)
		defer heartbeat.Stop()
		for {
			select {
			case <-s.closing:
				return
			case <-stop.C:
				return
			case <-heartbeat.C:
				fmt.Fprint(w, ": ping\n\n")
				if w.Flush() != nil {
					return // the client went away
				}
				continue
			case <-poke:
			case <-tick.C:
			}
			evs, err := f.after(ctx, s.deps.Auctions, s.deps.Live, id, last)
			if err != nil {
				s.deps.Log.Warn("auction events not read; the stream ends and the client resumes", "auction", id, "err", err)
				return
			}
			if len(evs) == 0 {
				continue
			}
			if closed, err := send(evs); closed || err != nil {
				return
			}
		}
	})
	return nil
}

// lastEventID reads Last-Event-ID (what EventSource sends on reconnect)
// or ?last_event_id=.
func lastEventID(c *fiber.Ctx) (int64, error) {
	v := strings.TrimSpace(c.Get("Last-Event-ID"))
	if v == "" {
		v = c.Query("last_event_id")
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, market.Invalid("Last-Event-ID", "must be the id of an event this stream sent")
	}
	return n, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
