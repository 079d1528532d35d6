package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// createSubsidyPolicy: POST /subsidy-policies, by the bureau.
func (s *Server) createSubsidyPolicy(c *fiber.Ctx) error {
	var in market.SubsidyPolicyInput
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	p, err := s.deps.Subsidies.CreateSubsidyPolicy(c.UserContext(), in)
	if err != nil {
		return err
	}
	return created(c, p)
}

// listSubsidyPolicies: GET /subsidy-policies?year=&status=&effective_on=,
// public.
func (s *Server) listSubsidyPolicies(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	f := market.SubsidyPolicyFilter{Status: c.Query("status"), EffectiveOn: c.Query("effective_on"), Page: pr}
	if y := c.Query("year"); y != "" {
		if f.Year, err = strconv.Atoi(y); err != nil || f.Year < 2000 || f.Year > 2100 {
			return market.Invalid("year", "must be a year from 2000 to 2100")
		}
	}
	out, err := s.deps.Subsidies.ListSubsidyPolicies(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) getSubsidyPolicy(c *fiber.Ctx) error {
	p, err := s.deps.Subsidies.FindSubsidyPolicy(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// updateSubsidyPolicy: PATCH /subsidy-policies/{id}.
func (s *Server) updateSubsidyPolicy(c *fiber.Ctx) error {
	var in market.SubsidyPolicyInput
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	p, err := s.deps.Subsidies.UpdateSubsidyPolicy(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// versionSubsidyPolicy: POST /subsidy-policies/{id}/versions with the
// fields to change (empty body or {} copies the policy as it is).
func (s *Server) versionSubsidyPolicy(c *fiber.Ctx) error {
	var in market.SubsidyPolicyInput
	if err := s.decode(c, &in, true); err != nil {
		return err
	}
	p, err := s.deps.Subsidies.VersionSubsidyPolicy(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return created(c, p)
}

// quoteSubsidy: POST /subsidies/quote {transaction_id, policy_id}; nothing
// is stored.
func (s *Server) quoteSubsidy(c *fiber.Ctx) error {
	var in market.SubsidyRequest
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	q, err := s.deps.Subsidies.QuoteSubsidy(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(q)
}

// createSubsidyApplication: POST /subsidy-applications {transaction_id,
// policy_id}, by the deal's buyer.
func (s *Server) createSubsidyApplication(c *fiber.Ctx) error {
	var in market.SubsidyRequest
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	app, err := s.deps.Subsidies.ApplyForSubsidy(c.UserContext(), in)
	if err != nil {
		return err
	}
	return created(c, app)
}

// listSubsidyApplications: GET /subsidy-applications?status=&policy_id=
// &transaction_id=&buyer_org_id=.
func (s *Server) listSubsidyApplications(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	f := market.SubsidyApplicationFilter{Status: c.Query("status"), PolicyID: c.Query("policy_id"),
		TransactionID: c.Query("transaction_id"), BuyerOrgID: c.Query("buyer_org_id"), Page: pr}
	out, err := s.deps.Subsidies.ListSubsidyApplications(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) getSubsidyApplication(c *fiber.Ctx) error {
	app, err := s.deps.Subsidies.FindSubsidyApplication(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(app)
}

// withdrawSubsidyApplication: POST /subsidy-applications/{id}/withdraw,
// empty body or {}.
func (s *Server) withdrawSubsidyApplication(c *fiber.Ctx) error {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return err
	}
	app, err := s.deps.Subsidies.WithdrawSubsidyApplication(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(app)
}

// reviewSubsidyApplication: POST /subsidy-applications/{id}/review
// {decision, reason}.
func (s *Server) reviewSubsidyApplication(c *fiber.Ctx) error {
	var r market.Review
	if err := s.decode(c, &r, false); err != nil {
		return err
	}
	app, err := s.deps.Subsidies.ReviewSubsidyApplication(c.UserContext(), c.Params("id"), r)
	if err != nil {
		return err
	}
	return c.JSON(app)
}

// disburseSubsidyApplication: POST /subsidy-applications/{id}/disburse
// {voucher_no}.
func (s *Server) disburseSubsidyApplication(c *fiber.Ctx) error {
	var d market.Disbursement
	if err := s.decode(c, &d, false); err != nil {
		return err
	}
	app, err := s.deps.Subsidies.DisburseSubsidyApplication(c.UserContext(), c.Params("id"), d)
	if err != nil {
		return err
	}
	return c.JSON(app)
}
