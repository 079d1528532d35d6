package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// The helpers every resource's handlers share; each resource's handlers
// live in the file named after it (orgs.go, deals.go, ...).

// page reads ?cursor= and ?limit=.
func page(c *fiber.Ctx) (market.PageRequest, error) {
	return market.ParsePage(c.Query("cursor"), c.Query("limit"))
}

// created answers 201 with v.
func created(c *fiber.Ctx, v any) error { return c.Status(fiber.StatusCreated).JSON(v) }
