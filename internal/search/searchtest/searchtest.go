// Package searchtest is the behavioural suite every search.Engine passes:
// the in-process engine always, Meilisearch when a server is configured.
// An engine is correct for the marketplace when Run passes on it.
package searchtest

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Run runs the suite. newEngine returns a new, empty engine for each
// subtest and registers its cleanup with t.Cleanup.
func Run(t *testing.T, newEngine func(t *testing.T) search.Engine) {
	t.Run("Setup", func(t *testing.T) { testSetup(t, newEngine(t)) })
	t.Run("ChineseText", func(t *testing.T) { testChineseText(t, loaded(t, newEngine)) })
	t.Run("Synonyms", func(t *testing.T) { testSynonyms(t, loaded(t, newEngine)) })
	t.Run("LatinAndDigits", func(t *testing.T) { testLatin(t, loaded(t, newEngine)) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, loaded(t, newEngine)) })
	t.Run("BudgetFilter", func(t *testing.T) { testBudget(t, loaded(t, newEngine)) })
	t.Run("Facets", func(t *testing.T) { testFacets(t, loaded(t, newEngine)) })
	t.Run("Sort", func(t *testing.T) { testSort(t, loaded(t, newEngine)) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, loaded(t, newEngine)) })
	t.Run("Highlight", func(t *testing.T) { testHighlight(t, loaded(t, newEngine)) })
	t.Run("HighlightEscapesMarkup", func(t *testing.T) { testEscape(t, newEngine(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, loaded(t, newEngine)) })
	t.Run("DeleteAll", func(t *testing.T) { testDeleteAll(t, loaded(t, newEngine)) })
	t.Run("UpsertReplaces", func(t *testing.T) { testUpsertReplaces(t, loaded(t, newEngine)) })
	t.Run("Rebuild", func(t *testing.T) { testRebuild(t, loaded(t, newEngine)) })
	t.Run("MatchAnyRanking", func(t *testing.T) { testRanking(t, newEngine(t)) })
	t.Run("InvalidQuery", func(t *testing.T) { testInvalid(t, newEngine(t)) })
	t.Run("PartialMatch", func(t *testing.T) { testPartial(t, loaded(t, newEngine)) })
	t.Run("Typo", func(t *testing.T) { testTypo(t, loaded(t, newEngine)) })
	t.Run("SynonymUpdate", func(t *testing.T) { testSynonymUpdate(t, loaded(t, newEngine)) })
}

// Search never strands (SPEC): hits holding every word come first, then
// those holding fewer, and total counts them all.
func testPartial(t *testing.T, eng search.Engine) {
	// a1 holds both words; a2 and a4 only 铝合金's or 车身's neighbours at
	// best; d-side results never mix in.
	res := Search(t, eng, ach("车身 螺蛳粉"))
	got := IDs(res)
	if len(got) < 2 || !slices.Contains(got[:2], "a1") || !slices.Contains(got[:2], "a2") {
		t.Errorf(`"车身 螺蛳粉" = %v, want a1 (车身) and a2 (螺蛳粉), neither word alone empties the answer`, got)
	}
	if res.Total != len(got) {
		t.Errorf(`"车身 螺蛳粉": total %d for %d hits`, res.Total, len(got))
	}
	// Three words, one document holding two of them: it comes first.
	res = Search(t, eng, ach("铝合金 车身 螺蛳粉"))
	if got := IDs(res); len(got) < 2 || got[0] != "a1" || !slices.Contains(got, "a2") {
		t.Errorf(`"铝合金 车身 螺蛳粉" = %v, want a1 (two words) first, a2 (one) after`, got)
	}
	// A word nothing holds does not empty a query whose other word matches.
	if got := IDs(Search(t, eng, ach("螺蛳粉 量子纠缠"))); len(got) == 0 || got[0] != "a2" {
		t.Errorf(`"螺蛳粉 量子纠缠" = %v, want a2 first`, got)
	}
}

// One wrong character in a Chinese word of three or more characters still
// finds the word's listings (SPEC: 清量化 for 轻量化).
func testTypo(t *testing.T, eng search.Engine) {
	for _, q := range []string{"清量化", "螺狮粉"} {
		res := Search(t, eng, ach(q))
		want := map[string]string{"清量化": "a1", "螺狮粉": "a2"}[q]
		if got := IDs(res); len(got) == 0 || got[0] != want {
			t.Errorf("%q = %v, want %s first", q, got, want)
		}
	}
	// Codes are exact: PLD is not PLC.
	for _, h := range Search(t, eng, ach("PLD")).Hits {
		if h.ID == "a5" {
			t.Errorf(`"PLD" found a5 (PLC): three-letter codes take no typo`)
		}
	}
}

