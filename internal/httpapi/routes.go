package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/api"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
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

	v1.Post("/auth/login", ok(s.login))
	v1.Post("/auth/refresh", ok(s.refresh))
	v1.Post("/auth/logout", requireAuth, s.logout)
	v1.Get("/auth/me", requireAuth, ok(s.me))

	v1.Post("/orgs", made(s.registerOrg))
	v1.Get("/orgs", requireAuth, ok(s.listOrgs))
	v1.Get("/orgs/:id", requireAuth, ok(s.getOrg))
	v1.Post("/orgs/:id/verify", requireAuth, ok(s.verifyOrg))
	v1.Post("/orgs/:id/users", requireAuth, made(s.addUser))
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
		v1.Get(k.path+"/:id/matches", requireAuth, s.matchesHandler(k.kind))
		v1.Post(k.path+"/:id/matches/:"+string(k.kind.Other())+"_id/feedback", requireAuth, s.idempotent, s.feedbackHandler(k.kind))
	}

	// PUT and DELETE are idempotent by their nature: a retry changes
	// nothing more (a second DELETE is a 404).
	v1.Get("/synonyms", requireAuth, s.listSynonyms)
	v1.Put("/synonyms/:id", requireAuth, s.putSynonyms)
	v1.Delete("/synonyms/:id", requireAuth, s.deleteSynonyms)

	v1.Post("/catalogs", requireAuth, made(s.createCatalog))
	v1.Get("/catalogs", ok(s.listCatalogs))
	v1.Get("/catalogs/:id", ok(s.getCatalog))
	v1.Patch("/catalogs/:id", requireAuth, ok(s.updateCatalog))
	v1.Post("/catalogs/:id/publish", requireAuth, ok(s.publishCatalog))
	v1.Get("/catalogs/:id/items", ok(s.listCatalogItems))
	v1.Get("/catalogs/:id/export", s.exportCatalog)

	v1.Post("/intents", requireAuth, s.idempotent, made(s.createIntent))
	v1.Get("/intents", requireAuth, ok(s.listIntents))
	v1.Get("/intents/:id", requireAuth, ok(s.getIntent))
	v1.Post("/intents/:id/accept", requireAuth, s.idempotent, ok(s.acceptIntent))
	v1.Post("/intents/:id/decline", requireAuth, s.idempotent, ok(s.declineIntent))

	v1.Post("/transactions", requireAuth, s.idempotent, made(s.createTransaction))
	v1.Get("/transactions", requireAuth, ok(s.listTransactions))
	v1.Get("/transactions/:id", requireAuth, ok(s.getTransaction))
	v1.Post("/transactions/:id/confirm", requireAuth, s.idempotent, ok(s.confirmTransaction))
	v1.Post("/transactions/:id/decline", requireAuth, s.idempotent, ok(s.declineTransaction))
	v1.Post("/transactions/:id/register", requireAuth, s.idempotent, ok(s.registerTransaction))
	v1.Post("/transactions/:id/payments", requireAuth, s.idempotent, made(s.addPayment))
	v1.Post("/transactions/:id/payments/:payment_id/confirm", requireAuth, s.idempotent, ok(s.confirmPayment))
	v1.Post("/transactions/:id/complete", requireAuth, s.idempotent, ok(s.completeTransaction))
	v1.Post("/transactions/:id/cancel", requireAuth, s.idempotent, ok(s.cancelTransaction))
	v1.Post("/transactions/:id/evidence", requireAuth, s.idempotent, made(s.addEvidence))
	v1.Get("/transactions/:id/evidence", requireAuth, s.listEvidence)
	v1.Get("/transactions/:id/evidence/:eid", requireAuth, s.getEvidence)

	v1.Post("/notices", requireAuth, s.idempotent, made(s.createNotice))
	v1.Get("/notices", ok(s.listNotices))
	v1.Get("/notices/:id", ok(s.getNotice))
	v1.Post("/notices/:id/cancel", requireAuth, s.idempotent, ok(s.cancelNotice))
	v1.Post("/notices/:id/objections", requireAuth, s.idempotent, made(s.createObjection))
	v1.Get("/notices/:id/objections", requireAuth, ok(s.listObjections))
	v1.Post("/notices/:id/objections/:objection_id/resolve", requireAuth, s.idempotent, ok(s.resolveObjection))
	v1.Post("/notices/:id/applications", requireAuth, s.idempotent, made(s.createApplication))
	v1.Get("/notices/:id/applications", requireAuth, ok(s.listApplications))

	v1.Post("/auctions", requireAuth, s.idempotent, made(s.createAuction))
	v1.Get("/auctions", ok(s.listAuctions))
	v1.Get("/auctions/:id", ok(s.getAuction))
	v1.Post("/auctions/:id/cancel", requireAuth, s.idempotent, ok(s.cancelAuction))
	v1.Post("/auctions/:id/registrations", requireAuth, s.idempotent, made(s.registerBidder))
	v1.Get("/auctions/:id/registrations", requireAuth, ok(s.listRegistrations))
	v1.Post("/auctions/:id/registrations/:registration_id/deposit", requireAuth, s.idempotent, ok(s.recordDeposit))
	v1.Post("/auctions/:id/bids", requireAuth, s.idempotent, made(s.placeBid))
	v1.Get("/auctions/:id/bids", ok(s.listBids))
	v1.Get("/auctions/:id/events", s.auctionEvents)

	v1.Get("/search/achievements", s.searchHandler(search.KindAchievement))
	v1.Get("/search/demands", s.searchHandler(search.KindDemand))

	v1.Post("/subsidy-policies", requireAuth, s.idempotent, made(s.createSubsidyPolicy))
	v1.Get("/subsidy-policies", ok(s.listSubsidyPolicies))
	v1.Get("/subsidy-policies/:id", ok(s.getSubsidyPolicy))
	v1.Patch("/subsidy-policies/:id", requireAuth, ok(s.updateSubsidyPolicy))
	v1.Post("/subsidy-policies/:id/versions", requireAuth, s.idempotent, made(s.versionSubsidyPolicy))
	v1.Post("/subsidies/quote", requireAuth, ok(s.quoteSubsidy))
	v1.Post("/subsidy-applications", requireAuth, s.idempotent, made(s.createSubsidyApplication))
	v1.Get("/subsidy-applications", requireAuth, ok(s.listSubsidyApplications))
	v1.Get("/subsidy-applications/:id", requireAuth, ok(s.getSubsidyApplication))
	v1.Post("/subsidy-applications/:id/withdraw", requireAuth, s.idempotent, ok(s.withdrawSubsidyApplication))
	v1.Post("/subsidy-applications/:id/review", requireAuth, s.idempotent, ok(s.reviewSubsidyApplication))
	v1.Post("/subsidy-applications/:id/disburse", requireAuth, s.idempotent, ok(s.disburseSubsidyApplication))

	v1.Post("/instruments", requireAuth, s.idempotent, made(s.createInstrument))
	v1.Get("/instruments", ok(s.listInstruments))
	v1.Get("/instruments/:id", ok(s.getInstrument))
	v1.Patch("/instruments/:id", requireAuth, ok(s.updateInstrument))
	v1.Post("/instruments/:id/bookings", requireAuth, s.idempotent, made(s.createBooking))
	v1.Get("/bookings", requireAuth, ok(s.listBookings))
	v1.Get("/bookings/:id", requireAuth, ok(s.getBooking))
	v1.Post("/bookings/:id/confirm", requireAuth, s.idempotent, ok(s.confirmBooking))
	v1.Post("/bookings/:id/decline", requireAuth, s.idempotent, ok(s.declineBooking))
	v1.Post("/bookings/:id/cancel", requireAuth, s.idempotent, ok(s.cancelBooking))
	v1.Post("/bookings/:id/complete", requireAuth, s.idempotent, ok(s.completeBooking))
	v1.Post("/bookings/:id/review", requireAuth, s.idempotent, ok(s.reviewBooking))
	v1.Post("/services", requireAuth, s.idempotent, made(s.createService))
	v1.Get("/services", ok(s.listServices))
	v1.Get("/services/:id", ok(s.getService))
	v1.Post("/service-orders", requireAuth, s.idempotent, made(s.createServiceOrder))
	v1.Get("/service-orders", requireAuth, ok(s.listServiceOrders))
	v1.Get("/service-orders/:id", requireAuth, ok(s.getServiceOrder))
	v1.Post("/service-orders/:id/accept", requireAuth, s.idempotent, s.moveServiceOrder(market.ActionAcceptOrder))
	v1.Post("/service-orders/:id/decline", requireAuth, s.idempotent, ok(s.declineServiceOrder))
	v1.Post("/service-orders/:id/cancel", requireAuth, s.idempotent, s.moveServiceOrder(market.ActionCancelOrder))
	v1.Post("/service-orders/:id/deliver", requireAuth, s.idempotent, ok(s.deliverServiceOrder))
	v1.Post("/service-orders/:id/complete", requireAuth, s.idempotent, s.moveServiceOrder(market.ActionCompleteOrder))
	v1.Get("/service-orders/:id/report", requireAuth, s.getServiceOrderReport)

	v1.Get("/stats/overview", requireAuth, s.statsOverview)

	v1.Get("/audit", requireAuth, ok(s.listAudit))
	v1.Get("/audit/verify", requireAuth, ok(s.verifyAudit))
}
