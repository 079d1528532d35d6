package market

import (
	"context"
	"strconv"
	"time"
)

// AchievementTarget is the city's target of achievements transferred.
const AchievementTarget = 400

// ChinaTime is Beijing time (UTC+8, no daylight saving): statistics years
// begin at midnight there, not in UTC.
var ChinaTime = time.FixedZone("CST", 8*3600)

// StatsQuery selects the year and, optionally, one market.
type StatsQuery struct {
	Year   int
	Market string // "" = both markets
}

// ParseStatsQuery reads ?year= (default: this year in Beijing time) and
// ?market=.
func ParseStatsQuery(year, mkt string, now time.Time) (StatsQuery, error) {
	var p Problems
	q := StatsQuery{Year: now.In(ChinaTime).Year(), Market: mkt}
	if year != "" {
		y, err := strconv.Atoi(year)
		if err != nil || y < 2000 || y > 2100 {
			p.Add("year", "must be a year from 2000 to 2100")
		}
		q.Year = y
	}
	if mkt != "" && !HasCode(Markets, mkt) {
		p.Add("market", "must be liuzhou or guizhong")
	}
	return q, p.Err()
}

// Span returns the year's bounds [from, to) in UTC.
func (q StatsQuery) Span() (time.Time, time.Time) {
	from := time.Date(q.Year, 1, 1, 0, 0, 0, 0, ChinaTime)
	return from.UTC(), from.AddDate(1, 0, 0).UTC()
}

// Authorize checks who may read statistics: the bureau reads everything,
// an operator reads its own market (the default when it names none).
func (q *StatsQuery) Authorize(a *Actor) error {
	switch {
	case a != nil && a.PlatformAdmin, a.IsGovernment() && a.OrgVerified:
		return nil
	case a.IsOperator() && a.OrgVerified:
		if q.Market == "" {
			q.Market = a.Market
		}
		if q.Market != a.Market {
			return Errorf(EFORBIDDEN, "an operator reads the statistics of its own market (%s)", a.Market)
		}
		return nil
	}
	return Errorf(EFORBIDDEN, "statistics are for market operators and the science bureau")
}

// Breakdown is one row of a grouped statistic.
type Breakdown struct {
	Code          string `json:"code"`
	Count         int64  `json:"count"`
	TechAmountFen int64  `json:"tech_amount_fen"`
}

// TransactionCounts sums transactions (the "deals" block of the statistics).
type TransactionCounts struct {
	Count             int64 `json:"count"`
	ContractAmountFen int64 `json:"contract_amount_fen"`
	TechAmountFen     int64 `json:"tech_amount_fen"`
}

// Transferred counts achievements in completed deals against the target.
type Transferred struct {
	Count  int64 `json:"count"`
	Target int   `json:"target"`
}

// SubsidyTotals sums subsidy money of the year's policies.
type SubsidyTotals struct {
	ApprovedFen  int64 `json:"approved_fen"`
	DisbursedFen int64 `json:"disbursed_fen"`
	BudgetFen    int64 `json:"budget_fen"`
}

// Stats is the answer of GET /stats/overview. Cancelled deals never count.
type Stats struct {
	Year                    int               `json:"year"`
	Market                  string            `json:"market"` // "" = both
	Deals                   TransactionCounts `json:"deals"`
	ByMarket                []Breakdown       `json:"by_market"`
	ByChannel               []Breakdown       `json:"by_channel"`
	ByContractType          []Breakdown       `json:"by_contract_type"`
	ByIndustry              []Breakdown       `json:"by_industry"`
	AchievementsTransferred Transferred       `json:"achievements_transferred"`
	Subsidies               SubsidyTotals     `json:"subsidies"`
	Sharing                 SharingTotals     `json:"sharing"`
}

// SharingTotals sums instrument sharing and testing services of the year:
// bookings and service orders completed in it (Beijing time), the hours
// used, their fees, and what innovation-voucher policies of the year have
// committed (approved and disbursed). Like the subsidies, it is
// city-wide: a market filter does not narrow it.
type SharingTotals struct {
	Bookings            int64   `json:"bookings"`
	InstrumentHours     float64 `json:"instrument_hours"`
	ServiceOrders       int64   `json:"service_orders"`
	FeesFen             int64   `json:"fees_fen"`
	VouchersApprovedFen int64   `json:"vouchers_approved_fen"`
}

// StatsService computes statistics.
type StatsService interface {
	Overview(ctx context.Context, q StatsQuery) (*Stats, error)
}
