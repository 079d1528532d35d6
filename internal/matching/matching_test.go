package matching

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
	"github.com/liuzhou-techmarket/techmarket/internal/search/searchtest"
)

func fixtureEngine(t *testing.T, extra ...search.Document) search.Engine {
	t.Helper()
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	docs := append(append(searchtest.Achievements(), searchtest.Demands()...), extra...)
	if err := eng.Upsert(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return eng
}

func demand(id string) search.Document {
	for _, d := range searchtest.Demands() {
		if d.ID == id {
			return d
		}
	}
	panic(id)
}

func find(items []Item, id string) (Item, int) {
	for i, it := range items {
		if it.ID == id {
			return it, i
		}
	}
	return Item{}, -1
}

func TestMatchDemandFindsAchievementsWithReasons(t *testing.T) {
	eng := fixtureEngine(t)
	items, err := Match(context.Background(), eng, demand("d1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 || items[0].ID != "a1" {
		t.Fatalf("Match(d1) = %+v, want a1 (轻量化 for 减重) first", items)
	}
	want := []string{"共同关键词: 轻量化", "同属汽车行业", "合作方式契合: 技术转让", "报价在预算内", "成熟度: 中试"}
	got := strings.Join(items[0].Reasons, " | ")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("reasons %q: missing %q", got, w)
		}
	}
	// a4 (steel) says 汽车 and is from a related industry: it still matches.
	a4, _ := find(items, "a4")
	if a4.ID == "" || !slices.Contains(a4.Reasons, "相关行业: 钢铁 ↔ 汽车") {
		t.Errorf("a4 = %+v, want it listed with 相关行业: 钢铁 ↔ 汽车", a4)
	}
	for i, it := range items {
		if it.Score < 0 || it.Score > 1 || math.Abs(it.Score*1000-math.Round(it.Score*1000)) > 1e-9 {
			t.Errorf("score %v: want 0..1 with 3 decimals", it.Score)
		}
		if i > 0 && it.Score > items[i-1].Score {
			t.Errorf("not best first: %+v", items)
		}
		if it.Title == "" || it.Reasons == nil {
			t.Errorf("item %+v lacks title or reasons", it)
		}
	}
}

