package httpapi

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// createIntent: POST /intents {achievement_id | demand_id, message}.
func (s *Server) createIntent(c *fiber.Ctx) (any, error) {
	var in market.NewIntent
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Intents.CreateIntent(c.UserContext(), in)
}

// listIntents: GET /intents?role=sent|received&status=&cursor=&limit=.
func (s *Server) listIntents(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	return s.deps.Intents.ListIntents(c.UserContext(), f)
}

func (s *Server) getIntent(c *fiber.Ctx) (any, error) {
	return s.deps.Intents.FindIntent(c.UserContext(), c.Params("id"))
}

// acceptIntent: POST /intents/{id}/accept with an empty body or {}.
func (s *Server) acceptIntent(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Intents.AcceptIntent(c.UserContext(), c.Params("id"))
}

// declineIntent: POST /intents/{id}/decline {reason_code, reason}.
func (s *Server) declineIntent(c *fiber.Ctx) (any, error) {
	var d market.Decline
	if err := s.decode(c, &d, false); err != nil {
		return nil, err
	}
	return s.deps.Intents.DeclineIntent(c.UserContext(), c.Params("id"), d)
}
