package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func (s *Server) listAudit(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	p, err := s.deps.Audit.ListAudit(c.UserContext(), market.AuditFilter{Entity: c.Query("entity"), EntityID: c.Query("entity_id"), Page: pr})
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) verifyAudit(c *fiber.Ctx) error {
	v, err := s.deps.Audit.VerifyAudit(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(v)
}
