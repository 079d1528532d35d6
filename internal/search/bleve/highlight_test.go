package bleve

import (
	"strings"
	"testing"
)

func TestMatchSpans(t *testing.T) {
	terms := map[string]bool{"铝合": true, "合金": true, "5g": true, "agv": true, "茶": true}
	for _, tc := range []struct{ text, want string }{
		{"新能源汽车铝合金材料", "新能源汽车<em>铝合金</em>材料"},
		{"铝合金与合金钢", "<em>铝合金</em>与<em>合金</em>钢"},
		{"基于5G的AGV调度", "基于<em>5G</em>的<em>AGV</em>调度"},
		{"５Ｇ全角", "<em>５Ｇ</em>全角"},
		{"15G and AGVS", "15G and AGVS"}, // whole words only
		{"六堡茶与茶叶", "六堡<em>茶</em>与<em>茶</em>叶"},
		{"", ""},
		{"铝合金<script>&", "<em>铝合金</em>&lt;script&gt;&amp;"},
	} {
		if got := highlight(tc.text, matchSpans(tc.text, terms)); got != tc.want {
			t.Errorf("highlight(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if spans := matchSpans("铝合金", nil); spans != nil {
		t.Errorf("no terms: %v", spans)
	}
}

func TestSnippet(t *testing.T) {
	short := "短文本里的铝合金"
	if got := snippet(short, matchSpans(short, map[string]bool{"铝合": true, "合金": true})); got != "短文本里的<em>铝合金</em>" {
		t.Errorf("short text: %q", got)
	}
	long := strings.Repeat("甲", 200) + "铝合金" + strings.Repeat("乙", 200)
	got := snippet(long, matchSpans(long, map[string]bool{"铝合": true, "合金": true}))
	if !strings.HasPrefix(got, "…"+strings.Repeat("甲", cropLead)+"<em>铝合金</em>") || !strings.HasSuffix(got, "乙…") {
		t.Errorf("long text snippet %q", got)
	}
	if n := len([]rune(strings.NewReplacer("<em>", "", "</em>", "", "…", "").Replace(got))); n != cropRunes {
		t.Errorf("snippet has %d characters, want %d", n, cropRunes)
	}
	// No match: the beginning.
	got = snippet(long, nil)
	if !strings.HasPrefix(got, "甲甲") || !strings.HasSuffix(got, "…") || strings.HasPrefix(got, "…") {
		t.Errorf("no match snippet %q", got)
	}
	// A match near the end: the window ends with the text.
	end := strings.Repeat("甲", 300) + "合金"
	got = snippet(end, matchSpans(end, map[string]bool{"合金": true}))
	if !strings.HasSuffix(got, "<em>合金</em>") || !strings.HasPrefix(got, "…") {
		t.Errorf("end snippet %q", got)
	}
}
