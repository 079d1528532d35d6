package httpapi

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// statsTTL is how long an overview is served from the cache: dashboards
// poll it, and a minute-old figure is fine for them.
const statsTTL = 30 * time.Second

// statsOverview serves GET /stats/overview?year=&market=, read through the
// shared cache. A cache that is down is bypassed: statistics are reads.
func (s *Server) statsOverview(c *fiber.Ctx) error {
	ctx := c.UserContext()
	q, err := market.ParseStatsQuery(c.Query("year"), c.Query("market"), time.Now())
	if err != nil {
		return err
	}
	if err := q.Authorize(market.ActorFrom(ctx)); err != nil {
		return err
	}
	key := "stats:overview:" + q.Market + ":" + strconv.Itoa(q.Year)
	if s.deps.Cache != nil {
		if b, err := s.deps.Cache.Get(ctx, key); err == nil {
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			return c.Send(b)
		}
	}
	st, err := s.deps.Stats.Overview(ctx, q)
	if err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if s.deps.Cache != nil {
		_ = s.deps.Cache.Set(ctx, key, b, statsTTL)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}
