package bleve

import (
	"slices"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

func TestTablePutRemove(t *testing.T) {
	tb := newTable()
	tb.put([]search.Document{{ID: "a", Industry: "steel"}, {ID: "b", Industry: "automotive"}, {ID: "c"}})
	tb.put([]search.Document{{ID: "a", Industry: "chemical"}}) // replaces
	if len(tb.rows) != 3 || tb.dict.values[tb.rows[tb.byID["a"]].industry-1] != "chemical" {
		t.Fatalf("rows %+v", tb.rows)
	}
	tb.remove([]string{"a", "zzz"})
	if len(tb.rows) != 2 {
		t.Fatalf("after remove: %+v", tb.rows)
	}
	for id, i := range tb.byID {
		if tb.rows[i].id != id {
			t.Errorf("byID[%s] = %d points at %s", id, i, tb.rows[i].id)
		}
	}
	tb.clear()
	if len(tb.rows) != 0 || len(tb.byID) != 0 {
		t.Error("clear left rows")
	}
}

func TestTopKOrders(t *testing.T) {
	tb := newTable()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	tb.put([]search.Document{
		{ID: "x", PriceFen: 30, PublishedAt: day(1)},
		{ID: "w", PriceFen: 10, PublishedAt: day(3)},
		{ID: "v", PriceFen: 10, PublishedAt: day(3)},
		{ID: "u", PriceFen: 20, PublishedAt: day(2)},
	})
	scores := map[string]float64{"x": 2, "w": 1, "v": 1, "u": 3}
	rank := func(q search.Query, text bool, k int) []string {
		top := &topK{k: k, less: order(q, text)}
		for i := range tb.rows {
			top.offer(hit{row: &tb.rows[i], score: scores[tb.rows[i].id]})
		}
		var ids []string
		for _, h := range top.sorted() {
			ids = append(ids, h.row.id)
		}
		return ids
	}
	ach := search.Query{Kind: search.KindAchievement}
	for _, tc := range []struct {
		sort string
		text bool
		k    int
		want []string
	}{
		{"", true, 4, []string{"u", "x", "v", "w"}}, // score, then newest, then ID
		{"", false, 4, []string{"v", "w", "u", "x"}},
		{search.SortNewest, true, 2, []string{"v", "w"}},
		{search.SortPriceAsc, false, 3, []string{"v", "w", "u"}},
		{search.SortPriceDesc, false, 1, []string{"x"}},
	} {
		q := ach
		q.Sort = tc.sort
		if got := rank(q, tc.text, tc.k); !slices.Equal(got, tc.want) {
			t.Errorf("sort %q text %v k %d: %v, want %v", tc.sort, tc.text, tc.k, got, tc.want)
		}
	}
}

func TestFilterPass(t *testing.T) {
	tb := newTable()
	tb.put([]search.Document{{ID: "d", Kind: search.KindDemand, Industry: "steel", Modes: []string{"license", "service"},
		RegionCode: "450205", BudgetMinFen: 100, BudgetMaxFen: 300}})
	r := &tb.rows[0]
	v := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		q    search.Query
		want bool
	}{
		{search.Query{Kind: search.KindDemand}, true},
		{search.Query{Kind: search.KindDemand, Industries: []string{"steel", "x"}}, true},
		{search.Query{Kind: search.KindDemand, Industries: []string{"unknown"}}, false},
		{search.Query{Kind: search.KindDemand, Modes: []string{"service"}}, true},
		{search.Query{Kind: search.KindDemand, Modes: []string{"equity"}}, false},
		{search.Query{Kind: search.KindDemand, MinFen: v(300), MaxFen: v(400)}, true}, // touches
		{search.Query{Kind: search.KindDemand, MinFen: v(301)}, false},
		{search.Query{Kind: search.KindDemand, MaxFen: v(99)}, false},
		{search.Query{Kind: search.KindDemand, Maturities: []string{"pilot"}}, false},
	} {
		f := tb.compile(tc.q)
		if got := f.pass(r); got != tc.want {
			t.Errorf("%+v: pass = %v, want %v", tc.q, got, tc.want)
		}
	}
}

// A row holds up to five modes in place and more in a slice of its own;
// both are filtered and counted alike, and replacing a row drops the old
// modes.
func TestRowModes(t *testing.T) {
	tb := newTable()
	many := []string{"m1", "m2", "m3", "m4", "m5", "m6", "m7"}
	tb.put([]search.Document{{ID: "few", Modes: []string{"m2", "m7"}}, {ID: "many", Modes: many}})
	c := tb.newCounts()
	for i := range tb.rows {
		c.add(&tb.rows[i])
	}
	got := tb.facets(c)[search.FacetModes]
	want := map[string]int{"m1": 1, "m2": 2, "m3": 1, "m4": 1, "m5": 1, "m6": 1, "m7": 2}
	if len(got) != len(want) {
		t.Fatalf("mode counts %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("mode %s counted %d, want %d", k, got[k], n)
		}
	}
	f := tb.compile(search.Query{Kind: search.KindAchievement, Modes: []string{"m7"}})
	if !f.pass(&tb.rows[tb.byID["few"]]) || !f.pass(&tb.rows[tb.byID["many"]]) {
		t.Error("m7 filter rejects a row holding m7")
	}
	tb.put([]search.Document{{ID: "many", Modes: []string{"m1"}}})
	if f.pass(&tb.rows[tb.byID["many"]]) {
		t.Error("a replaced row kept its old modes")
	}
}