func TestMatchAchievementFindsDemands(t *testing.T) {
	eng := fixtureEngine(t)
	items, err := Match(context.Background(), eng, searchtest.Achievements()[0], 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 || items[0].ID != "d1" {
		t.Fatalf("Match(a1) = %+v, want d1 first", items)
	}
	if len(items) > 5 {
		t.Errorf("%d items for limit 5", len(items))
	}
	for _, it := range items {
		if !strings.HasPrefix(it.ID, "d") {
			t.Errorf("an achievement matched an achievement: %+v", it)
		}
	}
}

func TestOverBudgetRanksLowerButStays(t *testing.T) {
	base := searchtest.Achievements()[0]
	cheap, dear := base, base
	cheap.ID, cheap.OrgID, cheap.PriceFen = "x1", "ox1", demand("d1").BudgetMaxFen
	dear.ID, dear.OrgID, dear.PriceFen = "x0", "ox0", demand("d1").BudgetMaxFen*3/2
	eng := fixtureEngine(t, cheap, dear)
	items, err := Match(context.Background(), eng, demand("d1"), 20)
	if err != nil {
		t.Fatal(err)
	}
	c, ci := find(items, "x1")
	d, di := find(items, "x0")
	if ci < 0 || di < 0 {
		t.Fatalf("both should be listed: %+v", items)
	}
	if !(c.Score > d.Score && ci < di) {
		t.Errorf("within budget %v (#%d) should beat over budget %v (#%d)", c.Score, ci, d.Score, di)
	}
	if slices.Contains(d.Reasons, "报价在预算内") {
		t.Errorf("over budget item says 报价在预算内: %v", d.Reasons)
	}
}

func TestTiesAreOrderedByID(t *testing.T) {
	base := searchtest.Achievements()[0]
	var twins []search.Document
	for _, id := range []string{"t3", "t1", "t2"} {
		d := base
		d.ID, d.OrgID = id, "o"+id
		twins = append(twins, d)
	}
	eng := fixtureEngine(t, twins...)
	for range 3 { // and the same every time
		items, err := Match(context.Background(), eng, demand("d1"), 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var scores []float64
		for _, it := range items {
			if strings.HasPrefix(it.ID, "t") {
				got = append(got, it.ID)
				scores = append(scores, it.Score)
			}
		}
		if !slices.Equal(got, []string{"t1", "t2", "t3"}) || scores[0] != scores[2] {
			t.Fatalf("twins %v scores %v, want t1 t2 t3 with equal scores", got, scores)
		}
	}
}

func TestLimitAboveCandidates(t *testing.T) {
	var many []search.Document
	for i := range 70 {
		d := searchtest.Achievements()[0]
		d.ID, d.OrgID = fmt.Sprintf("m%02d", i), fmt.Sprintf("om%02d", i)
		many = append(many, d)
	}
	eng := fixtureEngine(t, many...)
	items, err := Match(context.Background(), eng, demand("d1"), MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) < 70 {
		t.Errorf("limit %d: %d items, want all 70 copies and more", MaxLimit, len(items))
	}
}

func TestOwnOrganisationIsLeftOut(t *testing.T) {
	eng := fixtureEngine(t)
	d1 := demand("d1")
	d1.OrgID = "u1" // the university of a1, a3 and a6
	items, err := Match(context.Background(), eng, d1, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a3", "a6"} {
		if _, i := find(items, id); i >= 0 {
			t.Errorf("%s of the same org matched: %+v", id, items)
		}
	}
}

func TestMatchErrors(t *testing.T) {
	eng := fixtureEngine(t)
	ctx := context.Background()
	for _, tc := range []struct {
		src   search.Document
		limit int
		code  string
	}{
		{search.Document{Kind: "org", Title: "x"}, 10, market.EINVALID},
		{demand("d1"), -1, market.EINVALID},
		{demand("d1"), MaxLimit + 1, market.EINVALID},
	} {
		if _, err := Match(ctx, eng, tc.src, tc.limit); market.ErrorCode(err) != tc.code {
			t.Errorf("Match(%s, %d) = %v, want %s", tc.src.Kind, tc.limit, err, tc.code)
		}
	}
	items, err := Match(ctx, eng, search.Document{Kind: search.KindDemand, Title: "的"}, 10)
	if err != nil || items == nil || len(items) != 0 {
		t.Errorf("nothing to match on: %v, %v; want an empty list", items, err)
	}
	closed, _ := bleve.OpenMemory()
	closed.Close()
	if _, err := Match(ctx, closed, demand("d1"), 10); market.ErrorCode(err) != market.EUNAVAILABLE {
		t.Errorf("closed engine: %v, want %s", err, market.EUNAVAILABLE)
	}
}

func TestPriceFit(t *testing.T) {
	for _, tc := range []struct {
		price, budget int64
		want          float64
		reason        string
	}{
		{0, 100, 0.6, "报价面议"},
		{50, 0, 0.6, ""},
		{100, 100, 1, "报价在预算内"},
		{150, 100, 0.5, ""},
		{300, 100, 0, ""},
	} {
		got, reason := priceFit(tc.price, tc.budget)
		if math.Abs(got-tc.want) > 1e-9 || reason != tc.reason {
			t.Errorf("priceFit(%d, %d) = %v %q, want %v %q", tc.price, tc.budget, got, reason, tc.want, tc.reason)
		}
	}
}

func TestIndustryAffinity(t *testing.T) {
	if industryAffinity("automotive", "automotive") != 1 {
		t.Error("same industry")
	}
	if a := industryAffinity("electronic_info", "automotive"); a <= 0 || a >= 1 || a != industryAffinity("automotive", "electronic_info") {
		t.Errorf("radar → cars: %v, want related both ways", a)
	}
	if industryAffinity("chemical", "steel") <= 0 {
		t.Error("new materials → steel")
	}
	if industryAffinity("bio_pharma", "steel") != 0 || industryAffinity("", "steel") != 0 {
		t.Error("unrelated or unknown")
	}
	for pair := range affinity {
		for _, code := range pair {
			if _, ok := industryLabels[code]; !ok {
				t.Errorf("affinity names unknown industry %q", code)
			}
		}
		if _, dup := affinity[[2]string{pair[1], pair[0]}]; dup {
			t.Errorf("pair %v listed both ways", pair)
		}
	}
}

func TestTerms(t *testing.T) {
	for text, want := range map[string][]string{
		"汽车车身减重方案征集":       {"汽车", "车身减重"},
		"动力电池包微通道液冷板与温控策略": {"动力电池", "包微通道液冷板", "温控策略"},
		"基于激光SLAM的AGV":     {"激光slam", "agv"},
		"技术需求":             nil,
	} {
		if got := terms(text, false, search.Builtin()); !slices.Equal(got, want) {
			t.Errorf("terms(%q) = %q, want %q", text, got, want)
		}
	}
	cs := sourceConcepts(demand("d1"), search.Builtin())
	if len(cs) == 0 || cs[0].term != "减重" || !slices.Contains(cs[0].variants, "轻量化") || cs[0].weight != weightKeyword {
		t.Errorf("concepts of d1 start %+v, want 减重 (keyword) with 轻量化 among its variants", cs[:min(1, len(cs))])
	}
}

func TestContainsWordAndPartial(t *testing.T) {
	for _, tc := range []struct {
		text, term string
		want       bool
	}{
		{"radar and ar glasses", "ar", true},
		{"radar", "ar", false},
		{"5g网关", "5g", true},
		{"15g", "5g", false},
		{"铝合金车门", "合金", true},
		{"", "x", false},
	} {
		if got := containsWord(tc.text, tc.term); got != tc.want {
			t.Errorf("containsWord(%q, %q) = %v", tc.text, tc.term, got)
		}
	}
	c := concept{term: "线路巡检", variants: []string{"线路巡检"}}
	if p := partialMatch("无人机航拍输电线路，开展巡检", c); math.Abs(p-2.0/3) > 1e-9 {
		t.Errorf("partialMatch = %v, want 2/3 (线路, 巡检 of 线路 路巡 巡检)", p)
	}
	if p := partialMatch("减重", concept{term: "轻量化", variants: []string{"轻量化", "减重"}}); p != 0 {
		t.Errorf("thesaurus terms get no partial credit: %v", p)
	}
}

// The words a description wraps its content in never become terms, nor do
// bare amounts; codes that mix letters and digits stay.
func TestBodyTermsDropFillers(t *testing.T) {
	body := "在成本可控的前提下，希望整车减重约10%以上，欢迎高校提供用于车身的新材料，年产30万吨，5G与1500MPa级均可。"
	got := terms(body, true, search.Builtin())
	for _, bad := range []string{"前提下", "欢迎", "提供", "用于", "以上", "约10", "10", "在本", "30万吨", "万吨", "成本可控"} {
		for _, g := range got {
			if strings.Contains(g, bad) {
				t.Errorf("terms(body) = %q: %q holds filler %q", got, g, bad)
			}
		}
	}
	for _, want := range []string{"新材料", "5g", "1500mpa"} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, want) }) {
			t.Errorf("terms(body) = %q, missing %q", got, want)
		}
	}
	for in, want := range map[string]string{"约10": "约", "缩小30%体积": "缩小 体积", "5g网关": "5g网关", "co2": "co2", "l4级": "l4级", "2000": " "} {
		if got := dropNumbers(in); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
			t.Errorf("dropNumbers(%q) = %q, want %q", in, got, want)
		}
	}
}