// A group of synonyms put in force without a reindex reaches the next
// search, and taking it away takes it back (GET/PUT/DELETE /synonyms).
func testSynonymUpdate(t *testing.T, eng search.Engine) {
	vs, ok := eng.(search.VocabularySetter)
	if !ok {
		t.Fatalf("%T does not take vocabulary changes", eng)
	}
	ctx := context.Background()
	// a2 says 螺蛳粉; nothing says 嗦粉.
	before := IDs(Search(t, eng, ach("嗦粉")))
	if slices.Contains(before, "a2") {
		t.Fatalf(`"嗦粉" finds a2 before any synonym: %v`, before)
	}
	if err := vs.SetSynonyms(ctx, search.Builtin().WithGroups([][]string{{"嗦粉", "螺蛳粉"}})); err != nil {
		t.Fatalf("SetSynonyms: %v", err)
	}
	if got := IDs(Search(t, eng, ach("嗦粉"))); len(got) == 0 || got[0] != "a2" {
		t.Errorf(`"嗦粉" after the group 嗦粉=螺蛳粉: %v, want a2 first`, got)
	}
	if err := vs.SetSynonyms(ctx, search.Builtin()); err != nil {
		t.Fatalf("SetSynonyms: %v", err)
	}
	if got := IDs(Search(t, eng, ach("嗦粉"))); slices.Contains(got, "a2") {
		t.Errorf(`"嗦粉" after the group was removed: %v still holds a2`, got)
	}
}

// loaded returns a set-up engine holding Achievements and Demands.
func loaded(t *testing.T, newEngine func(t *testing.T) search.Engine) search.Engine {
	t.Helper()
	eng := newEngine(t)
	ctx := context.Background()
	if err := eng.Setup(ctx); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if err := eng.Upsert(ctx, append(Achievements(), Demands()...)); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	return eng
}

// Search runs q and fails the test on error.
func Search(t *testing.T, eng search.Engine, q search.Query) search.Result {
	t.Helper()
	res, err := eng.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	if res.ProcessingTimeMS < 0 {
		t.Errorf("Search(%+v): ProcessingTimeMS = %d", q, res.ProcessingTimeMS)
	}
	return res
}

// IDs returns the IDs of the hits, in order.
func IDs(res search.Result) []string {
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids
}

func ach(text string) search.Query {
	return search.Query{Kind: search.KindAchievement, Text: text, Limit: 50}
}

func fen(v int64) *int64 { return &v }

// expectOrder checks the hits, in order, and the total.
func expectOrder(t *testing.T, eng search.Engine, q search.Query, want ...string) {
	t.Helper()
	res := Search(t, eng, q)
	if got := IDs(res); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("Search(%q %+v) = %v, want %v", q.Text, q, got, want)
	}
	if res.Total != len(want) {
		t.Errorf("Search(%q %+v).Total = %d, want %d", q.Text, q, res.Total, len(want))
	}
}

// expectSet checks the hits in any order, and the total. For a search
// with text (not MatchAny), want are the hits holding every word: they
// must come first, and the hits after them, holding only some of the
// words or parts of them (SPEC: search never strands), are not checked
// beyond the total counting every hit.
func expectSet(t *testing.T, eng search.Engine, q search.Query, want ...string) {
	t.Helper()
	res := Search(t, eng, q)
	got := IDs(res)
	if q.Text != "" && !q.MatchAny {
		if res.Total != len(got) {
			t.Errorf("Search(%q %+v).Total = %d, but %d hits", q.Text, q, res.Total, len(got))
		}
		if len(got) < len(want) {
			t.Errorf("Search(%q %+v) = %v, want %v first", q.Text, q, got, want)
			return
		}
		got = got[:len(want)]
		res.Total = len(want)
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("Search(%q %+v) = %v, want %v", q.Text, q, got, want)
	}
	if res.Total != len(want) {
		t.Errorf("Search(%q %+v).Total = %d, want %d", q.Text, q, res.Total, len(want))
	}
}

