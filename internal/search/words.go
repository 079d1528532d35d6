package search

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"
)

// dictText is the word list Chinese text is segmented with: gse's
// simplified-Chinese dictionary cut down by scripts/gendict to 40,689
// common words of two to four characters (no names or idioms), so the
// binary carries it, runs from any directory, and the segmenter holds
// about 37 MiB (concept map and thesaurus included) rather than gse's 133 MiB
// for its whole list.
//
//go:embed dict/zh.txt
var dictText string

// segmenter is loaded once per process (about 0.3 s) on first use: the
// dictionary plus every term of the thesaurus and the concept map, so
// domain words (轻量化, 螺蛳粉, 梯次利用, 削峰填谷) stay whole. It is read-only afterwards, and gse's
// segmentation is safe for concurrent use.
var segmenter = sync.OnceValue(func() *gse.Segmenter {
	seg := &gse.Segmenter{SkipLog: true}
	if err := seg.LoadDictStr(dictText); err != nil {
		panic("search: the embedded dictionary does not load: " + err.Error())
	}
	groups := Builtin().Groups()
	for i := range Concepts().Len() {
		groups = append(groups, Concepts().Terms(i))
	}
	for _, g := range groups {
		for _, t := range g {
			if n := utf8.RuneCountInString(t); n >= 2 && n <= 12 {
				_ = seg.AddToken(Normalize(t), 50, "n")
			}
		}
	}
	seg.CalcToken()
	return seg
})

// Words cuts text into words with the embedded dictionary (search-engine
// mode, so 碳纤维复合材料 gives 碳纤维, 复合材料 and their parts), normalised;
// punctuation, spaces and single Chinese characters are left out (the
// character bigrams cover those).
func Words(text string) []string {
	text = Normalize(text)
	if text == "" {
		return nil
	}
	var out []string
	for _, w := range segmenter().CutSearch(text, true) {
		w = strings.TrimSpace(w)
		r, _ := utf8.DecodeRuneInString(w)
		switch {
		case w == "":
		case utf8.RuneCountInString(w) == 1 && !isASCIIWord(r):
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
		default:
			out = append(out, w)
		}
	}
	return out
}