// A candidate that shares no term with the source scores clearly below
// one that does, however well industry, modes, price and maturity fit.
func TestNoSharedTermScoresLow(t *testing.T) {
	src := demand("d1")
	fits := search.Document{ID: "z1", Kind: search.KindAchievement, OrgID: "oz", Title: "茶叶采摘机器人", Body: "山地茶园采摘。",
		Industry: src.Industry, Modes: src.Modes, Maturity: "industrialized", PriceFen: 1}
	shares := fits
	shares.ID, shares.Title = "z2", "车身轻量化铝合金"
	concepts := sourceConcepts(src, search.Builtin())
	none := score(src, fits, concepts, nil, 1, defaultWeights)
	some := score(src, shares, concepts, nil, 1, defaultWeights)
	if none.Score > 0.36 {
		t.Errorf("no shared term: score %v, want at most 0.35 (text + half the context)", none.Score)
	}
	// Two shared terms at least double the score (0.458 against 0.225
	// with the weights of 2026-12-06).
	if some.Score < 2*none.Score || some.Score-none.Score < 0.2 {
		t.Errorf("shared term %v vs none %v: want a clear gap", some.Score, none.Score)
	}
}

// For an achievement's matches the maturity is the source's own: it is not
// a reason on every line. For a demand's matches it is each candidate's.
func TestMaturityReasonIsTheCandidates(t *testing.T) {
	eng := fixtureEngine(t)
	a1 := searchtest.Achievements()[0]
	if a1.Maturity != "pilot" && a1.Maturity != "industrialized" {
		t.Fatalf("fixture a1 maturity %q", a1.Maturity)
	}
	items, err := Match(context.Background(), eng, a1, 10)
	if err != nil || len(items) == 0 {
		t.Fatalf("Match(a1) = %v, %v", items, err)
	}
	for _, it := range items {
		for _, r := range it.Reasons {
			if strings.HasPrefix(r, "成熟度") {
				t.Errorf("demand %s lists the source's maturity as a reason: %v", it.ID, it.Reasons)
			}
		}
	}
}