func testSetup(t *testing.T, eng search.Engine) {
	ctx := context.Background()
	for i := range 2 { // idempotent
		if err := eng.Setup(ctx); err != nil {
			t.Fatalf("Setup #%d: %v", i+1, err)
		}
	}
	if err := eng.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	expectSet(t, eng, ach(""))
	if err := eng.Delete(ctx, search.KindAchievement, []string{"nobody"}); err != nil {
		t.Errorf("Delete unknown ID: %v", err)
	}
	if err := eng.Upsert(ctx, nil); err != nil {
		t.Errorf("Upsert(nil): %v", err)
	}
}

func testChineseText(t *testing.T, eng search.Engine) {
	expectSet(t, eng, ach("铝合金"), "a1")
	expectSet(t, eng, ach("螺蛳粉"), "a2")
	expectSet(t, eng, ach("铝合金 车身"), "a1") // every word matches first
	// Nothing holds both: the hits that hold one word come back (SPEC:
	// search never strands), never an empty list.
	expectSet(t, eng, ach("铝合金 螺蛳粉"), "a1", "a2")
	expectSet(t, eng, ach("碳纤维复合材料"), "a6") // a long run of characters
	expectSet(t, eng, ach("污水处理"), "a5")
	expectSet(t, eng, ach(""), "a1", "a2", "a3", "a4", "a5", "a6")
	// Indexes are separate: demands never come back for achievements.
	expectSet(t, eng, search.Query{Kind: search.KindDemand, Text: "螺蛳粉"}, "d2")
	// A single character is a query too.
	expectSet(t, eng, search.Query{Kind: search.KindDemand, Text: "茶"}, "d3")
}

func testSynonyms(t *testing.T, eng search.Engine) {
	// a1 says 轻量化, never 减重; a2 says 杀菌 and 保鲜, never 灭菌.
	expectSet(t, eng, ach("减重"), "a1")
	expectSet(t, eng, ach("灭菌"), "a2")
	// ... and the other way round on demands: d1 says 减重, not 轻量化.
	expectSet(t, eng, search.Query{Kind: search.KindDemand, Text: "轻量化"}, "d1")
}

func testLatin(t *testing.T, eng search.Engine) {
	expectSet(t, eng, ach("AGV"), "a3")
	expectSet(t, eng, ach("agv"), "a3")
	expectSet(t, eng, ach("5G"), "a3")
	expectSet(t, eng, ach("PLC"), "a5")
	expectSet(t, eng, ach("5G 调度"), "a3")
	expectSet(t, eng, ach("PLC 污水处理"), "a5")
}

func testFilters(t *testing.T, eng search.Engine) {
	q := func(mod func(*search.Query)) search.Query {
		q := ach("")
		mod(&q)
		return q
	}
	expectSet(t, eng, q(func(q *search.Query) { q.Industries = []string{"automotive"} }), "a1", "a6")
	expectSet(t, eng, q(func(q *search.Query) { q.Industries = []string{"automotive", "steel"} }), "a1", "a4", "a6")
	expectSet(t, eng, q(func(q *search.Query) { q.Maturities = []string{"pilot"} }), "a1", "a5")
	expectSet(t, eng, q(func(q *search.Query) { q.Modes = []string{"license"} }), "a1", "a4")
	expectSet(t, eng, q(func(q *search.Query) { q.Modes = []string{"equity", "service"} }), "a4", "a5", "a6")
	expectSet(t, eng, q(func(q *search.Query) { q.RegionCodes = []string{"450204"} }), "a1", "a6")
	expectSet(t, eng, q(func(q *search.Query) { q.MinFen, q.MaxFen = fen(50_000_000), fen(200_000_000) }), "a2", "a4")
	expectSet(t, eng, q(func(q *search.Query) { q.MaxFen = fen(50_000_000) }), "a3", "a5")
	expectSet(t, eng, q(func(q *search.Query) { q.MinFen = fen(500_000_000) }), "a6")
	expectSet(t, eng, q(func(q *search.Query) {
		q.Industries, q.Maturities = []string{"automotive"}, []string{"pilot"}
	}), "a1")
	expectSet(t, eng, q(func(q *search.Query) { q.Industries = []string{"no_such_industry"} }))
	expectSet(t, eng, q(func(q *search.Query) { q.RegionCodes = []string{`45"02\04`} }))
	expectSet(t, eng, q(func(q *search.Query) { q.Text, q.Industries = "螺蛳粉", []string{"steel"} }))
	expectSet(t, eng, q(func(q *search.Query) { q.Text, q.Industries = "汽车", []string{"steel"} }), "a4")
}

