package httpapi

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz asks every dependency, in parallel, with a short deadline.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	ch := make(chan result, len(s.deps.Ready))
	for _, chk := range s.deps.Ready {
		go func() { ch <- result{chk.Name, chk.Check(ctx)} }()
	}
	checks := map[string]string{}
	ok := true
	for range s.deps.Ready {
		r := <-ch
		checks[r.name] = "ok"
		if r.err != nil {
			ok = false
			checks[r.name] = "down"
			s.deps.Log.Warn("readiness check failed", "check", r.name, "err", r.err)
		}
	}
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": checks})
}

// metaDocument is GET /meta's body. The codes are fixed in the binary, so
// it is encoded once; the ETag middleware tags it and answers 304.
func metaDocument() []byte {
	b, err := json.Marshal(fiber.Map{
		"industries": market.Industries, "maturities": market.Maturities, "modes": market.Modes,
		"contract_types": market.ContractTypes, "markets": market.Markets, "channels": market.Channels,
		"org_kinds": market.OrgKinds, "regions": market.Regions,
		"notice_kinds": market.NoticeKinds, "notice_statuses": market.NoticeStatuses,
		"objection_statuses": market.ObjectionStatuses, "auction_statuses": market.AuctionStatuses,
		"deposit_statuses": market.DepositStatuses,
	})
	if err != nil {
		panic(err) // fixed tables of strings always encode
	}
	return b
}

func (s *Server) meta(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(s.metaJSON)
}

// page reads ?cursor= and ?limit=.
func page(c *fiber.Ctx) (market.PageRequest, error) {
	return market.ParsePage(c.Query("cursor"), c.Query("limit"))
}

func created(c *fiber.Ctx, v any) error { return c.Status(fiber.StatusCreated).JSON(v) }

// login: POST /auth/login {account, password}.
func (s *Server) login(c *fiber.Ctx) error {
	var in struct {
		Account  string `json:"account"`
		Password string `json:"password"`
	}
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	t, err := s.deps.Auth.Login(c.UserContext(), in.Account, in.Password, s.clientIP(c))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *Server) refresh(c *fiber.Ctx) error {
	var in refreshBody
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	t, err := s.deps.Auth.Refresh(c.UserContext(), in.RefreshToken)
	if err != nil {
		return err
	}
	return c.JSON(t)
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

func (s *Server) me(c *fiber.Ctx) error {
	me, err := s.deps.Auth.Me(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(me)
}

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
	if f.Kind != "" && !market.HasCode(market.OrgKinds, f.Kind) {
		return market.Invalid("kind", "must be an org kind of GET /meta")
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

func (s *Server) listAudit(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	p, err := s.deps.Audit.ListAudit(c.UserContext(), market.AuditFilter{Entity: c.Query("entity"), EntityID: c.Query("entity_id"), Page: pr})
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) verifyAudit(c *fiber.Ctx) error {
	v, err := s.deps.Audit.VerifyAudit(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(v)
}
