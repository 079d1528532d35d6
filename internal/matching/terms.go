package matching

import (
	"strings"
	"unicode/utf8"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// stopwords are the words every listing uses (需求, 技术, 方案, 希望, ...):
// they say nothing about what is wanted or offered, so they are cut out of
// titles and keywords before the rest becomes query terms.
var stopwords = []string{
	"技术", "需求", "方案", "征集", "寻求", "寻找", "希望", "问题", "难题", "提升", "改造",
	"升级", "研究", "开发", "应用", "系统", "工艺", "方法", "关键", "基于", "一种", "及其",
	"项目", "解决", "实现", "进行", "相关", "公司", "企业", "产品", "现有", "目前", "需要",
	"如何", "提高", "偏高", "过长", "效率", "不足", "服务", "平台", "设计", "制备", "生产",
	"新型", "高性能", "高效", "智能", "创新", "优化",
}

// functionWords join other words (车身与底盘, 材料的性能); a piece of text is
// cut at them. Only characters that rarely start or end a content word
// are listed.
const functionWords = "的与和及或"

// maxTerms caps the terms of a matching query: enough to describe an item,
// few enough to keep the query fast.
const maxTerms = 24

// Weights of a term by where the source says it.
const (
	weightKeyword = 1.0
	weightTitle   = 1.0
	weightBody    = 0.5
)

// concept is one thing the source item talks about: a term, its synonyms,
// and how much it counts.
type concept struct {
	term     string   // normalised
	variants []string // normalised: the term, then its synonyms
	weight   float64
}

// sourceConcepts extracts what src is about: the words of its keywords and
// title (thesaurus terms cut out, stopwords dropped) and the thesaurus
// terms of its body, keywords first. Each appears once, at its highest
// weight.
func sourceConcepts(src search.Document) []concept {
	var out []concept
	at := map[string]int{}
	add := func(term string, w float64) {
		if utf8.RuneCountInString(term) < 2 {
			return
		}
		if i, ok := at[term]; ok {
			out[i].weight = max(out[i].weight, w)
			return
		}
		at[term] = len(out)
		var variants []string
		for _, v := range search.Expand([]string{term}) {
			variants = append(variants, search.Normalize(v))
		}
		out = append(out, concept{term: term, variants: variants, weight: w})
	}
	for _, k := range src.Keywords {
		for _, t := range terms(k) {
			add(t, weightKeyword)
		}
	}
	for _, t := range terms(src.Title) {
		add(t, weightTitle)
	}
	for _, t := range terms(src.Body) {
		add(t, weightBody)
	}
	if len(out) > maxTerms {
		out = out[:maxTerms]
	}
	return out
}

// terms cuts text into query units: thesaurus terms stay whole, the pieces
// between them lose their stopwords.
func terms(text string) []string {
	var out []string
	for _, u := range search.SplitQuery(text) {
		if isThesaurusTerm(u) {
			out = append(out, u)
			continue
		}
		for _, p := range strings.Fields(cutStopwords(u)) {
			if utf8.RuneCountInString(p) >= 2 {
				out = append(out, p)
			}
		}
	}
	return out
}

func isThesaurusTerm(u string) bool { return len(search.Expand([]string{u})) > 1 }

// cutStopwords replaces every stopword and function word in s by a space.
func cutStopwords(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(functionWords, r) {
			return ' '
		}
		return r
	}, s)
	for _, w := range stopwords {
		if strings.Contains(s, w) {
			s = strings.ReplaceAll(s, w, " ")
		}
	}
	return s
}

// queryText is the MatchAny query for the concepts, in their order:
// keywords, title, body (Meilisearch drops words from the end first).
func queryText(cs []concept) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.term
	}
	return strings.Join(parts, " ")
}

// itemText is what a candidate says, normalised for containment tests.
func itemText(d search.Document) string {
	return search.Normalize(d.Title + " " + strings.Join(d.Keywords, " ") + " " + d.Body)
}

// findVariant returns the first variant of c found in text, or "".
func findVariant(text string, c concept) string {
	for _, v := range c.variants {
		if containsWord(text, v) {
			return v
		}
	}
	return ""
}

// partialMatch is the share of the bigrams of a term outside the
// thesaurus (three characters or more) found in text: "线路巡检" half
// matches a text that says "输电线路" and "巡检" apart. Chinese has no
// spaces, so a long piece of a title rarely appears whole.
func partialMatch(text string, c concept) float64 {
	if len(c.variants) > 1 {
		return 0 // thesaurus terms match whole, through a synonym or not at all
	}
	runes := []rune(c.term)
	if len(runes) < 3 {
		return 0
	}
	found := 0
	for i := 0; i+1 < len(runes); i++ {
		if strings.Contains(text, string(runes[i:i+2])) {
			found++
		}
	}
	return float64(found) / float64(len(runes)-1)
}

// containsWord reports whether text holds term; a Latin or digit term must
// not be part of a longer Latin word ("ar" is not in "radar").
func containsWord(text, term string) bool {
	if term == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(text[from:], term)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(term)
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[end:])
		first, _ := utf8.DecodeRuneInString(term)
		last, _ := utf8.DecodeLastRuneInString(term)
		if !(isLatin(first) && isLatin(before)) && !(isLatin(last) && isLatin(after)) {
			return true
		}
		from = i + 1
	}
}

func isLatin(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}
