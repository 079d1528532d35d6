package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// itemHandlers serve the eight routes of one item kind.
type itemHandlers struct {
	s    *Server
	kind market.ItemKind
}

// input decodes the kind's body: unknown fields are checked against the
// kind, so "maturity" on a demand is refused.
func (h itemHandlers) input(c *fiber.Ctx) (market.ItemPatch, error) {
	if h.kind == market.KindDemand {
		var in market.DemandInput
		return in, h.s.decode(c, &in, false)
	}
	var in market.AchievementInput
	return in, h.s.decode(c, &in, false)
}

func (h itemHandlers) create(c *fiber.Ctx) error {
	in, err := h.input(c)
	if err != nil {
		return err
	}
	it, err := h.s.deps.Items.CreateItem(c.UserContext(), h.kind, in)
	if err != nil {
		return err
	}
	return created(c, it)
}

func (h itemHandlers) update(c *fiber.Ctx) error {
	in, err := h.input(c)
	if err != nil {
		return err
	}
	it, err := h.s.deps.Items.UpdateItem(c.UserContext(), h.kind, c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(it)
}

func (h itemHandlers) get(c *fiber.Ctx) error {
	if done, err := h.cachedItem(c); done {
		return err
	}
	it, err := h.s.deps.Items.FindItem(c.UserContext(), h.kind, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(it)
}

func (h itemHandlers) list(c *fiber.Ctx) error {
	pr, err := page(c)
	if err != nil {
		return err
	}
	f := market.ItemFilter{Kind: h.kind, Industry: c.Query("industry"), Status: c.Query("status"),
		OrgID: c.Query("org_id"), RegionCode: c.Query("region_code"), Page: pr}
	if err := f.Validate(); err != nil {
		return err
	}
	if done, err := h.cachedList(c, f); done {
		return err
	}
	page, err := h.s.deps.Items.ListItems(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h itemHandlers) action(c *fiber.Ctx, do func() (*market.Item, error)) error {
	it, err := do()
	if err != nil {
		return err
	}
	return c.JSON(it)
}

func (h itemHandlers) submit(c *fiber.Ctx) error {
	if err := h.s.decode(c, &struct{}{}, true); err != nil {
		return err
	}
	return h.action(c, func() (*market.Item, error) {
		return h.s.deps.Items.SubmitItem(c.UserContext(), h.kind, c.Params("id"))
	})
}

func (h itemHandlers) close(c *fiber.Ctx) error {
	if err := h.s.decode(c, &struct{}{}, true); err != nil {
		return err
	}
	return h.action(c, func() (*market.Item, error) {
		return h.s.deps.Items.CloseItem(c.UserContext(), h.kind, c.Params("id"))
	})
}

func (h itemHandlers) review(c *fiber.Ctx) error {
	var r market.Review
	if err := h.s.decode(c, &r, false); err != nil {
		return err
	}
	return h.action(c, func() (*market.Item, error) {
		return h.s.deps.Items.ReviewItem(c.UserContext(), h.kind, c.Params("id"), r)
	})
}