func testBudget(t *testing.T, eng search.Engine) {
	dem := search.Query{Kind: search.KindDemand}
	q := dem
	q.MinFen, q.MaxFen = fen(250_000_000), fen(600_000_000)
	expectSet(t, eng, q, "d1", "d2")
	q = dem
	q.MaxFen = fen(150_000_000)
	expectSet(t, eng, q, "d1", "d3")
	q = dem
	q.MinFen = fen(700_000_000)
	expectSet(t, eng, q, "d2")
	q = dem
	q.Sort = search.SortPriceAsc
	expectOrder(t, eng, q, "d3", "d1", "d2")
	q.Sort = search.SortPriceDesc
	expectOrder(t, eng, q, "d2", "d1", "d3")
}

func testFacets(t *testing.T, eng search.Engine) {
	res := Search(t, eng, ach(""))
	want := map[string]map[string]int{
		"industry":    {"automotive": 2, "light_industry": 1, "high_end_equipment": 1, "steel": 1, "energy_environment": 1},
		"maturity":    {"pilot": 2, "industrialized": 2, "small_trial": 1, "lab": 1},
		"modes":       {"transfer": 2, "license": 2, "joint_development": 2, "service": 2, "equity": 1},
		"region_code": {"450204": 2, "450202": 1, "450205": 1, "450203": 1, "440305": 1},
	}
	checkFacets(t, "all", res, want)

	// Counts cover the whole filtered result set, not just the page.
	q := ach("")
	q.Industries = []string{"automotive"}
	q.Limit = 1
	res = Search(t, eng, q)
	if len(res.Hits) != 1 || res.Total != 2 {
		t.Errorf("automotive, limit 1: %d hits, total %d; want 1, 2", len(res.Hits), res.Total)
	}
	checkFacets(t, "automotive", res, map[string]map[string]int{
		"industry":    {"automotive": 2},
		"maturity":    {"pilot": 1, "lab": 1},
		"modes":       {"transfer": 1, "license": 1, "joint_development": 1, "equity": 1},
		"region_code": {"450204": 2},
	})

	res = Search(t, eng, ach("汽车"))
	if got := res.Facets["industry"]["automotive"]; got != 1 {
		t.Errorf(`"汽车" industry facet automotive = %d, want 1 (a1; a6 never says 汽车)`, got)
	}
}

func checkFacets(t *testing.T, name string, res search.Result, want map[string]map[string]int) {
	t.Helper()
	for _, f := range search.FacetNames() {
		got := map[string]int{}
		for k, v := range res.Facets[f] {
			if v != 0 {
				got[k] = v
			}
		}
		if !reflect.DeepEqual(got, want[f]) {
			t.Errorf("%s: facet %s = %v, want %v", name, f, got, want[f])
		}
	}
}

func testSort(t *testing.T, eng search.Engine) {
	q := ach("")
	q.Sort = search.SortNewest
	expectOrder(t, eng, q, "a6", "a5", "a2", "a3", "a1", "a4")
	q.Sort = search.SortPriceAsc
	expectOrder(t, eng, q, "a3", "a5", "a2", "a4", "a1", "a6")
	q.Sort = search.SortPriceDesc
	expectOrder(t, eng, q, "a6", "a1", "a4", "a2", "a5", "a3")
	q.Sort = search.SortRelevance // without text: newest first
	expectOrder(t, eng, q, "a6", "a5", "a2", "a3", "a1", "a4")
	q.Sort = ""
	expectOrder(t, eng, q, "a6", "a5", "a2", "a3", "a1", "a4")
	q = ach("汽车")
	q.Sort = search.SortNewest
	res := Search(t, eng, q)
	if got := IDs(res); len(got) < 2 || !slices.IsSortedFunc(res.Hits, func(a, b search.Hit) int {
		return b.PublishedAt.Compare(a.PublishedAt)
	}) {
		t.Errorf(`"汽车" newest = %v, want at least two hits, newest first`, got)
	}
}

func testPagination(t *testing.T, eng search.Engine) {
	q := ach("")
	q.Sort, q.Limit = search.SortNewest, 4
	for page, want := range [][]string{{"a6", "a5", "a2", "a3"}, {"a1", "a4"}, nil} {
		q.Page = page + 1
		res := Search(t, eng, q)
		if got := IDs(res); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("page %d = %v, want %v", q.Page, got, want)
		}
		if res.Total != 6 {
			t.Errorf("page %d: Total = %d, want 6", q.Page, res.Total)
		}
	}
}

