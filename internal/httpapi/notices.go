package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// createNotice: POST /notices {achievement_id, kind, price_fen,
// buyer_org_id, starts_on, ends_on, note}.
func (s *Server) createNotice(c *fiber.Ctx) (any, error) {
	var in market.NewNotice
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Notices.CreateNotice(c.UserContext(), in)
}

// listNotices: GET /notices?status=&kind=&achievement_id=&cursor=&limit=.
func (s *Server) listNotices(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	f := market.NoticeFilter{Status: c.Query("status"), Kind: c.Query("kind"), AchievementID: c.Query("achievement_id"), Page: pr}
	return s.deps.Notices.ListNotices(c.UserContext(), f)
}

func (s *Server) getNotice(c *fiber.Ctx) (any, error) {
	return s.deps.Notices.FindNotice(c.UserContext(), c.Params("id"))
}

// reasonBody is the optional body of cancel actions.
type reasonBody struct {
	Reason string `json:"reason"`
}

// cancelNotice: POST /notices/{id}/cancel, empty body or {reason}.
func (s *Server) cancelNotice(c *fiber.Ctx) (any, error) {
	var in reasonBody
	if err := s.decode(c, &in, true); err != nil {
		return nil, err
	}
	return s.deps.Notices.CancelNotice(c.UserContext(), c.Params("id"), in.Reason)
}

// createObjection: POST /notices/{id}/objections {reason}.
func (s *Server) createObjection(c *fiber.Ctx) (any, error) {
	var in market.NewObjection
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Notices.Object(c.UserContext(), c.Params("id"), in)
}

func (s *Server) listObjections(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Notices.ListObjections(c.UserContext(), c.Params("id"), pr)
}

// resolveObjection: POST /notices/{id}/objections/{objection_id}/resolve
// {upheld, note}.
func (s *Server) resolveObjection(c *fiber.Ctx) (any, error) {
	var in market.Resolution
	if err := s.decode(c, &in, false); err != nil {
		return nil, err
	}
	return s.deps.Notices.ResolveObjection(c.UserContext(), c.Params("id"), c.Params("objection_id"), in)
}

// createApplication: POST /notices/{id}/applications {message}.
func (s *Server) createApplication(c *fiber.Ctx) (any, error) {
	var in market.NewApplication
	if err := s.decode(c, &in, true); err != nil {
		return nil, err
	}
	return s.deps.Notices.Apply(c.UserContext(), c.Params("id"), in)
}

func (s *Server) listApplications(c *fiber.Ctx) (any, error) {
	pr, err := page(c)
	if err != nil {
		return nil, err
	}
	return s.deps.Notices.ListApplications(c.UserContext(), c.Params("id"), pr)
}
