package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func (s *Server) registerOrg(c *fiber.Ctx) (any, error) {
	if err := s.limitRegistration(c); err != nil {
		return nil, err
	}
	var in market.Registration
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Orgs.Register(c.UserContext(), in)
}

func (s *Server) listOrgs(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	f := market.OrgFilter{Kind: c.Query("kind"), Page: pr}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if v := c.Query("verified"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, market.Invalid("verified", "must be true or false")
		}
		f.Verified = &b
	}
	return s.deps.Orgs.ListOrgs(c.UserContext(), f)
}

func (s *Server) getOrg(c *fiber.Ctx) (any, error) {
	return s.deps.Orgs.FindOrg(c.UserContext(), c.Params("id"))
}

func (s *Server) verifyOrg(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Orgs.VerifyOrg(c.UserContext(), c.Params("id"))
}

func (s *Server) addUser(c *fiber.Ctx) (any, error) {
	var in market.NewUser
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Orgs.AddUser(c.UserContext(), c.Params("id"), in)
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	us, err := s.deps.Orgs.ListUsers(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": us})
}
