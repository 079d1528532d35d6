package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// benchAuctionEnv switches the auction measurements on (they take about
// half a minute and need MariaDB and Redis): docs/benchmarks.md.
const benchAuctionEnv = "TECHMARKET_BENCH_AUCTION"

func requireAuctionBench(t *testing.T) {
	t.Helper()
	requireMySQL(t)
	if os.Getenv(benchAuctionEnv) != "1" {
		t.Skipf("%s=1 not set: the auction measurements are skipped", benchAuctionEnv)
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// TestMeasureHotAuctionBids: bids per second on one hot auction over HTTP
// (loopback, one instance, MariaDB with durable commits, Redis), 20
// bidders each bidding as fast as it is answered, each bid at the price it
// last saw plus the increment; beside it the raw rate of a single-row
// UPDATE on the same row with autocommit, one and 20 connections.
func TestMeasureHotAuctionBids(t *testing.T) {
	requireAuctionBench(t)
	const bidders, window = 20, 10 * time.Second
	cfg := apptest.Config(t, store.DialectMySQL)
	cfg.RateLimit, cfg.DBMaxConns = 0, 24
	e := apptest.NewWithConfig(t, cfg)
	base, _ := serve(t, e)
	p := newPriceParties(e, bidders)
	id := e.Must(201, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(p.achievement, time.Now(), time.Hour,
		func(m map[string]any) { m["increment_fen"], m["extend_seconds"] = 100, 0 })).Str("id")
	registerPaid(e, p.op, id, p.bidders...)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bidders}}
	var accepted, refused atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(window)
	var wg sync.WaitGroup
	for _, b := range p.bidders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			price := int64(100_000 - 100)
			var mine []time.Duration
			for time.Now().Before(deadline) {
				body := fmt.Sprintf(`{"amount_fen":%d}`, price+100)
				req, _ := http.NewRequest("POST", base+"/api/v1/auctions/"+id+"/bids", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+b.Token)
				start := time.Now()
				res, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var out struct {
					CurrentPriceFen int64 `json:"current_price_fen"`
				}
				_ = json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				mine = append(mine, time.Since(start))
				switch res.StatusCode {
				case 201:
					accepted.Add(1)
				case 409, 422:
					refused.Add(1)
				default:
					t.Errorf("bid: status %d", res.StatusCode)
					return
				}
				price = out.CurrentPriceFen
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	n := accepted.Load() + refused.Load()
	t.Logf("HTTP bids, %d bidders, %v: %d requests (%.0f/s), %d accepted (%.0f/s), %d refused; latency p50 %v p99 %v",
		bidders, window, n, float64(n)/window.Seconds(), accepted.Load(), float64(accepted.Load())/window.Seconds(), refused.Load(),
		percentile(lat, 0.50).Round(100*time.Microsecond), percentile(lat, 0.99).Round(100*time.Microsecond))
	a := e.Must(200, "GET", "/api/v1/auctions/"+id, "", nil).JSON()
	if num(a["bid_count"]) != accepted.Load() {
		t.Fatalf("bid_count %v, accepted %d", a["bid_count"], accepted.Load())
	}

	// One bidder alone, each bid one increment above its own: every bid
	// is accepted, so this is the cost of an accepted bid end to end.
	solo := p.bidders[0]
	price := num(a["current_price_fen"])
	var sl []time.Duration
	stop := time.Now().Add(window / 2)
	for time.Now().Before(stop) {
		price += 100
		req, _ := http.NewRequest("POST", base+"/api/v1/auctions/"+id+"/bids", strings.NewReader(fmt.Sprintf(`{"amount_fen":%d}`, price)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+solo.Token)
		s := time.Now()
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 201 {
			t.Fatalf("solo bid: %d", res.StatusCode)
		}
		sl = append(sl, time.Since(s))
	}
	t.Logf("HTTP bids, one bidder in sequence, %v: %d accepted (%.0f/s); latency p50 %v p99 %v", window/2, len(sl),
		float64(len(sl))/(window/2).Seconds(), percentile(sl, 0.5).Round(100*time.Microsecond), percentile(sl, 0.99).Round(100*time.Microsecond))

	// The raw row: the same UPDATE, autocommit, nothing else.
	db := e.Sys.DB.SQL()
	for _, conns := range []int{1, bidders} {
		var done atomic.Int64
		var rl []time.Duration
		var rmu sync.Mutex
		stop := time.Now().Add(window / 2)
		var rw sync.WaitGroup
		for range conns {
			rw.Add(1)
			go func() {
				defer rw.Done()
				var mine []time.Duration
				for time.Now().Before(stop) {
					s := time.Now()
					if _, err := db.ExecContext(context.Background(), "UPDATE auctions SET current_price_fen = current_price_fen + 1 WHERE id = ?", id); err != nil {
						t.Error(err)
						return
					}
					mine = append(mine, time.Since(s))
					done.Add(1)
				}
				rmu.Lock()
				rl = append(rl, mine...)
				rmu.Unlock()
			}()
		}
		rw.Wait()
		t.Logf("raw single-row UPDATE, %d connection(s), %v: %.0f/s; p50 %v p99 %v", conns, window/2,
			float64(done.Load())/(window/2).Seconds(), percentile(rl, 0.5).Round(10*time.Microsecond), percentile(rl, 0.99).Round(10*time.Microsecond))
	}
}

// TestMeasureEventFanOut: 500 event streams on one auction of one instance
// (MariaDB + Redis); ten bids a second apart; for each, the time from
// sending the bid until each stream has its event.
func TestMeasureEventFanOut(t *testing.T) {
	requireAuctionBench(t)
	const subscribers, bids = 500, 10
	cfg := apptest.Config(t, store.DialectMySQL)
	cfg.RateLimit = 0
	e := apptest.NewWithConfig(t, cfg)
	base, _ := serve(t, e)
	p := newPriceParties(e, 1)
	id := e.Must(201, "POST", "/api/v1/auctions", p.seller.Token, auctionBody(p.achievement, time.Now(), time.Hour,
		func(m map[string]any) { m["increment_fen"], m["extend_seconds"] = 100, 0 })).Str("id")
	registerPaid(e, p.op, id, p.bidders[0])

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: subscribers, MaxConnsPerHost: 0}}
	type arrival struct {
		seq int
		at  time.Time
	}
	arrivals := make(chan arrival, subscribers*bids)
	var ready sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range subscribers {
		ready.Add(1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/auctions/"+id+"/events", nil)
			res, err := client.Do(req)
			ready.Done()
			if err != nil {
				return
			}
			defer res.Body.Close()
			buf := make([]byte, 4096)
			var line []byte
			for {
				n, err := res.Body.Read(buf)
				for _, c := range buf[:n] {
					if c != '\n' {
						line = append(line, c)
						continue
					}
					var seq int
					if _, e := fmt.Sscanf(string(line), "id: %d", &seq); e == nil {
						arrivals <- arrival{seq, time.Now()}
					}
					line = line[:0]
				}
				if err != nil {
					return
				}
			}
		}()
	}
	ready.Wait()
	for e.Sys.Live.Subscribers(id) < subscribers {
		time.Sleep(10 * time.Millisecond)
	}
	sent := map[int]time.Time{}
	for i := range bids {
		sent[i+1] = time.Now()
		e.Must(201, "POST", "/api/v1/auctions/"+id+"/bids", p.bidders[0].Token, map[string]any{"amount_fen": 100_000 + 100*i})
		time.Sleep(time.Second)
	}
	var lat []time.Duration
	timeout := time.After(10 * time.Second)
	for len(lat) < subscribers*bids {
		select {
		case a := <-arrivals:
			lat = append(lat, a.at.Sub(sent[a.seq]))
		case <-timeout:
			t.Fatalf("%d of %d events arrived", len(lat), subscribers*bids)
		}
	}
	t.Logf("fan-out to %d streams, %d bids: bid sent → event received p50 %v, p99 %v, max %v", subscribers, bids,
		percentile(lat, 0.5).Round(100*time.Microsecond), percentile(lat, 0.99).Round(100*time.Microsecond),
		percentile(lat, 1).Round(100*time.Microsecond))
}
