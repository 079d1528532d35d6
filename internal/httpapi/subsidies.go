package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// createSubsidyPolicy: POST /subsidy-policies, by the bureau.
func (s *Server) createSubsidyPolicy(c *fiber.Ctx) (any, error) {
	var in market.SubsidyPolicyInput
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Subsidies.CreateSubsidyPolicy(c.UserContext(), in)
}

// listSubsidyPolicies: GET /subsidy-policies?year=&status=&effective_on=,
// public.
func (s *Server) listSubsidyPolicies(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	f := market.SubsidyPolicyFilter{Status: c.Query("status"), EffectiveOn: c.Query("effective_on"), Page: pr}
	if y := c.Query("year"); y != "" {
		if f.Year, err = strconv.Atoi(y); err != nil || f.Year < 2000 || f.Year > 2100 {
			return nil, market.Invalid("year", "must be a year from 2000 to 2100")
		}
	}
	return s.deps.Subsidies.ListSubsidyPolicies(c.UserContext(), f)
}

func (s *Server) getSubsidyPolicy(c *fiber.Ctx) (any, error) {
	return s.deps.Subsidies.FindSubsidyPolicy(c.UserContext(), c.Params("id"))
}

// updateSubsidyPolicy: PATCH /subsidy-policies/{id}.
func (s *Server) updateSubsidyPolicy(c *fiber.Ctx) (any, error) {
	var in market.SubsidyPolicyInput
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Subsidies.UpdateSubsidyPolicy(c.UserContext(), c.Params("id"), in)
}

// versionSubsidyPolicy: POST /subsidy-policies/{id}/versions with the
// fields to change (empty body or {} copies the policy as it is).
func (s *Server) versionSubsidyPolicy(c *fiber.Ctx) (any, error) {
	var in market.SubsidyPolicyInput
	if err := s.decode(c, &in, true); err != nil {
		return nil, err
	}
	return s.deps.Subsidies.VersionSubsidyPolicy(c.UserContext(), c.Params("id"), in)
}

// quoteSubsidy: POST /subsidies/quote {transaction_id, policy_id}; nothing
// is stored.
func (s *Server) quoteSubsidy(c *fiber.Ctx) (any, error) {
	var in market.SubsidyRequest
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Subsidies.QuoteSubsidy(c.UserContext(), in)
}

// createSubsidyApplication: POST /subsidy-applications {transaction_id,
// policy_id}, by the deal's buyer.
func (s *Server) createSubsidyApplication(c *fiber.Ctx) (any, error) {
	var in market.SubsidyRequest
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Subsidies.ApplyForSubsidy(c.UserContext(), in)
}

// listSubsidyApplications: GET /subsidy-applications?status=&policy_id=
// &transaction_id=&buyer_org_id=.
func (s *Server) listSubsidyApplications(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	f := market.SubsidyApplicationFilter{Status: c.Query("status"), PolicyID: c.Query("policy_id"),
		TransactionID: c.Query("transaction_id"), BuyerOrgID: c.Query("buyer_org_id"), Page: pr}
	return s.deps.Subsidies.ListSubsidyApplications(c.UserContext(), f)
}

func (s *Server) getSubsidyApplication(c *fiber.Ctx) (any, error) {
	return s.deps.Subsidies.FindSubsidyApplication(c.UserContext(), c.Params("id"))
}

// withdrawSubsidyApplication: POST /subsidy-applications/{id}/withdraw,
// empty body or {}.
func (s *Server) withdrawSubsidyApplication(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Subsidies.WithdrawSubsidyApplication(c.UserContext(), c.Params("id"))
}

// reviewSubsidyApplication: POST /subsidy-applications/{id}/review
// {decision, reason}.
func (s *Server) reviewSubsidyApplication(c *fiber.Ctx) (any, error) {
	var r market.Review
	if err := s.decode(c, &r, false); err != nil {
		return nil, err
	}
	return s.deps.Subsidies.ReviewSubsidyApplication(c.UserContext(), c.Params("id"), r)
}

// disburseSubsidyApplication: POST /subsidy-applications/{id}/disburse
// {voucher_no}.
func (s *Server) disburseSubsidyApplication(c *fiber.Ctx) (any, error) {
	var d market.Disbursement
	if err := s.decode(c, &d, false); err != nil {
		return nil, err
	}
	return s.deps.Subsidies.DisburseSubsidyApplication(c.UserContext(), c.Params("id"), d)
}