// withSignal by hand: 0.08 per net useful feedback (at most three either
// way), 0.10 for an accepted intent, 0.15 for a signed deal, clamped to
// 0..1 and rounded to three decimals.
func TestWithSignal(t *testing.T) {
	for _, c := range []struct {
		score   float64
		sig     market.PairSignal
		want    float64
		reasons int
	}{
		{0.5, market.PairSignal{Useful: 1}, 0.58, 1},
		{0.5, market.PairSignal{Useful: 1, NotUseful: 1}, 0.5, 0},
		{0.5, market.PairSignal{NotUseful: 2}, 0.34, 1},
		{0.5, market.PairSignal{Useful: 9}, 0.74, 1}, // capped at three
		{0.5, market.PairSignal{AcceptedIntent: true}, 0.6, 1},
		{0.5, market.PairSignal{SignedDeal: true}, 0.65, 1},
		{0.9, market.PairSignal{Useful: 3, AcceptedIntent: true, SignedDeal: true}, 1, 3},
		{0.1, market.PairSignal{NotUseful: 3}, 0, 1},
	} {
		got := withSignal(Item{Score: c.score}, c.sig)
		if math.Abs(got.Score-c.want) > 1e-9 || len(got.Reasons) != c.reasons {
			t.Errorf("withSignal(%v, %+v) = %v %v, want %v with %d reasons", c.score, c.sig, got.Score, got.Reasons, c.want, c.reasons)
		}
	}
}

