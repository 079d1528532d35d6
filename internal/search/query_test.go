package search

import (
	"math"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestNormalizedDefaults(t *testing.T) {
	q, err := Query{Kind: KindDemand, Sort: SortRelevance, Industries: []string{"steel", "", "steel", "chemical"}}.Normalized()
	if err != nil {
		t.Fatal(err)
	}
	if q.Page != 1 || q.Limit != DefaultLimit || q.Sort != "" {
		t.Errorf("defaults: page %d limit %d sort %q", q.Page, q.Limit, q.Sort)
	}
	if strings.Join(q.Industries, ",") != "steel,chemical" {
		t.Errorf("industries %v", q.Industries)
	}
	for _, s := range []string{"", SortNewest, SortPriceAsc, SortPriceDesc} {
		if _, err := (Query{Kind: KindAchievement, Sort: s}).Normalized(); err != nil {
			t.Errorf("sort %q: %v", s, err)
		}
	}
}

func TestNormalizedRejects(t *testing.T) {
	v := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		q     Query
		field string
	}{
		{Query{}, "kind"},
		{Query{Kind: "org"}, "kind"},
		{Query{Kind: KindDemand, Sort: "price"}, "sort"},
		{Query{Kind: KindDemand, Page: -1}, "page"},
		{Query{Kind: KindDemand, Limit: -1}, "limit"},
		{Query{Kind: KindDemand, Limit: MaxLimit + 1}, "limit"},
		{Query{Kind: KindDemand, Page: MaxWindow/MaxLimit + 1, Limit: MaxLimit}, "page"},
		{Query{Kind: KindDemand, Page: math.MaxInt, Limit: MaxLimit}, "page"}, // would overflow
		{Query{Kind: KindDemand, MinFen: v(-1)}, "min_fen"},
		{Query{Kind: KindDemand, MaxFen: v(-1)}, "max_fen"},
		{Query{Kind: KindDemand, MinFen: v(10), MaxFen: v(9)}, "max_fen"},
		{Query{Kind: KindDemand, Text: strings.Repeat("字", MaxQueryRunes+1)}, "q"},
	} {
		_, err := tc.q.Normalized()
		if market.ErrorCode(err) != market.EINVALID {
			t.Errorf("%+v: %v, want %s", tc.q, err, market.EINVALID)
			continue
		}
		if e := err.(*market.Error); e.Fields[0].Field != tc.field {
			t.Errorf("%+v: field %q, want %q", tc.q, e.Fields[0].Field, tc.field)
		}
	}
	if _, err := (Query{Kind: KindDemand, Page: MaxWindow / MaxLimit, Limit: MaxLimit}).Normalized(); err != nil {
		t.Errorf("last allowed page: %v", err)
	}
}
