package httpapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz asks every dependency, in parallel, with a short deadline.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	ch := make(chan result, len(s.deps.Ready))
	for _, chk := range s.deps.Ready {
		go func() { ch <- result{chk.Name, chk.Check(ctx)} }()
	}
	checks := map[string]string{}
	ok := true
	for range s.deps.Ready {
		r := <-ch
		checks[r.name] = "ok"
		if r.err != nil {
			ok = false
			checks[r.name] = "down"
			s.deps.Log.Warn("readiness check failed", "check", r.name, "err", r.err)
		}
	}
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": checks})
}

// metaDocument is GET /meta's body. The codes are fixed in the binary, so
// it is encoded once; the ETag middleware tags it and answers 304.
func metaDocument() []byte {
	b, err := json.Marshal(fiber.Map{
		"industries": market.Industries, "maturities": market.Maturities, "modes": market.Modes,
		"contract_types": market.ContractTypes, "markets": market.Markets, "channels": market.Channels,
		"org_kinds": market.OrgKinds, "regions": market.Regions,
		"notice_kinds": market.NoticeKinds, "notice_statuses": market.NoticeStatuses,
		"objection_statuses": market.ObjectionStatuses, "auction_statuses": market.AuctionStatuses,
		"deposit_statuses":      market.DepositStatuses,
		"instrument_categories": market.InstrumentCategories, "instrument_statuses": market.InstrumentStatuses,
		"booking_statuses": market.BookingStatuses, "service_kinds": market.ServiceKinds,
		"service_order_statuses": market.OrderStatuses,
	})
	if err != nil {
		panic(err) // fixed tables of strings always encode
	}
	return b
}

func (s *Server) meta(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(s.metaJSON)
}