// Asked for, a candidate that ranks the source first among its own
// matches gains on one that would serve another demand first, and says
// so. Not asked for (the default), nothing of it shows.
func TestReciprocalRank(t *testing.T) {
	d1 := demand("d1")
	recip := Options{Reciprocal: true}
	items, err := MatchWith(context.Background(), fixtureEngine(t), d1, 10, recip)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 || !slices.Contains(items[0].Reasons, reciprocalReason) {
		t.Fatalf("Match(d1) = %+v, want a1 first, with d1 its own first match", items)
	}
	plainItems, err := Match(context.Background(), fixtureEngine(t), d1, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range plainItems {
		if slices.Contains(it.Reasons, reciprocalReason) {
			t.Fatalf("the default match used the reciprocal rank: %+v", it)
		}
	}

	// mine is a1 again; hub shares d1's words too, but is about what dx
	// asks for.
	mine := searchtest.Achievements()[0]
	mine.ID, mine.OrgID = "r1", "or1"
	hub := mine
	hub.ID, hub.OrgID = "r2", "or2"
	hub.Title = "螺蛳粉酸笋发酵汤料包装减重"
	hub.Keywords = []string{"螺蛳粉", "酸笋", "发酵", "汤料", "包装减重", "汽车零部件"}
	hub.Body = "螺蛳粉汤料与酸笋发酵的杀菌包装，包装减重。"
	dx := d1
	dx.ID, dx.OrgID = "dx", "odx"
	dx.Title, dx.Keywords, dx.Body = hub.Title, hub.Keywords, hub.Body
	eng := fixtureEngine(t, mine, hub, dx)
	plain := defaultWeights
	plain.mutual = 0
	before, err := match(context.Background(), eng, d1, 20, plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, err := MatchWith(context.Background(), eng, d1, 20, recip)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := find(before, "r1")
	b2, _ := find(before, "r2")
	a1, _ := find(after, "r1")
	a2, _ := find(after, "r2")
	if b1.ID == "" || b2.ID == "" || a1.ID == "" || a2.ID == "" {
		t.Fatalf("both should be listed: %+v", after)
	}
	if a1.Score-a2.Score <= b1.Score-b2.Score {
		t.Errorf("the listing that serves another demand first gained on the one that serves d1: before %v / %v, after %v / %v", b1.Score, b2.Score, a1.Score, a2.Score)
	}
	for _, it := range after {
		if it.Score < 0 || it.Score > 1 {
			t.Errorf("score %v out of 0..1", it.Score)
		}
	}
}

// Words any text uses (客户, 价格, 基本) count less as shared terms than the
// words of a trade, by their idf in general Chinese: a candidate that
// shares two of them with the demand no longer outranks one that shares
// the one word that says what the demand is about.
func TestCommonWordsCountLess(t *testing.T) {
	for _, c := range []struct {
		term     string
		min, max float64
	}{
		{"基本", 0.3, 0.5}, {"客户", 0.4, 0.6}, {"物流", 0.5, 0.7}, {"转炉", 0.8, 0.95},
		{"钢渣", 1, 1}, {"游离氧化钙", 1, 1}, {"agv", 1, 1},
	} {
		if got := specificity(c.term); got < c.min || got > c.max {
			t.Errorf("specificity(%q) = %.2f, want %.2f..%.2f", c.term, got, c.min, c.max)
		}
	}

	src := search.Document{ID: "d", Kind: search.KindDemand, OrgID: "o1", Title: "拣货老出错",
		Keywords: []string{"拣货", "客户", "价格"}}
	common := search.Document{ID: "a-common", Kind: search.KindAchievement, OrgID: "o2",
		Title: "客户价格管理软件", Body: "订单分级管理。"}
	trade := search.Document{ID: "a-trade", Kind: search.KindAchievement, OrgID: "o3",
		Title: "电子标签辅助拣货系统", Body: "亮灯指示拣货位置。"}
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	if err := eng.Upsert(context.Background(), []search.Document{src, common, trade}); err != nil {
		t.Fatal(err)
	}
	first := func(w weights) string {
		items, err := match(context.Background(), eng, src, 10, w, Options{})
		if err != nil || len(items) == 0 {
			t.Fatalf("match = %v, %v", items, err)
		}
		return items[0].ID
	}
	if got := first(defaultWeights); got != "a-trade" {
		t.Errorf("first match %s, want a-trade (it shares 拣货)", got)
	}
	plain := defaultWeights
	plain.general = false
	if got := first(plain); got != "a-common" {
		t.Errorf("without specificity the first match is %s; the test no longer tells the rule apart", got)
	}
}
