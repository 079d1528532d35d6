package store

import (
	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// sharingTotals sums the year's completed bookings and service orders and
// the innovation vouchers committed under the year's service policies.
// Every sum is an integer computed in SQL the same way on SQLite and
// MySQL; the hours are the summed minutes divided here, to two decimals.
func sharingTotals(g *gorm.DB, q market.StatsQuery) (market.SharingTotals, error) {
	var t market.SharingTotals
	from, to := q.Span()
	db := g.Session(&gorm.Session{NewDB: true})
	var b struct{ N, Minutes, Fees int64 }
	if err := db.Model(&bookingRow{}).Where("status = ? AND completed_at >= ? AND completed_at < ?", market.BookingCompleted, from, to).
		Select("COUNT(*) AS n, COALESCE(SUM(used_minutes), 0) AS minutes, COALESCE(SUM(fee_fen), 0) AS fees").Scan(&b).Error; err != nil {
		return t, err
	}
	var o struct{ N, Fees int64 }
	if err := db.Model(&serviceOrderRow{}).Where("status = ? AND completed_at >= ? AND completed_at < ?", market.OrderCompleted, from, to).
		Select("COUNT(*) AS n, COALESCE(SUM(fee_fen), 0) AS fees").Scan(&o).Error; err != nil {
		return t, err
	}
	if err := db.Model(&policyRow{}).Where("year = ? AND applies_to = ?", q.Year, market.PolicyForServices).
		Select("COALESCE(SUM(approved_fen + disbursed_fen), 0)").Scan(&t.VouchersApprovedFen).Error; err != nil {
		return t, err
	}
	t.Bookings, t.ServiceOrders, t.FeesFen = b.N, o.N, b.Fees+o.Fees
	// Half-up to hundredths of an hour: minutes × 100 / 60.
	t.InstrumentHours = float64((b.Minutes*100*2+60)/120) / 100
	return t, nil
}
