package httpapi

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// createIntent: POST /intents {achievement_id | demand_id, message}.
func (s *Server) createIntent(c *fiber.Ctx) error {
	var in market.NewIntent
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	it, err := s.deps.Intents.CreateIntent(c.UserContext(), in)
	if err != nil {
		return err
	}
	return created(c, it)
}

// listIntents: GET /intents?role=sent|received&status=&cursor=&limit=.
func (s *Server) listIntents(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	f := market.IntentFilter{Role: c.Query("role"), Status: c.Query("status"), Page: pr}
	var p market.Problems
	if f.Role != "" && f.Role != market.IntentRoleSent && f.Role != market.IntentRoleReceived {
		p.Add("role", "must be sent or received")
	}
	if f.Status != "" && !slices.Contains(market.IntentStatuses, f.Status) {
		p.Add("status", "must be one of pending, accepted, declined")
	}
	if err := p.Err(); err != nil {
		return err
	}
	out, err := s.deps.Intents.ListIntents(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) getIntent(c *fiber.Ctx) error {
	it, err := s.deps.Intents.FindIntent(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(it)
}

// acceptIntent: POST /intents/{id}/accept with an empty body or {}.
func (s *Server) acceptIntent(c *fiber.Ctx) error {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return err
	}
	it, err := s.deps.Intents.AcceptIntent(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(it)
}

// declineIntent: POST /intents/{id}/decline {reason_code, reason}.
func (s *Server) declineIntent(c *fiber.Ctx) error {
	var d market.Decline
	if err := s.decode(c, &d, false); err != nil {
		return err
	}
	it, err := s.deps.Intents.DeclineIntent(c.UserContext(), c.Params("id"), d)
	if err != nil {
		return err
	}
	return c.JSON(it)
}
