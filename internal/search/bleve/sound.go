package bleve

import (
	"strings"

	"github.com/mozillazg/go-pinyin"
)

// readingArgs ask go-pinyin for every reading of a character, without
// tones.
var readingArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal
	a.Heteronym = true
	return a
}()

// soundsAlike reports whether two characters share a reading, tones
// aside and with the sounds people type one for the other taken as one
// (z/zh, c/ch, s/sh, n/l, and -n/-ng): 清 and 轻 (qing), 蛳 and 狮 (si,
// shi), 池 and 尺 (chi). A typo typed through a pinyin input method is
// nearly always such a character. False for a character without a
// reading (Latin letters, digits).
func soundsAlike(a, b rune) bool {
	for _, x := range pinyin.SinglePinyin(a, readingArgs) {
		for _, y := range pinyin.SinglePinyin(b, readingArgs) {
			if looseSound(x) == looseSound(y) {
				return true
			}
		}
	}
	return false
}

func looseSound(p string) string {
	for _, retro := range []string{"zh", "ch", "sh"} {
		if rest, ok := strings.CutPrefix(p, retro); ok {
			p = retro[:1] + rest
			break
		}
	}
	if rest, ok := strings.CutPrefix(p, "l"); ok {
		p = "n" + rest
	}
	return strings.TrimSuffix(p, "g") // -ng as -n; no reading ends in a g otherwise
}
