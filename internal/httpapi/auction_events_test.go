package httpapi_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/httpapi"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// serve runs a server of e on a loopback port (event streams need a real
// connection) and returns its base URL and the server.
func serve(t *testing.T, e *apptest.Env) (string, *httpapi.Server) {
	t.Helper()
	srv := e.Sys.Server()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.App.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String(), srv
}

type sseEvent struct{ id, typ, data string }

// stream opens GET /auctions/{id}/events and delivers its events on a
// channel, closed when the stream ends.
func stream(t *testing.T, base, auction, lastID string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/auctions/"+auction+"/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan sseEvent, 64)
	go func() {
		defer close(ch)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.typ != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return res, ch
}

func next(t *testing.T, ch <-chan sseEvent, within time.Duration) (sseEvent, bool) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		return ev, ok
	case <-time.After(within):
		t.Fatalf("no event within %v", within)
	}
	return sseEvent{}, false
}

// TestAuctionEvents: a bidder watching on one instance sees a bid made on
// another (through Redis on MariaDB, in process on SQLite) well before
// its stream's own timer, then the close the servers make by themselves
// at ends_at (the real clock: this test waits for it); a client that
// reconnects with Last-Event-ID gets what it missed, and one that has
// seen everything of a closed auction is told to stop (204).
func TestAuctionEvents(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			cfg := apptest.Config(t, backend)
			cfg.PriceSweepInterval = 100 * time.Millisecond
			a := apptest.NewWithConfig(t, cfg)
			b := a
			if backend == store.DialectMySQL {
				b = apptest.NewWithConfig(t, cfg)
			}
			for _, env := range []*apptest.Env{a, b} {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); env.Sys.Prices.Run(ctx) }()
				t.Cleanup(func() { cancel(); <-done })
			}
			base, _ := serve(t, a)
			p := newPriceParties(a, 1)
			now := time.Now()
			body := auctionBody(p.achievement, now, 0, func(m map[string]any) {
				m["ends_at"] = now.Add(3 * time.Second).Format(time.RFC3339Nano)
				m["extend_seconds"], m["reserve_price_fen"] = 0, 0
			})
			id := a.Must(201, "POST", "/api/v1/auctions", p.seller.Token, body).Str("id")
			registerPaid(a, p.op, id, p.bidders[0])

			res, ch := stream(t, base, id, "")
			if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "text/event-stream" {
				t.Fatalf("stream: %d %s", res.StatusCode, ct)
			}
			time.Sleep(50 * time.Millisecond) // let the stream subscribe
			sent := time.Now()
			b.Must(201, "POST", "/api/v1/auctions/"+id+"/bids", p.bidders[0].Token, map[string]any{"amount_fen": 100_000})
			ev, _ := next(t, ch, 3*time.Second)
			lag := time.Since(sent)
			if ev.typ != market.EventBid || ev.id != "1" || !strings.Contains(ev.data, `"amount_fen":100000`) || !strings.Contains(ev.data, `"bidder_no":1`) {
				t.Fatalf("first event: %+v", ev)
			}
			if lag > 2*time.Second {
				t.Fatalf("the bid took %v to reach the other instance's stream: the poke did not travel", lag)
			}
			t.Logf("bid on one instance reached a stream on the other in %v", lag)
			ev, _ = next(t, ch, 5*time.Second)
			if ev.typ != market.EventClosed || ev.id != "2" || !strings.Contains(ev.data, `"status":"sold"`) {
				t.Fatalf("close event: %+v", ev)
			}
			if _, open := next(t, ch, 2*time.Second); open {
				t.Fatal("the stream goes on after the close")
			}
			if got := a.Must(200, "GET", "/api/v1/auctions/"+id, "", nil).JSON(); got["status"] != market.AuctionSold {
				t.Fatalf("after the close: %v", got["status"])
			}

			// Resume after event 1: the close is replayed.
			_, ch = stream(t, base, id, "1")
			if ev, _ := next(t, ch, 2*time.Second); ev.typ != market.EventClosed || ev.id != "2" {
				t.Fatalf("replay: %+v", ev)
			}
			if res, _ := stream(t, base, id, "2"); res.StatusCode != 204 {
				t.Fatalf("nothing left on a closed auction: %d", res.StatusCode)
			}
			a.Must(404, "GET", "/api/v1/auctions/nope/events", "", nil)
			a.Must(422, "GET", "/api/v1/auctions/"+id+"/events", "", nil, "Last-Event-ID", "x")
		})
	}
}

// A stream ends when the server shuts down, so shutdown does not wait for
// its timeout.
func TestAuctionEventsEndOnShutdown(t *testing.T) {
	e := apptest.New(t, apptest.Backends()[0], func(c *config.Config) {})
	base, srv := serve(t, e)
	p := newPriceParties(e, 0)
	id := e.Must(201, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(p.achievement, time.Now(), time.Hour)).Str("id")
	res, ch := stream(t, base, id, "")
	if res.StatusCode != 200 {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, open := next(t, ch, 3*time.Second); open {
		t.Fatal("an event after shutdown")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutdown took %v with a stream open", d)
	}
}
