package market_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestSynonymGroupValidate(t *testing.T) {
	for _, c := range []struct {
		name   string
		id     string
		terms  []string
		fields []string // nil: valid
	}{
		{"two terms", "lightweight", []string{"轻量化", "减重"}, nil},
		{"slug id", "cfrp_2-x", []string{"碳纤维", "CFRP"}, nil},
		{"64-char id", strings.Repeat("a", 64), []string{"a", "b"}, nil},
		{"30 terms", "many", numbered(30), nil},
		{"40-rune term", "long", []string{strings.Repeat("轻", 40), "b"}, nil},
		{"65-char id", strings.Repeat("a", 65), []string{"a", "b"}, []string{"id"}},
		{"upper-case id", "Light", []string{"a", "b"}, []string{"id"}},
		{"id starts with -", "-x", []string{"a", "b"}, []string{"id"}},
		{"empty id", "", []string{"a", "b"}, []string{"id"}},
		{"chinese id", "轻量化", []string{"a", "b"}, []string{"id"}},
		{"one term", "one", []string{"轻量化"}, []string{"terms"}},
		{"no terms", "none", nil, []string{"terms"}},
		{"31 terms", "toomany", numbered(31), []string{"terms"}},
		{"blank term", "blank", []string{"轻量化", "  "}, []string{"terms[1]"}},
		{"41-rune term", "long", []string{strings.Repeat("轻", 41), "b"}, []string{"terms[0]"}},
		{"comma", "comma", []string{"a,b", "c"}, []string{"terms[0]"}},
		{"full-width comma", "comma", []string{"a", "轻，重"}, []string{"terms[1]"}},
		{"newline", "nl", []string{"a\nb", "c"}, []string{"terms[0]"}},
		{"duplicate after trim", "dup", []string{"减重", " 减重 "}, []string{"terms[1]"}},
		{"duplicate by case", "dup", []string{"CFRP", "cfrp"}, []string{"terms[1]"}},
		{"duplicate by width", "dup", []string{"ＣＦＲＰ", "cfrp", "碳纤维"}, []string{"terms[1]"}},
		{"every problem", "Bad", []string{"x"}, []string{"id", "terms"}},
	} {
		g := market.SynonymGroup{ID: c.id, Terms: slices.Clone(c.terms)}
		err := g.Validate()
		if got := market.FieldNames(err); !slices.Equal(got, c.fields) {
			t.Errorf("%s: fields %v (%v), want %v", c.name, got, err, c.fields)
		}
		if err != nil && market.ErrorCode(err) != market.EINVALID {
			t.Errorf("%s: code %s, want invalid", c.name, market.ErrorCode(err))
		}
	}
}

// Terms are stored trimmed, in the spelling given: folding is only how
// they are compared.
func TestSynonymGroupKeepsSpelling(t *testing.T) {
	g := market.SynonymGroup{ID: "cfrp", Terms: []string{"  ＣＦＲＰ ", "碳纤维\t", "Carbon Fibre"}}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ＣＦＲＰ", "碳纤维", "Carbon Fibre"}; !slices.Equal(g.Terms, want) {
		t.Fatalf("terms %q, want %q", g.Terms, want)
	}
}

func TestFoldTerm(t *testing.T) {
	for in, want := range map[string]string{
		"ＣＦＲＰ":   "cfrp",
		"Ａｂｃ１２３": "abc123",
		"轻量化":    "轻量化",
		"ａ　ｂ":    "a b",
		"5G通信":   "5g通信",
		"，":      ",",
	} {
		if got := market.FoldTerm(in); got != want {
			t.Errorf("FoldTerm(%q) = %q, want %q", in, got, want)
		}
	}
}

func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "词" + strings.Repeat("x", i+1)
	}
	return out
}

func TestVocabularyPermissions(t *testing.T) {
	op := &market.Actor{OrgID: "op", OrgKind: market.OrgOperator, OrgVerified: true}
	unverifiedOp := &market.Actor{OrgID: "op2", OrgKind: market.OrgOperator}
	admin := &market.Actor{PlatformAdmin: true}
	ent := &market.Actor{OrgID: "e", OrgKind: market.OrgEnterprise, OrgVerified: true}
	gov := &market.Actor{OrgID: "g", OrgKind: market.OrgGovernment, OrgVerified: true}
	for _, c := range []struct {
		name string
		a    *market.Actor
		ok   bool
	}{{"operator", op, true}, {"admin", admin, true}, {"unverified operator", unverifiedOp, false},
		{"enterprise", ent, false}, {"bureau", gov, false}, {"anonymous", nil, false}} {
		err := market.CanCurateVocabulary(c.a)
		if (err == nil) != c.ok || (err != nil && market.ErrorCode(err) != market.EFORBIDDEN) {
			t.Errorf("curate as %s: %v, want ok=%v", c.name, err, c.ok)
		}
	}
	demand := &market.Item{ID: "d", Kind: market.KindDemand, OrgID: "e"}
	other := &market.Actor{OrgID: "x", OrgKind: market.OrgEnterprise, OrgVerified: true}
	for _, c := range []struct {
		name string
		a    *market.Actor
		ok   bool
	}{{"owner", ent, true}, {"operator", op, true}, {"unverified operator", unverifiedOp, false},
		{"other org", other, false}, {"admin (no org)", admin, false}, {"bureau", gov, false}, {"anonymous", nil, false}} {
		err := market.CanGiveMatchFeedback(c.a, demand)
		if (err == nil) != c.ok || (err != nil && market.ErrorCode(err) != market.EFORBIDDEN) {
			t.Errorf("feedback as %s: %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
