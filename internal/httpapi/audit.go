package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func (s *Server) listAudit(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Audit.ListAudit(c.UserContext(), market.AuditFilter{Entity: c.Query("entity"), EntityID: c.Query("entity_id"), Page: pr})
}

func (s *Server) verifyAudit(c *fiber.Ctx) (any, error) {
	return s.deps.Audit.VerifyAudit(c.UserContext())
}
