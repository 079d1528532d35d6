package search_test

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// fuzzCompacted reports whether out is in with empty and repeated values
// dropped, order kept.
func fuzzCompacted(in, out []string) bool {
	var want []string
	for _, v := range in {
		if v != "" && !slices.Contains(want, v) {
			want = append(want, v)
		}
	}
	return slices.Equal(want, out)
}

// FuzzQueryNormalized builds arbitrary queries and checks Normalized: an
// accepted query has a known kind and sort, page ≥ 1, 1 ≤ limit ≤ MaxLimit,
// page × limit ≤ MaxWindow (computed without overflow), text of at most
// MaxQueryRunes, a sane price range and compacted filter lists, and
// normalising it again changes nothing; a refusal is EINVALID naming the
// query parameters at fault.
func FuzzQueryNormalized(f *testing.F) {
	type seed struct {
		kind, text, sort string
		page, limit      int
		minFen, maxFen   int64
		bounds           uint8
		lists            string
	}
	for _, s := range []seed{
		{"achievement", "碳纤维 轻量化", "", 0, 0, 0, 0, 0, ""},
		{"demand", "汽车减重", "relevance", 1, 20, 100, 5000, 3, "steel,,steel,automotive"},
		{"achievement", "", "newest", 500, 20, 0, 0, 1, ","},
		{"achievement", "", "price_asc", 501, 20, 0, 0, 0, ""},
		{"demand", "", "price_desc", 100, 100, 10, 9, 3, ""},
		{"demand", strings.Repeat("字", search.MaxQueryRunes), "", 1, 1, -1, -1, 3, ""},
		{"demand", strings.Repeat("字", search.MaxQueryRunes+1), "", 1, 1, 0, 0, 0, ""},
		{"org", "\xff\xfe", "price", -1, -1, 0, 0, 0, ""},
		{"", "", "", 0, 101, 0, 0, 0, ""},
		{"achievement", "", "", 1 << 40, 100, 0, 0, 0, ""},
		// page × limit past the int range must not wrap into the window.
		{"achievement", "", "", math.MaxInt, 2, 0, 0, 0, ""},
		{"demand", "", "", 1 << 62, 4, 0, 0, 0, ""},
		{"demand", "", "", math.MinInt, math.MinInt, math.MinInt64, math.MaxInt64, 3, ""},
		{"achievement", "ＡＢＣ　ｄｅｆ", "", 10000, 1, 0, 0, 2, "a,b,a,,c"},
	} {
		f.Add(s.kind, s.text, s.sort, s.page, s.limit, s.minFen, s.maxFen, s.bounds, s.lists)
	}
	fields := []string{"kind", "q", "sort", "page", "limit", "min_fen", "max_fen"}
	f.Fuzz(func(t *testing.T, kind, text, sort string, page, limit int, minFen, maxFen int64, bounds uint8, lists string) {
		list := strings.Split(lists, ",")
		q := search.Query{Kind: search.Kind(kind), Text: text, Sort: sort, Page: page, Limit: limit,
			Industries: list, Maturities: slices.Clone(list), Modes: slices.Clone(list), RegionCodes: slices.Clone(list)}
		if bounds&1 != 0 {
			q.MinFen = &minFen
		}
		if bounds&2 != 0 {
			q.MaxFen = &maxFen
		}
		n, err := q.Normalized()
		if err != nil {
			var me *market.Error
			if !errors.As(err, &me) || me.Code != market.EINVALID || len(me.Fields) == 0 {
				t.Fatalf("Normalized(%+v): %v, want EINVALID with fields", q, err)
			}
			for _, fe := range me.Fields {
				if !slices.Contains(fields, fe.Field) {
					t.Fatalf("Normalized(%+v) names %q", q, fe.Field)
				}
			}
			return
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("Normalized accepted page %d limit %d kind %q sort %q as %+v: "+format,
				append([]any{page, limit, kind, sort, n}, args...)...)
		}
		if n.Kind != search.KindDemand && n.Kind != search.KindAchievement {
			fail("kind")
		}
		if n.Page < 1 {
			fail("page below 1")
		}
		if n.Limit < 1 || n.Limit > search.MaxLimit {
			fail("limit out of 1..%d", search.MaxLimit)
		}
		// page × limit ≤ MaxWindow, asked without multiplying.
		if n.Page > search.MaxWindow/n.Limit {
			fail("page × limit beyond the window of %d", search.MaxWindow)
		}
		if utf8.RuneCountInString(n.Text) > search.MaxQueryRunes || n.Text != text {
			fail("text")
		}
		switch n.Sort {
		case "", search.SortNewest, search.SortPriceAsc, search.SortPriceDesc:
		default:
			fail("sort")
		}
		if (page == 0 && n.Page != 1) || (page != 0 && n.Page != page) ||
			(limit == 0 && n.Limit != search.DefaultLimit) || (limit != 0 && n.Limit != limit) {
			fail("defaults")
		}
		if (n.MinFen != nil && *n.MinFen < 0) || (n.MaxFen != nil && *n.MaxFen < 0) ||
			(n.MinFen != nil && n.MaxFen != nil && *n.MinFen > *n.MaxFen) {
			fail("price range")
		}
		for _, l := range [][]string{n.Industries, n.Maturities, n.Modes, n.RegionCodes} {
			if !fuzzCompacted(list, l) {
				fail("list %q from %q", l, list)
			}
		}
		// Lists compare by content: an emptied list may come back nil.
		again, err := n.Normalized()
		same := func(a, b search.Query) bool {
			for _, l := range []*[]string{&a.Industries, &a.Maturities, &a.Modes, &a.RegionCodes,
				&b.Industries, &b.Maturities, &b.Modes, &b.RegionCodes} {
				if len(*l) == 0 {
					*l = nil
				}
			}
			return reflect.DeepEqual(a, b)
		}
		if err != nil || !same(again, n) {
			t.Fatalf("normalising twice: %+v, %v; first %+v", again, err, n)
		}
	})
}

