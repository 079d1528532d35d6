package bleve

import (
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

func queryAnalyzer(t *testing.T) *Engine {
	t.Helper()
	e, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func TestBuildText(t *testing.T) {
	e := queryAnalyzer(t)
	if p := buildText(search.Query{Text: " ，"}, e.qa, search.Builtin()); p.units != nil {
		t.Errorf("no text: %+v", p)
	}
	p := buildText(search.Query{Text: "铝合金 AGV"}, e.qa, search.Builtin())
	for _, term := range []string{"铝合", "合金", "agv", "铝材"} {
		if !p.terms[term] {
			t.Errorf("terms %v lack %q", p.terms, term)
		}
	}
	if len(p.units) != 2 || p.units[0][0].boost != 1 || p.units[0][1].boost != synonymBoost {
		t.Errorf("units %+v", p.units)
	}
	long := buildText(search.Query{Text: strings.Repeat("甲乙 ", maxUnits+10)}, e.qa, search.Builtin())
	if len(long.units) > maxUnits {
		t.Errorf("%d units, cap %d", len(long.units), maxUnits)
	}
}

func TestAnyQueryClauses(t *testing.T) {
	e := queryAnalyzer(t)
	p := buildText(search.Query{Text: "线路巡检 巡检", MatchAny: true}, e.qa, search.Builtin())
	count := func(q query.Query) int {
		d, ok := q.(*query.DisjunctionQuery)
		if !ok {
			t.Fatalf("%T, want a disjunction", q)
		}
		return len(d.Disjuncts)
	}
	// 线路 路巡 巡检 once each (巡检 twice in the text), in three fields.
	if n := count(p.anyQuery(nil)); n != 9 {
		t.Errorf("%d clauses, want 9", n)
	}
	// Tokens reported common are left out...
	if n := count(p.anyQuery(func(_, tok string) bool { return tok == "巡检" })); n != 6 {
		t.Errorf("%d clauses without 巡检, want 6", n)
	}
	// ... unless all are.
	if n := count(p.anyQuery(func(string, string) bool { return true })); n != 9 {
		t.Errorf("%d clauses when every token is common, want 9", n)
	}
	// A synonym is one whole clause per field, never its bare bigrams.
	syn := buildText(search.Query{Text: "石墨烯", MatchAny: true}, e.qa, search.Builtin())
	if n := count(syn.anyQuery(nil)); n != 3*2+3 { // 石墨 墨烯 + the whole 石墨烯材料
		t.Errorf("%d clauses for 石墨烯, want 9", n)
	}
}

func TestLooseQueryLeavesCommonTokens(t *testing.T) {
	e := queryAnalyzer(t)
	p := buildText(search.Query{Text: "智能化 巡检"}, e.qa, search.Builtin())
	var typed [][]variant
	for _, vs := range p.units {
		typed = append(typed, vs[:1])
	}
	count := func(q query.Query) int {
		d, ok := q.(*query.DisjunctionQuery)
		if !ok {
			t.Fatalf("%T, want a disjunction", q)
		}
		return len(d.Disjuncts)
	}
	// 智能 能化 of 智能化 in three fields; 巡检 is one token, matched whole
	// or not at all.
	if n := count(looseQuery(typed, nil)); n != 6 {
		t.Errorf("%d clauses, want 6", n)
	}
	if n := count(looseQuery(typed, func(_, tok string) bool { return tok == "智能" })); n != 3 {
		t.Errorf("%d clauses without the common 智能, want 3", n)
	}
	if n := count(looseQuery(typed, func(string, string) bool { return true })); n != 6 {
		t.Errorf("%d clauses when every token is common, want 6", n)
	}
}
