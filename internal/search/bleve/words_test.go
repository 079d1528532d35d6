package bleve_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
	"github.com/liuzhou-techmarket/techmarket/internal/search/searchtest"
)

// A word counts by how rare it is, not by how few wordings it has: 钢渣
// has synonyms (冶金渣, 钢铁渣, 炉渣) and concept-map technologies, 利用 has
// none, and bleve's disjunction of a word's clauses once scaled a
// document's score by the share of them it matched. A listing of 钢渣 in
// its title ranked below six listings of mere 利用.
func TestRareWordOutranksCommonOne(t *testing.T) {
	doc := func(id, title, body string) search.Document { return achievement(id, title, nil, body) }
	docs := []search.Document{
		doc("slag", "钢渣微粉复合胶凝材料制备技术", "以磁选后尾渣为原料粉磨制备胶凝材料，可替代部分水泥。"),
		doc("both", "钢渣综合利用与路面骨料技术", "钢渣经热闷处理后用于沥青路面。"),
	}
	for i, s := range []string{"余热梯级", "低档茶", "秸秆", "废旧轮胎", "甘蔗渣", "雨水"} {
		docs = append(docs, doc(fmt.Sprintf("use%d", i), s+"利用技术", "提高资源利用效率，已在企业应用。"))
	}
	eng := filledMemory(t, docs)
	for _, q := range []string{"利用 钢渣", "钢渣 利用"} {
		got := searchtest.IDs(searchtest.Search(t, eng, search.Query{Kind: search.KindAchievement, Text: q}))
		if len(got) < 3 || got[0] != "both" || got[1] != "slag" {
			t.Errorf("%s: %v, want both (both words) then slag (the rare one) before any mere 利用", q, got)
		}
	}
}

// A typo stands for the words of the index that sound like it when there
// are any (清量化 is 轻量化, though 减量化 is more frequent), and for every
// word one character away when none does (珍光颜料 for 珠光颜料).
func TestTypoPrefersWordsThatSoundAlike(t *testing.T) {
	doc := func(id, title, keyword string) search.Document {
		return achievement(id, title, []string{keyword}, "已在企业完成中试。")
	}
	docs := []search.Document{doc("light", "车身轻量化设计技术", "轻量化"), doc("pearl", "珠光颜料包覆工艺", "珠光颜料")}
	for i := range 3 {
		docs = append(docs, doc(fmt.Sprintf("sludge%d", i), fmt.Sprintf("污泥减量化处理技术%d", i), "减量化"))
	}
	eng := filledMemory(t, docs)
	for q, want := range map[string]string{"清量化": "light", "珍光颜料": "pearl"} {
		got := searchtest.IDs(searchtest.Search(t, eng, search.Query{Kind: search.KindAchievement, Text: q}))
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: %v, want only %s", q, got, want)
		}
	}
}

// A search that finds only a handful of listings holding its words goes
// on with the listings that share a keyword with them, after them all:
// 刺绣纹样 is in one listing only, and the recording of 侗族大歌 shares
// its keyword 非遗数字化. Total and facets count it on every page and in
// every order; a listing sharing no keyword whole (数字化 is only part of
// 非遗数字化) is not like them, and a search with enough hits of its own
// adds none.
func TestFewHitsGoOnWithListingsLikeThem(t *testing.T) {
	docs := []search.Document{
		achievement("embroidery", "瑶族刺绣纹样数字化采集技术", []string{"非遗数字化", "民族服饰"}, "对传统刺绣纹样进行高精度扫描与矢量化。"),
		achievement("song", "侗族大歌音频采集与存档平台", []string{"非遗数字化"}, "多声部录音，建立开放音频库。"),
		achievement("plant", "车间设备联网与数字化看板", []string{"数字化"}, "采集设备状态并在看板显示。"),
	}
	eng := filledMemory(t, docs)
	q := search.Query{Kind: search.KindAchievement, Text: "刺绣纹样"}
	res := searchtest.Search(t, eng, q)
	if got := searchtest.IDs(res); len(got) != 2 || got[0] != "embroidery" || got[1] != "song" || res.Total != 2 {
		t.Fatalf("刺绣纹样: %v (total %d), want embroidery, then song (shares 非遗数字化), total 2", got, res.Total)
	}
	if n := res.Facets["industry"]["materials"]; n != 2 {
		t.Errorf("industry facet counts %d, want both hits", n)
	}
	for _, other := range []search.Query{{Sort: search.SortNewest}, {Limit: 1, Page: 2}} {
		other.Kind, other.Text = q.Kind, q.Text
		if res := searchtest.Search(t, eng, other); res.Total != 2 {
			t.Errorf("%+v: total %d, want 2 in every order and on every page", other, res.Total)
		}
	}

	// Ten listings holding the words: the search has enough of its own.
	for i := range 10 {
		docs = append(docs, achievement(fmt.Sprintf("embroidery%d", i), fmt.Sprintf("刺绣纹样设计方法%d", i), []string{"非遗数字化"}, "纹样设计。"))
	}
	eng = filledMemory(t, docs)
	if res := searchtest.Search(t, eng, q); res.Total != 11 {
		t.Errorf("with 11 listings holding the words: total %d (%v), want 11 and nothing like them", res.Total, searchtest.IDs(res))
	}
}

// achievement is a published achievement of org u1 with the given text.
func achievement(id, title string, keywords []string, body string) search.Document {
	return search.Document{ID: id, Kind: search.KindAchievement, OrgID: "u1", Title: title, Keywords: keywords,
		Body: body, Industry: "materials", Maturity: "pilot", PublishedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

// filledMemory returns an in-memory engine holding docs, closed with the
// test.
func filledMemory(t *testing.T, docs []search.Document) *bleve.Engine {
	t.Helper()
	eng, err := bleve.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	if err := eng.Upsert(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return eng
}