// FuzzSplitQuery checks the query splitter on any text: units are
// non-empty, distinct, normalised pieces of the normalised text holding
// only letters, digits and dots; splitting is insensitive to
// normalisation; Normalize is idempotent; Expand keeps the units first;
// FindTerms finds pieces of the text.
func FuzzSplitQuery(f *testing.F) {
	for _, s := range []string{
		"汽车减重",
		"碳纤维 轻量化",
		"工业4.0 智能制造",
		"ＡＢＣ　ｄｅｆ　ＢＭＳ",
		"RADAR 和 AR 的 VR/AR",
		"螺蛳粉的杀菌与保鲜",
		"   ",
		"...4..0.",
		"a,b;c|d/e\\f",
		"\xff\xfe汽\x00车",
		"İSTANBUL ǅ K ſ",
		"的",
		"减重减重减重",
		strings.Repeat("轻量化", 200),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		norm := search.Normalize(text)
		if search.Normalize(norm) != norm {
			t.Fatalf("Normalize is not idempotent on %q: %q, then %q", text, norm, search.Normalize(norm))
		}
		units := search.SplitQuery(text)
		seen := map[string]bool{}
		for _, u := range units {
			if u == "" {
				t.Fatalf("SplitQuery(%q) = %q holds an empty unit", text, units)
			}
			if seen[u] {
				t.Fatalf("SplitQuery(%q) = %q repeats %q", text, units, u)
			}
			seen[u] = true
			if search.Normalize(u) != u {
				t.Fatalf("SplitQuery(%q): unit %q is not normalised", text, u)
			}
			if !strings.Contains(norm, u) {
				t.Fatalf("SplitQuery(%q): unit %q is not in the normalised text %q", text, u, norm)
			}
			if i := strings.IndexFunc(u, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' }); i >= 0 {
				t.Fatalf("SplitQuery(%q): unit %q holds a separator", text, u)
			}
		}
		if hasWord := strings.IndexFunc(norm, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0; hasWord != (len(units) > 0) {
			t.Fatalf("SplitQuery(%q) = %q", text, units)
		}
		if again := search.SplitQuery(norm); !slices.Equal(again, units) {
			t.Fatalf("SplitQuery(%q) = %q but of its normal form %q", text, units, again)
		}
		if exp := search.Expand(units); len(exp) < len(units) || !slices.Equal(exp[:len(units)], units) {
			t.Fatalf("Expand(%q) = %q does not start with the units", units, exp)
		}
		for _, term := range search.FindTerms(text) {
			if term == "" || !strings.Contains(norm, term) {
				t.Fatalf("FindTerms(%q) found %q", text, term)
			}
		}
	})
}