func testHighlight(t *testing.T, eng search.Engine) {
	res := Search(t, eng, ach("铝合金"))
	if len(res.Hits) < 1 || res.Hits[0].ID != "a1" {
		t.Fatalf(`"铝合金": %v, want a1 first`, IDs(res))
	}
	h := res.Hits[0]
	title := h.Formatted["title"]
	if !strings.Contains(emphasised(title), "铝合金") {
		t.Errorf("Formatted title %q: 铝合金 is not inside <em></em>", title)
	}
	if stripTags(title) != h.Title {
		t.Errorf("Formatted title %q is not the title %q with marks", title, h.Title)
	}
	body := h.Formatted["body"]
	if !strings.Contains(emphasised(body), "铝合金") {
		t.Errorf("Formatted body %q: 铝合金 is not inside <em></em>", body)
	}
	if s := strings.ReplaceAll(stripTags(body), "…", ""); !strings.Contains(h.Body, s) {
		t.Errorf("Formatted body %q is not a piece of the body %q", body, h.Body)
	}

	// A match through a synonym is highlighted where it is in the text.
	res = Search(t, eng, ach("减重"))
	if len(res.Hits) < 1 || res.Hits[0].ID != "a1" || !strings.Contains(emphasised(res.Hits[0].Formatted["title"]), "轻量化") {
		t.Errorf(`"减重": want a1 with 轻量化 highlighted, got %+v`, res.Hits)
	}
}

// Highlights are HTML: markup in a listing is escaped, only the <em></em>
// markers are tags.
func testEscape(t *testing.T, eng search.Engine) {
	ctx := context.Background()
	if err := eng.Setup(ctx); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	d := Achievements()[0]
	d.Title = `铝合金<script>alert("x")</script>`
	d.Body = `铝合金 & <b>粗体</b>`
	if err := eng.Upsert(ctx, []search.Document{d}); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	res := Search(t, eng, ach("铝合金"))
	if len(res.Hits) != 1 {
		t.Fatalf("%d hits", len(res.Hits))
	}
	h := res.Hits[0]
	if h.Title != d.Title {
		t.Errorf("plain title changed: %q", h.Title)
	}
	for field, v := range h.Formatted {
		if strings.Contains(v, "<script") || strings.Contains(v, "<b>") {
			t.Errorf("Formatted[%s] = %q carries markup", field, v)
		}
		if !strings.Contains(v, "<em>") {
			t.Errorf("Formatted[%s] = %q lost its highlight", field, v)
		}
	}
	if !strings.Contains(h.Formatted["title"], "&lt;script&gt;") || !strings.Contains(h.Formatted["body"], "&amp;") {
		t.Errorf("Formatted %v: want the markup escaped", h.Formatted)
	}
}

// emphasised returns the text inside <em></em> pairs.
func emphasised(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "<em>")
		if i < 0 {
			return b.String()
		}
		s = s[i+4:]
		j := strings.Index(s, "</em>")
		if j < 0 {
			return b.String()
		}
		b.WriteString(s[:j])
		s = s[j+5:]
	}
}

func stripTags(s string) string {
	return strings.NewReplacer("<em>", "", "</em>", "").Replace(s)
}

