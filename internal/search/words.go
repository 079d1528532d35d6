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
// simplified-Chinese dictionary cut down by scripts/gendict (words of two
// to four characters, no names or idioms), so the binary carries it and
// runs from any directory.
//
//go:embed dict/zh.txt
var dictText string

// segmenter is loaded once per process (about 0.6 s, 60 MiB) on first use:
// the dictionary plus every thesaurus term, so domain words (轻量化,
// 螺蛳粉, 梯次利用) stay whole. It is read-only afterwards, and gse's
// segmentation is safe for concurrent use.
var segmenter = sync.OnceValue(func() *gse.Segmenter {
	seg := &gse.Segmenter{SkipLog: true}
	if err := seg.LoadDictStr(dictText); err != nil {
		panic("search: the embedded dictionary does not load: " + err.Error())
	}
	for _, g := range Builtin().Groups() {
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
