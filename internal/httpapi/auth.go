package httpapi

import (
	"github.com/gofiber/fiber/v2"
)

// login: POST /auth/login {account, password}.
func (s *Server) login(c *fiber.Ctx) (any, error) {
	var in struct {
		Account  string `json:"account"`
		Password string `json:"password"`
	}
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Auth.Login(c.UserContext(), in.Account, in.Password, s.clientIP(c))
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *Server) refresh(c *fiber.Ctx) (any, error) {
	var in refreshBody
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Auth.Refresh(c.UserContext(), in.RefreshToken)
}

func (s *Server) logout(c *fiber.Ctx) error {
	var in refreshBody
	if err := s.decode(c, &in, true); err != nil {
		return err
	}
	if err := s.deps.Auth.Logout(c.UserContext(), in.RefreshToken); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) (any, error) {
	return s.deps.Auth.Me(c.UserContext())
}