func testDelete(t *testing.T, eng search.Engine) {
	ctx := context.Background()
	if err := eng.Delete(ctx, search.KindAchievement, []string{"a1", "missing"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	expectSet(t, eng, ach("铝合金"))
	expectSet(t, eng, ach(""), "a2", "a3", "a4", "a5", "a6")
	// Same ID space, other index: untouched.
	if err := eng.Delete(ctx, search.KindDemand, []string{"a2"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	expectSet(t, eng, ach("螺蛳粉"), "a2")
	if err := eng.Delete(ctx, search.KindDemand, nil); err != nil {
		t.Fatalf("Delete(nil): %v", err)
	}
}

func testDeleteAll(t *testing.T, eng search.Engine) {
	ctx := context.Background()
	if err := eng.DeleteAll(ctx, search.KindAchievement); err != nil {
		t.Fatalf("DeleteAll: %v", err)
	}
	expectSet(t, eng, ach(""))
	expectSet(t, eng, search.Query{Kind: search.KindDemand}, "d1", "d2", "d3")
	// The emptied index still works.
	if err := eng.Upsert(ctx, Achievements()[:1]); err != nil {
		t.Fatalf("Upsert after DeleteAll: %v", err)
	}
	expectSet(t, eng, ach("铝合金"), "a1")
}

// testRebuild checks an engine that rebuilds beside the live index: the
// live index answers, unchanged, until Commit, then holds exactly what was
// rebuilt; Abort leaves it as it was. Engines without it skip.
func testRebuild(t *testing.T, eng search.Engine) {
	rb, ok := eng.(search.Rebuilder)
	if !ok {
		t.Skip("engine does not rebuild beside the live index")
	}
	ctx := context.Background()
	aborted, err := rb.Rebuild(ctx, search.KindAchievement)
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if err := aborted.Upsert(ctx, Achievements()[:1]); err != nil {
		t.Fatalf("Upsert into rebuild: %v", err)
	}
	if err := aborted.Abort(ctx); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	expectSet(t, eng, ach(""), "a1", "a2", "a3", "a4", "a5", "a6")

	r, err := rb.Rebuild(ctx, search.KindAchievement)
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if err := r.Upsert(ctx, Achievements()[1:3]); err != nil {
		t.Fatalf("Upsert into rebuild: %v", err)
	}
	// Live writes and searches go on meanwhile, on the live index.
	expectSet(t, eng, ach(""), "a1", "a2", "a3", "a4", "a5", "a6")
	if err := eng.Delete(ctx, search.KindAchievement, []string{"a6"}); err != nil {
		t.Fatalf("Delete during rebuild: %v", err)
	}
	expectSet(t, eng, ach(""), "a1", "a2", "a3", "a4", "a5")
	if err := r.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	expectSet(t, eng, ach(""), "a2", "a3")
	q := ach("")
	q.Industries = []string{Achievements()[1].Industry}
	if res := Search(t, eng, q); res.Total < 1 {
		t.Errorf("filter on the rebuilt index: total %d", res.Total)
	}
	expectSet(t, eng, search.Query{Kind: search.KindDemand}, "d1", "d2", "d3")
	// The new live index takes writes.
	if err := eng.Upsert(ctx, Achievements()[:1]); err != nil {
		t.Fatalf("Upsert after Commit: %v", err)
	}
	expectSet(t, eng, ach(""), "a1", "a2", "a3")
}

func testUpsertReplaces(t *testing.T, eng search.Engine) {
	a1 := Achievements()[0]
	a1.Title = "氢燃料电池金属双极板"
	a1.Keywords = []string{"双极板"}
	a1.Body = "冲压成形的不锈钢双极板及其表面涂层。"
	a1.Industry = "energy_environment"
	if err := eng.Upsert(context.Background(), []search.Document{a1}); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	expectSet(t, eng, ach("铝合金"))
	expectSet(t, eng, ach("双极板"), "a1")
	expectSet(t, eng, ach(""), "a1", "a2", "a3", "a4", "a5", "a6")
	q := ach("")
	q.Industries = []string{"automotive"}
	expectSet(t, eng, q, "a6")
	res := Search(t, eng, ach("双极板"))
	if len(res.Hits) == 1 && res.Hits[0].Title != a1.Title {
		t.Errorf("hit title %q, want %q", res.Hits[0].Title, a1.Title)
	}
}

func testRanking(t *testing.T, eng search.Engine) {
	ctx := context.Background()
	if err := eng.Setup(ctx); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if err := eng.Upsert(ctx, Ranking()); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	q := ach("石墨烯 导热 散热膜")
	expectSet(t, eng, q, "r1") // every word first
	q.MatchAny = true
	expectOrder(t, eng, q, "r1", "r2", "r3")
	res := Search(t, eng, q)
	for i := 1; i < len(res.Hits); i++ {
		if res.Hits[i].Score > res.Hits[i-1].Score {
			t.Errorf("MatchAny scores not descending: %v", res.Hits)
		}
	}
	// The title weighs more than the body.
	expectOrder(t, eng, ach("柔性显示"), "r4", "r5")
}

func testInvalid(t *testing.T, eng search.Engine) {
	if err := eng.Setup(context.Background()); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	for _, q := range []search.Query{
		{Kind: "catalog"},
		{Kind: search.KindAchievement, Sort: "cheapest"},
		{Kind: search.KindAchievement, Limit: search.MaxLimit + 1},
		{Kind: search.KindAchievement, Page: -1},
		{Kind: search.KindAchievement, MinFen: fen(10), MaxFen: fen(5)},
		{Kind: search.KindAchievement, Text: strings.Repeat("汽", search.MaxQueryRunes+1)},
	} {
		_, err := eng.Search(context.Background(), q)
		if code := market.ErrorCode(err); code != market.EINVALID {
			t.Errorf("Search(%+v) error %v (code %q), want %s", q, err, code, market.EINVALID)
		}
	}
}
