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
		v1.Get(k.path+"/:id/matches", requireAuth, s.matchesHandler(k.kind))
		v1.Post(k.path+"/:id/matches/:"+string(k.kind.Other())+"_id/feedback", requireAuth, s.idempotent, s.feedbackHandler(k.kind))
	}

	// PUT and DELETE are idempotent by their nature: a retry changes
	// nothing more (a second DELETE is a 404).
	v1.Get("/synonyms", requireAuth, s.listSynonyms)
	v1.Put("/synonyms/:id", requireAuth, s.putSynonyms)
	v1.Delete("/synonyms/:id", requireAuth, s.deleteSynonyms)

	v1.Post("/catalogs", requireAuth, s.createCatalog)
	v1.Get("/catalogs", s.listCatalogs)
	v1.Get("/catalogs/:id", s.getCatalog)
	v1.Patch("/catalogs/:id", requireAuth, s.updateCatalog)
	v1.Post("/catalogs/:id/publish", requireAuth, s.publishCatalog)
	v1.Get("/catalogs/:id/items", s.listCatalogItems)
	v1.Get("/catalogs/:id/export", s.exportCatalog)

	v1.Post("/intents", requireAuth, s.idempotent, s.createIntent)
	v1.Get("/intents", requireAuth, s.listIntents)
	v1.Get("/intents/:id", requireAuth, s.getIntent)
	v1.Post("/intents/:id/accept", requireAuth, s.idempotent, s.acceptIntent)
	v1.Post("/intents/:id/decline", requireAuth, s.idempotent, s.declineIntent)

	v1.Post("/transactions", requireAuth, s.idempotent, s.createTransaction)
	v1.Get("/transactions", requireAuth, s.listTransactions)
	v1.Get("/transactions/:id", requireAuth, s.getTransaction)
	v1.Post("/transactions/:id/confirm", requireAuth, s.idempotent, s.confirmTransaction)
	v1.Post("/transactions/:id/decline", requireAuth, s.idempotent, s.declineTransaction)
	v1.Post("/transactions/:id/register", requireAuth, s.idempotent, s.registerTransaction)
	v1.Post("/transactions/:id/payments", requireAuth, s.idempotent, s.addPayment)
	v1.Post("/transactions/:id/payments/:payment_id/confirm", requireAuth, s.idempotent, s.confirmPayment)
	v1.Post("/transactions/:id/complete", requireAuth, s.idempotent, s.completeTransaction)
	v1.Post("/transactions/:id/cancel", requireAuth, s.idempotent, s.cancelTransaction)
	v1.Post("/transactions/:id/evidence", requireAuth, s.idempotent, s.addEvidence)
	v1.Get("/transactions/:id/evidence", requireAuth, s.listEvidence)
	v1.Get("/transactions/:id/evidence/:eid", requireAuth, s.getEvidence)

	v1.Post("/notices", requireAuth, s.idempotent, s.createNotice)
	v1.Get("/notices", s.listNotices)
	v1.Get("/notices/:id", s.getNotice)
	v1.Post("/notices/:id/cancel", requireAuth, s.idempotent, s.cancelNotice)
	v1.Post("/notices/:id/objections", requireAuth, s.idempotent, s.createObjection)
	v1.Get("/notices/:id/objections", requireAuth, s.listObjections)
	v1.Post("/notices/:id/objections/:objection_id/resolve", requireAuth, s.idempotent, s.resolveObjection)
	v1.Post("/notices/:id/applications", requireAuth, s.idempotent, s.createApplication)
	v1.Get("/notices/:id/applications", requireAuth, s.listApplications)

	v1.Post("/auctions", requireAuth, s.idempotent, s.createAuction)
	v1.Get("/auctions", s.listAuctions)
	v1.Get("/auctions/:id", s.getAuction)
	v1.Post("/auctions/:id/cancel", requireAuth, s.idempotent, s.cancelAuction)
	v1.Post("/auctions/:id/registrations", requireAuth, s.idempotent, s.registerBidder)
	v1.Get("/auctions/:id/registrations", requireAuth, s.listRegistrations)
	v1.Post("/auctions/:id/registrations/:registration_id/deposit", requireAuth, s.idempotent, s.recordDeposit)
	v1.Post("/auctions/:id/bids", requireAuth, s.idempotent, s.placeBid)
	v1.Get("/auctions/:id/bids", s.listBids)
	v1.Get("/auctions/:id/events", s.auctionEvents)

	v1.Get("/search/achievements", s.searchHandler(search.KindAchievement))
	v1.Get("/search/demands", s.searchHandler(search.KindDemand))

	v1.Post("/subsidy-policies", requireAuth, s.idempotent, s.createSubsidyPolicy)
	v1.Get("/subsidy-policies", s.listSubsidyPolicies)
	v1.Get("/subsidy-policies/:id", s.getSubsidyPolicy)
	v1.Patch("/subsidy-policies/:id", requireAuth, s.updateSubsidyPolicy)
	v1.Post("/subsidy-policies/:id/versions", requireAuth, s.idempotent, s.versionSubsidyPolicy)
	v1.Post("/subsidies/quote", requireAuth, s.quoteSubsidy)
	v1.Post("/subsidy-applications", requireAuth, s.idempotent, s.createSubsidyApplication)
	v1.Get("/subsidy-applications", requireAuth, s.listSubsidyApplications)
	v1.Get("/subsidy-applications/:id", requireAuth, s.getSubsidyApplication)
	v1.Post("/subsidy-applications/:id/withdraw", requireAuth, s.idempotent, s.withdrawSubsidyApplication)
	v1.Post("/subsidy-applications/:id/review", requireAuth, s.idempotent, s.reviewSubsidyApplication)
	v1.Post("/subsidy-applications/:id/disburse", requireAuth, s.idempotent, s.disburseSubsidyApplication)

	v1.Post("/instruments", requireAuth, s.idempotent, s.createInstrument)
	v1.Get("/instruments", s.listInstruments)
	v1.Get("/instruments/:id", s.getInstrument)
	v1.Patch("/instruments/:id", requireAuth, s.updateInstrument)
	v1.Post("/instruments/:id/bookings", requireAuth, s.idempotent, s.createBooking)
	v1.Get("/bookings", requireAuth, s.listBookings)
	v1.Get("/bookings/:id", requireAuth, s.getBooking)
	v1.Post("/bookings/:id/confirm", requireAuth, s.idempotent, s.confirmBooking)
	v1.Post("/bookings/:id/decline", requireAuth, s.idempotent, s.declineBooking)
	v1.Post("/bookings/:id/cancel", requireAuth, s.idempotent, s.cancelBooking)
	v1.Post("/bookings/:id/complete", requireAuth, s.idempotent, s.completeBooking)
	v1.Post("/bookings/:id/review", requireAuth, s.idempotent, s.reviewBooking)
	v1.Post("/services", requireAuth, s.idempotent, s.createService)
	v1.Get("/services", s.listServices)
	v1.Get("/services/:id", s.getService)
	v1.Post("/service-orders", requireAuth, s.idempotent, s.createServiceOrder)
	v1.Get("/service-orders", requireAuth, s.listServiceOrders)
	v1.Get("/service-orders/:id", requireAuth, s.getServiceOrder)
	v1.Post("/service-orders/:id/accept", requireAuth, s.idempotent, s.moveServiceOrder(market.ActionAcceptOrder))
	v1.Post("/service-orders/:id/decline", requireAuth, s.idempotent, s.declineServiceOrder)
	v1.Post("/service-orders/:id/cancel", requireAuth, s.idempotent, s.moveServiceOrder(market.ActionCancelOrder))
	v1.Post("/service-orders/:id/deliver", requireAuth, s.idempotent, s.deliverServiceOrder)
	v1.Post("/service-orders/:id/complete", requireAuth, s.idempotent, s.moveServiceOrder(market.ActionCompleteOrder))
	v1.Get("/service-orders/:id/report", requireAuth, s.getServiceOrderReport)

	v1.Get("/stats/overview", requireAuth, s.statsOverview)

	v1.Get("/audit", requireAuth, s.listAudit)
	v1.Get("/audit/verify", requireAuth, s.verifyAudit)
}
