package httpapi_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// BenchmarkBookings: POST /instruments/{id}/bookings on MariaDB, 16
// clients at once, every booking a fresh one-minute slot (no conflicts),
// through the whole HTTP path (auth, decode, the instrument's row lock,
// the overlap check, insert, audit). "one" books a single instrument, so
// every booking queues on its row lock; "spread" books 100 instruments in
// turn. Run with:
//
//	TECHMARKET_TEST_MYSQL_DSN=... go test -run '^$' -bench Bookings -benchtime 2000x ./internal/httpapi
func BenchmarkBookings(b *testing.B) {
	requireMySQLBench(b)
	for _, bc := range []struct {
		name        string
		instruments int
	}{{"one", 1}, {"spread", 100}} {
		b.Run(bc.name, func(b *testing.B) {
			e := apptest.New(b, store.DialectMySQL, func(c *config.Config) { c.RateLimit = 0 })
			var flush string
			_ = e.Sys.DB.SQL().QueryRow("SELECT @@innodb_flush_log_at_trx_commit").Scan(&flush)
			b.Logf("innodb_flush_log_at_trx_commit=%s", flush)
			owner := e.NewOrg(market.OrgUniversity, true)
			var bookers []apptest.Org
			for range 4 {
				bookers = append(bookers, e.NewOrg(market.OrgEnterprise, true))
			}
			allDay := make([]map[string]any, 7)
			for d := range 7 {
				allDay[d] = map[string]any{"weekday": d + 1, "from": "00:00", "to": "24:00"}
			}
			ids := make([]string, bc.instruments)
			for i := range ids {
				ids[i] = newInstrument(e, owner, func(m map[string]any) { m["open_hours"], m["min_booking_minutes"] = allDay, 1 })
			}
			// Slots are minutes from a whole hour two days ahead: 129,600
			// fit before the 90-day horizon.
			base := time.Now().Truncate(time.Hour).Add(48 * time.Hour)
			var next atomic.Int64
			b.SetParallelism(8) // × GOMAXPROCS (2) = 16 clients
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := next.Add(1) - 1
					inst := ids[int(n)%len(ids)]
					slot := n / int64(len(ids))
					s := base.Add(time.Duration(slot) * time.Minute)
					r := e.Do("POST", "/api/v1/instruments/"+inst+"/bookings", bookers[n%4].Token, bookingBody(s, s.Add(time.Minute)))
					if r.Status != 201 {
						b.Errorf("booking %d: %d %s", n, r.Status, r.Body)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "bookings/s")
		})
	}
}

func requireMySQLBench(b *testing.B) {
	b.Helper()
	for _, be := range apptest.Backends() {
		if be == store.DialectMySQL {
			return
		}
	}
	b.Skip("TECHMARKET_TEST_MYSQL_DSN not set: the booking benchmark runs on MariaDB")
}
