package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func (s *Server) registerOrg(c *fiber.Ctx) error {
	if err := s.limitRegistration(c); err != nil {
		return err
	}
	var in market.Registration
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	o, err := s.deps.Orgs.Register(c.UserContext(), in)
	if err != nil {
		return err
	}
	return created(c, o)
}

func (s *Server) listOrgs(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	f := market.OrgFilter{Kind: c.Query("kind"), Page: pr}
	if err := f.Validate(); err != nil {
		return err
	}
	if v := c.Query("verified"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return market.Invalid("verified", "must be true or false")
		}
		f.Verified = &b
	}
	p, err := s.deps.Orgs.ListOrgs(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) getOrg(c *fiber.Ctx) error {
	o, err := s.deps.Orgs.FindOrg(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (s *Server) verifyOrg(c *fiber.Ctx) error {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return err
	}
	o, err := s.deps.Orgs.VerifyOrg(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (s *Server) addUser(c *fiber.Ctx) error {
	var in market.NewUser
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	u, err := s.deps.Orgs.AddUser(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return created(c, u)
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	us, err := s.deps.Orgs.ListUsers(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": us})
}
