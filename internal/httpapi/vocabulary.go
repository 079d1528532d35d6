package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// listSynonyms: GET /synonyms, every group sorted by id. The vocabulary is
// small and read whole, so the list has no pages.
func (s *Server) listSynonyms(c *fiber.Ctx) error {
	gs, err := s.deps.Vocabulary.ListSynonymGroups(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": gs})
}

// putSynonyms: PUT /synonyms/{id} {terms}: 201 when it creates the group,
// 200 when it replaces its terms.
func (s *Server) putSynonyms(c *fiber.Ctx) error {
	var in struct {
		Terms []string `json:"terms"`
	}
	if err := s.decode(c, &in, false); err != nil {
		return err
	}
	g, isNew, err := s.deps.Vocabulary.PutSynonymGroup(c.UserContext(), c.Params("id"), in.Terms)
	if err != nil {
		return err
	}
	if isNew {
		return created(c, g)
	}
	return c.JSON(g)
}

// deleteSynonyms: DELETE /synonyms/{id}, 204.
func (s *Server) deleteSynonyms(c *fiber.Ctx) error {
	if err := s.deps.Vocabulary.DeleteSynonymGroup(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// feedbackHandler serves POST /{demands|achievements}/{id}/matches/{other_id}/feedback
// {useful}: 201 with the caller's org's feedback on the pair.
func (s *Server) feedbackHandler(kind market.ItemKind) fiber.Handler {
	target := string(kind.Other()) + "_id"
	return func(c *fiber.Ctx) error {
		var in struct {
			Useful *bool `json:"useful"`
		}
		if err := s.decode(c, &in, false); err != nil {
			return err
		}
		if in.Useful == nil {
			return market.Invalid("useful", "is required: true or false")
		}
		fb, err := s.deps.Feedback.RecordMatchFeedback(c.UserContext(), kind, c.Params("id"), c.Params(target), *in.Useful)
		if err != nil {
			return err
		}
		return created(c, fb)
	}
}
