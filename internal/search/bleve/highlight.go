package bleve

import (
	"html"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Highlight markers, the same as the Meilisearch engine's.
const (
	emOpen  = "<em>"
	emClose = "</em>"
)

// cropRunes is the length of the body snippet; cropLead is how much text
// is kept before the first match.
const (
	cropRunes = 120
	cropLead  = 20
	ellipsis  = "…"
)

// span is a byte range [start, end) of a field's text.
type span struct{ start, end int }

// matchSpans finds where the query's terms are in text. It cuts text the
// way the index analyzer does (runs of Han characters into single
// characters and bigrams, runs of Latin letters and digits into words,
// folded to half-width lower case) and keeps the pieces that are query
// terms. Only the hits of one page are scanned, which is cheaper than
// having bleve track term locations for every matching document.
// Overlapping or touching spans merge, so the bigrams 铝合 and 合金 read
// <em>铝合金</em>.
func matchSpans(text string, terms map[string]bool) []span {
	if len(terms) == 0 || text == "" {
		return nil
	}
	var spans []span
	type pos struct {
		r          rune
		start, end int
	}
	var run []pos // the current run of Han characters
	flushHan := func() {
		for i, p := range run {
			if terms[string(p.r)] {
				spans = append(spans, span{p.start, p.end})
			}
			if i+1 < len(run) && terms[string([]rune{p.r, run[i+1].r})] {
				spans = append(spans, span{p.start, run[i+1].end})
			}
		}
		run = run[:0]
	}
	var word []rune // the current Latin or digit word, folded
	wordStart := -1
	flushWord := func(end int) {
		if wordStart >= 0 && terms[string(word)] {
			spans = append(spans, span{wordStart, end})
		}
		word, wordStart = word[:0], -1
	}
	for i, r := range text {
		end := i + utf8.RuneLen(r)
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord(i)
			run = append(run, pos{r, i, end})
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			if wordStart < 0 {
				wordStart = i
			}
			word = append(word, unicode.ToLower(r))
		default:
			flushHan()
			flushWord(i)
		}
	}
	flushHan()
	flushWord(len(text))

	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// highlight wraps the spans of text in <em></em>. The result is HTML: the
// text itself is escaped, so a title cannot smuggle markup into a page
// that renders the highlights.
func highlight(text string, spans []span) string {
	var b strings.Builder
	b.Grow(len(text) + len(spans)*(len(emOpen)+len(emClose)))
	at := 0
	for _, s := range spans {
		b.WriteString(html.EscapeString(text[at:s.start]))
		b.WriteString(emOpen)
		b.WriteString(html.EscapeString(text[s.start:s.end]))
		b.WriteString(emClose)
		at = s.end
	}
	b.WriteString(html.EscapeString(text[at:]))
	return b.String()
}

// snippet crops text to about cropRunes characters, starting a little
// before the first match, and highlights the matches inside the window.
// Cut ends are marked with an ellipsis.
func snippet(text string, spans []span) string {
	if utf8.RuneCountInString(text) <= cropRunes {
		return highlight(text, spans)
	}
	from := 0
	if len(spans) > 0 {
		from = backRunes(text, spans[0].start, cropLead)
	}
	to := forwardRunes(text, from, cropRunes)
	if to == len(text) { // window at the end: extend it backwards
		from = backRunes(text, len(text), cropRunes)
	}
	var inside []span
	for _, s := range spans {
		if s.end <= from || s.start >= to {
			continue
		}
		inside = append(inside, span{max(s.start, from) - from, min(s.end, to) - from})
	}
	out := highlight(text[from:to], inside)
	if from > 0 {
		out = ellipsis + out
	}
	if to < len(text) {
		out += ellipsis
	}
	return out
}

// backRunes returns the byte offset n runes before offset at.
func backRunes(s string, at, n int) int {
	for ; n > 0 && at > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:at])
		at -= size
	}
	return at
}

// forwardRunes returns the byte offset n runes after offset at.
func forwardRunes(s string, at, n int) int {
	for ; n > 0 && at < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[at:])
		at += size
	}
	return at
}
