package httpapi

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/matching"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// listParam reads a filter given as repeated parameters, comma-separated
// values, or both (?industry=steel&industry=automotive or
// ?industry=steel,automotive), checking each value against codes.
func listParam(c *fiber.Ctx, name string, valid func(string) bool, p *market.Problems) []string {
	var out []string
	for _, raw := range c.Context().QueryArgs().PeekMulti(name) {
		for _, v := range strings.Split(string(raw), ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			if !valid(v) {
				p.Add(name, "unknown value %q (see GET /api/v1/meta)", v)
				continue
			}
			out = append(out, v)
		}
	}
	return out
}

// fenParam reads an amount that has several names (min_fen and
// price_min_fen). Every name present is checked, so a bad value under an
// alias is never hidden by a good one under another; when several are
// given they must agree.
func fenParam(c *fiber.Ctx, names []string, p *market.Problems) *int64 {
	var out *int64
	first := ""
	for _, name := range names {
		v := c.Query(name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			p.Add(name, "must be a non-negative integer amount in fen")
			continue
		}
		switch {
		case out == nil:
			out, first = &n, name
		case *out != n:
			p.Add(name, "disagrees with %s: give one of them", first)
		}
	}
	return out
}

func intParam(c *fiber.Ctx, name string, p *market.Problems) int {
	v := c.Query(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		p.Add(name, "must be a positive integer")
	}
	return n
}

// searchHandler serves GET /search/{achievements|demands}.
func (s *Server) searchHandler(kind search.Kind) fiber.Handler {
	// Price filters: achievements by asking price, demands by budget range;
	// min_fen/max_fen work for both.
	minNames, maxNames := []string{"min_fen", "price_min_fen"}, []string{"max_fen", "price_max_fen"}
	if kind == search.KindDemand {
		minNames, maxNames = []string{"min_fen", "budget_min_fen"}, []string{"max_fen", "budget_max_fen"}
	}
	return func(c *fiber.Ctx) error {
		var p market.Problems
		code := func(codes []market.Code) func(string) bool {
			return func(v string) bool { return market.HasCode(codes, v) }
		}
		q := search.Query{
			Kind:        kind,
			Text:        c.Query("q"),
			Industries:  listParam(c, "industry", code(market.Industries), &p),
			Modes:       listParam(c, "mode", code(market.Modes), &p),
			RegionCodes: listParam(c, "region_code", market.ValidRegionCode, &p),
			MinFen:      fenParam(c, minNames, &p),
			MaxFen:      fenParam(c, maxNames, &p),
			Sort:        c.Query("sort"),
			Page:        intParam(c, "page", &p),
			Limit:       intParam(c, "limit", &p),
		}
		if kind == search.KindAchievement {
			q.Maturities = listParam(c, "maturity", code(market.Maturities), &p)
		} else if c.Query("maturity") != "" {
			p.Add("maturity", "applies to achievements only")
		}
		if err := p.Err(); err != nil {
			return err
		}
		q, err := q.Normalized()
		if err != nil {
			return err
		}
		res, err := s.deps.Search.Search(c.UserContext(), q)
		if err != nil {
			return err
		}
		hits := make([]any, len(res.Hits))
		for i, h := range res.Hits {
			hits[i] = hitJSON(h)
		}
		return c.JSON(fiber.Map{"hits": hits, "facets": res.Facets, "total": res.Total, "page": q.Page,
			"limit": q.Limit, "processing_time_ms": res.ProcessingTimeMS, "query": q.Text})
	}
}

// matchesHandler serves GET /{demands|achievements}/{id}/matches.
func (s *Server) matchesHandler(kind market.ItemKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		limit := matching.DefaultLimit
		if v := c.Query("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > matching.MaxLimit {
				return market.Invalid("limit", "must be an integer from 1 to %d", matching.MaxLimit)
			}
			limit = n
		}
		items, err := s.deps.Search.Matches(c.UserContext(), kind, c.Params("id"), limit)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"items": items})
	}
}
