package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// The helpers every resource's handlers share; each resource's handlers
// live in the file named after it (orgs.go, transactions.go, ...).

// page reads ?cursor= and ?limit=.
func page(c *fiber.Ctx) (market.PageRequest, error) {
	return market.ParsePage(c.Query("cursor"), c.Query("limit"))
}

// A handler parses the request, calls one service method and returns what
// it returned (as hashicorp/nomad's handlers do). ok and made are the one
// place that writes the answer: the value as JSON with 200 or 201, or the
// error, which the app's ErrorHandler turns into a problem document.
// Handlers that stream, set headers or answer from the read cache stay
// plain fiber.Handlers.
type handler func(c *fiber.Ctx) (any, error)

// ok answers 200 with the handler's value.
func ok(h handler) fiber.Handler { return reply(h, fiber.StatusOK) }

// made answers 201 with the handler's value: the resource it created.
func made(h handler) fiber.Handler { return reply(h, fiber.StatusCreated) }

func reply(h handler, status int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := h(c)
		if err != nil {
			return err
		}
		return c.Status(status).JSON(v)
	}
}

// created answers 201 with v, for the handlers that do more than return.
func created(c *fiber.Ctx, v any) error { return c.Status(fiber.StatusCreated).JSON(v) }
