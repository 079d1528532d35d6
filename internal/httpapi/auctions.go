package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// createAuction: POST /auctions {achievement_id, starting_price_fen,
// reserve_price_fen, increment_fen, deposit_fen, starts_at, ends_at,
// extend_seconds}.
func (s *Server) createAuction(c *fiber.Ctx) (any, error) {
	var in market.NewAuction
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Auctions.CreateAuction(c.UserContext(), in)
}

// listAuctions: GET /auctions?status=&achievement_id=&cursor=&limit=.
func (s *Server) listAuctions(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	f := market.AuctionFilter{Status: c.Query("status"), AchievementID: c.Query("achievement_id"), Page: pr}
	return s.deps.Auctions.ListAuctions(c.UserContext(), f)
}

func (s *Server) getAuction(c *fiber.Ctx) (any, error) {
	return s.deps.Auctions.FindAuction(c.UserContext(), c.Params("id"))
}

// cancelAuction: POST /auctions/{id}/cancel, empty body or {reason}.
func (s *Server) cancelAuction(c *fiber.Ctx) (any, error) {
	var in reasonBody
	if err := s.decode(c, &in, true); err != nil {
		return nil, err
	}
	return s.deps.Auctions.CancelAuction(c.UserContext(), c.Params("id"), in.Reason)
}

// registerBidder: POST /auctions/{id}/registrations, empty body or {}.
func (s *Server) registerBidder(c *fiber.Ctx) (any, error) {
	if err := s.decode(c, &struct{}{}, true); err != nil {
		return nil, err
	}
	return s.deps.Auctions.Register(c.UserContext(), c.Params("id"))
}

func (s *Server) listRegistrations(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Auctions.ListRegistrations(c.UserContext(), c.Params("id"), pr)
}

// recordDeposit: POST /auctions/{id}/registrations/{registration_id}/deposit
// {voucher_no}.
func (s *Server) recordDeposit(c *fiber.Ctx) (any, error) {
	var in market.Deposit
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Auctions.RecordDeposit(c.UserContext(), c.Params("id"), c.Params("registration_id"), in)
}

// placeBid: POST /auctions/{id}/bids {amount_fen} → 201 with the auction.
func (s *Server) placeBid(c *fiber.Ctx) (any, error) {
	var in struct {
		AmountFen int64 `json:"amount_fen"`
	}
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Auctions.Bid(c.UserContext(), c.Params("id"), in.AmountFen)
}

func (s *Server) listBids(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Auctions.ListBids(c.UserContext(), c.Params("id"), pr)
}
