package matching

import (
	"strings"
	"unicode"
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

// fillers are the words a description wraps its content in (在成本可控的
// 前提下, 欢迎高校提供方案, 用于, 以上): cut out of bodies, they would
// otherwise become query terms that match every other listing and show
// up as "shared keywords".
var fillers = []string{
	"前提下", "欢迎", "提供", "用于", "以上", "以下", "以内", "左右", "在本", "本公司", "我公司", "我司", "我们",
	"能够", "可以", "通过", "具有", "采用", "要求", "最好", "需要", "希望", "主要", "包括", "同时", "其中",
	"以及", "并且", "或者", "对于", "关于", "根据", "按照", "达到", "满足", "确保", "保证", "已经", "正在",
	"目前", "现在", "每年", "每天", "大量", "较大", "较高", "较低", "严重", "依赖", "引入", "影响", "可控",
	"合作", "单位", "团队", "有意", "联系", "实施", "推广", "使用", "利用", "进一步", "一定", "一些", "一批",
	"其他", "相应", "有效", "显著", "明显", "良好", "稳定", "快速", "大幅", "降低", "减少", "增加", "成本",
	"怀疑", "配合", "有关", "导致", "难以", "不划算", "反复", "提前",
}

// bodyCuts are characters at which the pieces of a description are cut
// further: in running text they join or frame the content words (约10,
// 靠人工, 将其, 对于). 在 is kept in 在线.
const bodyCuts = "约靠将把被从向为是了也都并且而但让使由于已还很较更最需想在"

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
	// specific is how well the term tells candidates apart, 0..1 (1
	// until weighByPool sets it).
	specific float64
}

// sourceConcepts extracts what src is about: the words of its keywords and
// title (thesaurus terms cut out, stopwords and fillers dropped) and the
// terms of its body (thesaurus terms, and the pieces left once stopwords,
// fillers, numbers and joining characters are cut out), keywords first.
// Each appears once, at its highest weight.
func sourceConcepts(src search.Document, lex *search.Lexicon) []concept {
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
		for _, v := range lex.Expand([]string{term}) {
			variants = append(variants, search.Normalize(v))
		}
		out = append(out, concept{term: term, variants: variants, weight: w, specific: 1})
	}
	for _, k := range src.Keywords {
		for _, t := range terms(k, false, lex) {
			add(t, weightKeyword)
		}
	}
	for _, t := range terms(src.Title, false, lex) {
		add(t, weightTitle)
	}
	for _, t := range terms(src.Body, true, lex) {
		add(t, weightBody)
	}
	if len(out) > maxTerms {
		out = out[:maxTerms]
	}
	return out
}

// terms cuts text into query units: thesaurus terms stay whole, the pieces
// between them lose their stopwords and bare numbers; in a body (running
// text) they also lose fillers and are cut at joining characters. (Titles
// and keywords are terse: cutting fillers there cost ranking quality.)
func terms(text string, body bool, lex *search.Lexicon) []string {
	var out []string
	for _, u := range lex.SplitQuery(text) {
		if len(lex.Expand([]string{u})) > 1 { // a thesaurus term
			out = append(out, u)
			continue
		}
		cut := cutStopwords(u)
		if body {
			cut = cutBody(cutFillers(cut))
		}
		for _, p := range strings.Fields(dropNumbers(cut)) {
			n := utf8.RuneCountInString(p)
			// Long pieces stay: they rarely match whole, but the share
			// of their bigrams found counts (partialMatch).
			if n >= 2 && !isNumber(p) {
				out = append(out, p)
			}
		}
	}
	return out
}

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

// cutFillers replaces every filler in s by a space.
func cutFillers(s string) string {
	for _, w := range fillers {
		s = strings.ReplaceAll(s, w, " ")
	}
	return s
}

// cutBody replaces the joining characters of running text by spaces.
func cutBody(s string) string {
	rs := []rune(s)
	for i, r := range rs {
		if !strings.ContainsRune(bodyCuts, r) || (r == '在' && i+1 < len(rs) && rs[i+1] == '线') {
			continue
		}
		rs[i] = ' '
	}
	return string(rs)
}

// dropNumbers removes runs of digits, with their units, that stand next
// to Chinese text or alone (约10, 缩小30%, 30万吨): amounts, not terms. Digits joined to Latin
// letters are codes and stay (5G, CO2, 1500MPa).
func dropNumbers(s string) string {
	rs := []rune(s)
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); {
		if !unicode.IsDigit(rs[i]) {
			out = append(out, rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.') {
			j++
		}
		latinBefore := i > 0 && isLatin(rs[i-1]) && !unicode.IsDigit(rs[i-1])
		latinAfter := j < len(rs) && isLatin(rs[j])
		if latinBefore || latinAfter {
			out = append(out, rs[i:j]...)
		} else {
			out = append(out, ' ')
			// The unit goes with its number (10分钟, 30万吨).
			for j < len(rs) && strings.ContainsRune(units, rs[j]) {
				j++
			}
		}
		i = j
	}
	return string(out)
}

// units are the characters of the units that follow a number.
const units = "%％万亿千百十吨元天年月日个倍度米分钟小时秒台套件次家种"

// isNumber reports whether s holds no letter at all.
func isNumber(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return false
		}
	}
	return true
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
