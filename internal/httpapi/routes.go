package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/api"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// routes lists every route of the service. api/openapi.yaml describes the
// same set; a test keeps the two equal.
func (s *Server) routes() {
	app := s.App
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.metrics.handler())

	v1 := app.Group("/api/v1")
	v1.Get("/openapi.yaml", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/yaml")
		return c.Send(api.OpenAPI)
	})
	v1.Get("/meta", s.meta)

	v1.Post("/auth/login", s.login)
	v1.Post("/auth/refresh", s.refresh)
	v1.Post("/auth/logout", requireAuth, s.logout)
	v1.Get("/auth/me", requireAuth, s.me)

	v1.Post("/orgs", s.registerOrg)
	v1.Get("/orgs", requireAuth, s.listOrgs)
	v1.Get("/orgs/:id", requireAuth, s.getOrg)
	v1.Post("/orgs/:id/verify", requireAuth, s.verifyOrg)
	v1.Post("/orgs/:id/users", requireAuth, s.addUser)
	v1.Get("/orgs/:id/users", requireAuth, s.listUsers)

	for _, k := range []struct {
		path string
		kind market.ItemKind
	}{{"/demands", market.KindDemand}, {"/achievements", market.KindAchievement}} {
		h := itemHandlers{s: s, kind: k.kind}
		v1.Post(k.path, requireAuth, h.create)
		v1.Get(k.path, h.list)
		v1.Get(k.path+"/:id", h.get)
		v1.Patch(k.path+"/:id", requireAuth, h.update)
		v1.Post(k.path+"/:id/submit", requireAuth, h.submit)
		v1.Post(k.path+"/:id/review", requireAuth, h.review)
		v1.Post(k.path+"/:id/close", requireAuth, h.close)
	}

	v1.Get("/audit", requireAuth, s.listAudit)
	v1.Get("/audit/verify", requireAuth, s.verifyAudit)
}
