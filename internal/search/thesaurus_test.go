package search

import (
	"slices"
	"strings"
	"testing"
)

func TestThesaurusParses(t *testing.T) {
	th, err := parseThesaurus(thesaurusText)
	if err != nil {
		t.Fatalf("embedded thesaurus: %v", err)
	}
	if len(th.groups) < 80 {
		t.Errorf("%d synonym groups, want at least 80", len(th.groups))
	}
	// Every industry of the spec has a section.
	for _, code := range []string{"automotive", "steel", "machinery", "chemical", "light_industry", "high_end_equipment",
		"electronic_info", "energy_environment", "bio_pharma", "producer_services", "future_industries"} {
		if !strings.Contains(thesaurusText, "# "+code+" ") {
			t.Errorf("no section for industry %s", code)
		}
	}
}

func TestParseThesaurusRejects(t *testing.T) {
	for _, text := range []string{
		"孤词",         // a group of one
		"甲,,乙",       // an empty term
		"甲,乙,甲",      // a term twice in a group
		"Agv,AGV",    // the same after folding
		"甲,乙\n丙, ，丁", // an empty term, full-width comma
	} {
		if _, err := parseThesaurus(text); err == nil {
			t.Errorf("parseThesaurus(%q) accepted", text)
		}
	}
	th, err := parseThesaurus("# comment\n\n甲,乙，丙\n")
	if err != nil || len(th.groups) != 1 || len(th.groups[0]) != 3 {
		t.Errorf("comment and full-width comma: %v %v", th, err)
	}
}

func TestSynonyms(t *testing.T) {
	syn := Synonyms()
	for term, want := range map[string][]string{
		"减重":   {"轻量化", "降低整备质量", "车身减重"},
		"轻量化":  {"减重"},
		"电动汽车": {"新能源汽车", "电动车"},
		"灭菌":   {"杀菌", "保鲜", "防腐"},
		"AGV":  {"自动导引车"},
		"螺蛳粉":  {"柳州螺蛳粉"},
		"人工智能": {"AI"},
	} {
		for _, w := range want {
			if !slices.Contains(syn[term], w) {
				t.Errorf("Synonyms()[%s] = %v, missing %s", term, syn[term], w)
			}
		}
		if slices.Contains(syn[term], term) {
			t.Errorf("Synonyms()[%s] contains the term itself", term)
		}
	}
	// A fresh copy each time.
	syn["减重"] = nil
	if len(Synonyms()["减重"]) == 0 {
		t.Error("Synonyms shares its map")
	}
}

func TestExpand(t *testing.T) {
	got := Expand([]string{"减重", "未知词", "agv"})
	if got[0] != "减重" || got[1] != "未知词" || got[2] != "agv" {
		t.Errorf("Expand keeps the terms first: %v", got)
	}
	for _, w := range []string{"轻量化", "自动导引车", "移动机器人"} {
		if !slices.Contains(got, w) {
			t.Errorf("Expand = %v, missing %s", got, w)
		}
	}
	if slices.Contains(got, "AGV") {
		t.Errorf("Expand = %v: AGV repeats agv", got)
	}
	if len(Expand(nil)) != 0 {
		t.Error("Expand(nil) not empty")
	}
	// A term in two groups gets both.
	if got := Expand([]string{"防腐"}); !slices.Contains(got, "杀菌") {
		t.Errorf("Expand(防腐) = %v", got)
	}
}

func TestFindTerms(t *testing.T) {
	for text, want := range map[string][]string{
		"采用碳纤维复合材料实现车身轻量化，适配新能源汽车电池包": {"碳纤维复合材料", "轻量化", "新能源汽车", "电池包"},
		"基于PLC的AGV调度，支持5G":            {"plc", "agv", "5g"},
		"RADAR与CARBON":                nil, // AR, CAR... not inside Latin words
		"VR/AR头显":                     {"vr", "ar"},
		"ＡＧＶ全角":                       {"agv"},
		"茶园管理":                        nil, // single characters are not found inside text
		"轻量化轻量化":                      {"轻量化"},
	} {
		if got := FindTerms(text); !slices.Equal(got, want) {
			t.Errorf("FindTerms(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestSplitQuery(t *testing.T) {
	for text, want := range map[string][]string{
		"":                 nil,
		"  ，。 ":            nil,
		"铝合金":              {"铝合金"},
		"汽车减重":             {"汽车", "减重"},
		"新能源汽车的电池包":        {"新能源汽车", "电池包"},
		"茶":                {"茶"},
		"5G调度":             {"5g", "调度"},
		"AGV/PLC 工业4.0":    {"agv", "plc", "工业4.0"},
		"减重 减重":            {"减重"},
		"Lidar，毫米波雷达":      {"lidar", "毫米波雷达"},
		"石墨烯 导热 散热膜":       {"石墨烯", "导热", "散热膜"},
		"结尾句点AI.":          {"结尾句点", "ai"},
		"3.5mm":            {"3.5mm"},
		"高效节能电机":           {"高效", "节能", "电机"},
		"ＡＧＶ　小车":           {"agv", "小车"},
		"C2M定制":            {"c2m定制"},
		"\"quoted\" terms": {"quoted", "terms"},
	} {
		if got := SplitQuery(text); !slices.Equal(got, want) {
			t.Errorf("SplitQuery(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"ＡＧＶ":      "agv",
		" 5G ":     "5g",
		"轻量化":      "轻量化",
		"VR／AR":    "vr/ar",
		"a\u3000b": "a b",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
