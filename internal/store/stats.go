package store

import (
	"context"
	"sort"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// StatsService holds the statistics over db: read-only sums across the
// transaction and sharing aggregates' tables, for the bureau and the
// market operators.
type StatsService struct{ db *DB }

var _ market.StatsService = (*StatsService)(nil)

// NewStatsService returns the statistics service over db.
func NewStatsService(db *DB) *StatsService { return &StatsService{db: db} }

// Overview aggregates the year's deals in SQL: one GROUP BY over market,
// channel, contract type and industry, rolled up here into the four
// breakdowns, plus the achievements transferred and the subsidy totals.
// A deal's industry is that of its achievement, else of its demand, else
// "unspecified". Deals pending the other party's confirmation and
// cancelled deals do not count.
func (s *StatsService) Overview(ctx context.Context, q market.StatsQuery) (_ *market.Stats, err error) {
	defer wrap(&err, "store.Overview")
	if err := q.Authorize(market.ActorFrom(ctx)); err != nil {
		return nil, err
	}
	from, to := q.Span()
	g := s.db.gorm.WithContext(ctx)
	// Only signed-or-later deals count: a cancelled deal is no deal, and a
	// pending one is one party's word alone.
	where := "t.status NOT IN ('cancelled', 'pending_confirmation') AND t.signed_at >= ? AND t.signed_at < ?"
	args := []any{from, to}
	if q.Market != "" {
		where += " AND t.market = ?"
		args = append(args, q.Market)
	}
	var rows []struct {
		Market, Channel, ContractType, Industry string
		N, Contract, Tech                       int64
	}
	err = g.Raw(`SELECT t.market AS market, t.channel AS channel, t.contract_type AS contract_type,
		COALESCE(a.industry, d.industry, 'unspecified') AS industry,
		COUNT(*) AS n, SUM(t.contract_amount_fen) AS contract, SUM(t.tech_amount_fen) AS tech
		FROM transactions t
		LEFT JOIN items a ON a.id = t.achievement_id
		LEFT JOIN items d ON d.id = t.demand_id
		WHERE `+where+`
		GROUP BY t.market, t.channel, t.contract_type, COALESCE(a.industry, d.industry, 'unspecified')`, args...).
		Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	st := &market.Stats{Year: q.Year, Market: q.Market,
		AchievementsTransferred: market.Transferred{Target: market.AchievementTarget}}
	by := map[string]map[string]*market.Breakdown{"market": {}, "channel": {}, "type": {}, "industry": {}}
	add := func(group, code string, n, tech int64) {
		b := by[group][code]
		if b == nil {
			b = &market.Breakdown{Code: code}
			by[group][code] = b
		}
		b.Count += n
		b.TechAmountFen += tech
	}
	for _, r := range rows {
		st.Deals.Count += r.N
		st.Deals.ContractAmountFen += r.Contract
		st.Deals.TechAmountFen += r.Tech
		add("market", r.Market, r.N, r.Tech)
		add("channel", r.Channel, r.N, r.Tech)
		add("type", r.ContractType, r.N, r.Tech)
		add("industry", r.Industry, r.N, r.Tech)
	}
	st.ByMarket = ordered(by["market"], market.Markets)
	st.ByChannel = ordered(by["channel"], market.Channels)
	st.ByContractType = ordered(by["type"], market.ContractTypes)
	st.ByIndustry = ordered(by["industry"], market.Industries)

	transferred := "t.status = 'completed' AND t.achievement_id <> '' AND t.signed_at >= ? AND t.signed_at < ?"
	targs := []any{from, to}
	if q.Market != "" {
		transferred += " AND t.market = ?"
		targs = append(targs, q.Market)
	}
	if err := g.Raw("SELECT COUNT(DISTINCT t.achievement_id) FROM transactions t WHERE "+transferred, targs...).
		Scan(&st.AchievementsTransferred.Count).Error; err != nil {
		return nil, err
	}
	if st.Subsidies, err = subsidyTotals(g, q.Year); err != nil {
		return nil, err
	}
	if st.Sharing, err = sharingTotals(g, q); err != nil {
		return nil, err
	}
	return st, nil
}

// ordered lists the breakdown in the order of codes (GET /meta), every
// code present even at zero so clients can chart without gaps; codes not
// in the list (such as "unspecified") follow, sorted.
func ordered(m map[string]*market.Breakdown, codes []market.Code) []market.Breakdown {
	out := make([]market.Breakdown, 0, len(codes)+len(m))
	for _, c := range codes {
		if b := m[c.Code]; b != nil {
			out = append(out, *b)
			delete(m, c.Code)
		} else {
			out = append(out, market.Breakdown{Code: c.Code})
		}
	}
	rest := make([]string, 0, len(m))
	for code := range m {
		rest = append(rest, code)
	}
	sort.Strings(rest)
	for _, code := range rest {
		out = append(out, *m[code])
	}
	return out
}
