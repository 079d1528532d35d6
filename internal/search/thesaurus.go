package search

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// thesaurusText is the domain thesaurus: one group of synonyms per line.
//
//go:embed thesaurus.txt
var thesaurusText string

// builtin parses the embedded thesaurus once. The file is part of the
// binary and checked by tests, so a parse error is a programming error.
var builtin = sync.OnceValue(func() *Lexicon {
	th, err := parseThesaurus(thesaurusText)
	if err != nil {
		panic(err)
	}
	return th
})

// Builtin returns the lexicon of the embedded thesaurus alone.
func Builtin() *Lexicon { return builtin() }

// Lexicon is an immutable set of synonym groups: the embedded thesaurus,
// and the groups operators curate (GET/PUT /synonyms) when built with
// WithGroups. It holds a lookup from normalised term to the groups
// holding it, and a trie over the terms for finding them in text.
type Lexicon struct {
	groups [][]string       // as written in the file
	byTerm map[string][]int // normalised term -> indexes into groups
	root   *trieNode
	id     uint64 // see Identity
}

// lexicons numbers the lexicons built in this process.
var lexicons atomic.Uint64

// newLexicon returns an empty lexicon with an identity of its own.
func newLexicon() *Lexicon {
	return &Lexicon{byTerm: map[string][]int{}, root: &trieNode{}, id: lexicons.Add(1)}
}

// Identity tells lexicons apart within one process: each one built has
// its own (a lexicon never changes, so what was computed with it may be
// kept under its identity).
func (th *Lexicon) Identity() uint64 { return th.id }

type trieNode struct {
	next map[rune]*trieNode
	term string // the normalised term ending here, "" if none
}

func parseThesaurus(text string) (*Lexicon, error) {
	th := newLexicon()
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var group []string
		seen := map[string]bool{}
		for _, t := range strings.Split(strings.ReplaceAll(line, "，", ","), ",") {
			t = strings.TrimSpace(t)
			key := Normalize(t)
			if key == "" {
				return nil, fmt.Errorf("thesaurus line %d: empty term", n+1)
			}
			if seen[key] {
				return nil, fmt.Errorf("thesaurus line %d: %q twice", n+1, t)
			}
			seen[key] = true
			group = append(group, t)
		}
		if len(group) < 2 {
			return nil, fmt.Errorf("thesaurus line %d: a group needs at least two terms", n+1)
		}
		th.add(group)
	}
	return th, nil
}

// add appends one group of terms.
func (th *Lexicon) add(group []string) {
	gi := len(th.groups)
	th.groups = append(th.groups, group)
	for _, t := range group {
		key := Normalize(t)
		th.byTerm[key] = append(th.byTerm[key], gi)
		th.insert(key)
	}
}

// WithGroups returns a new lexicon holding th's groups and groups (each
// a list of terms that mean the same; groups of fewer than two distinct
// terms are skipped). th is unchanged.
func (th *Lexicon) WithGroups(groups [][]string) *Lexicon {
	out := newLexicon()
	for _, g := range th.groups {
		out.add(g)
	}
	for _, g := range groups {
		var group []string
		seen := map[string]bool{}
		for _, t := range g {
			if k := Normalize(t); k != "" && !seen[k] {
				seen[k] = true
				group = append(group, strings.TrimSpace(t))
			}
		}
		if len(group) >= 2 {
			out.add(group)
		}
	}
	return out
}

// Groups returns the groups of the lexicon, as written.
func (th *Lexicon) Groups() [][]string { return th.groups }

func (th *Lexicon) insert(key string) {
	n := th.root
	for _, r := range key {
		if n.next == nil {
			n.next = map[rune]*trieNode{}
		}
		c := n.next[r]
		if c == nil {
			c = &trieNode{}
			n.next[r] = c
		}
		n = c
	}
	n.term = key
}

// synonyms returns the other terms of every group holding term, in file
// order, without duplicates.
func (th *Lexicon) synonyms(term string) []string {
	key := Normalize(term)
	var out []string
	seen := map[string]bool{key: true}
	for _, gi := range th.byTerm[key] {
		for _, t := range th.groups[gi] {
			if k := Normalize(t); !seen[k] {
				seen[k] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// longestAt returns the byte length of the longest term of at least
// minRunes runes starting at s[i:], or 0. Latin and digit terms must sit on
// word boundaries so that "AR" is not found inside "RADAR".
func (th *Lexicon) longestAt(s string, i, minRunes int) int {
	if i > 0 {
		prev, _ := utf8.DecodeLastRuneInString(s[:i])
		first, _ := utf8.DecodeRuneInString(s[i:])
		if isASCIIWord(prev) && isASCIIWord(first) {
			return 0
		}
	}
	n, best, runes := th.root, 0, 0
	for j, r := range s[i:] {
		c := n.next[r]
		if c == nil {
			break
		}
		n = c
		runes++
		end := i + j + utf8.RuneLen(r)
		if n.term == "" || runes < minRunes {
			continue
		}
		last, _ := utf8.DecodeLastRuneInString(s[:end])
		if end < len(s) {
			next, _ := utf8.DecodeRuneInString(s[end:])
			if isASCIIWord(last) && isASCIIWord(next) {
				continue
			}
		}
		best = end - i
	}
	return best
}

func isASCIIWord(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// Synonyms returns the thesaurus as a map from each term to the other terms
// of its group(s), in the spelling of the file. The map is a fresh copy.
func (th *Lexicon) Synonyms() map[string][]string {
	out := make(map[string][]string, len(th.byTerm))
	for _, g := range th.groups {
		for _, t := range g {
			if _, ok := out[t]; !ok {
				out[t] = th.synonyms(t)
			}
		}
	}
	return out
}

// Expand returns terms followed by the synonyms of each, without
// duplicates (compared after Normalize), keeping the order of first
// appearance. Terms outside the thesaurus are kept as they are.
func (th *Lexicon) Expand(terms []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		if k := Normalize(t); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	for _, t := range terms {
		add(t)
	}
	for _, t := range terms {
		for _, s := range th.synonyms(t) {
			add(s)
		}
	}
	return out
}

// FindTerms returns the thesaurus terms of at least two characters found in
// text, normalised, leftmost-longest and without overlaps, each once, in
// order of first appearance.
func (th *Lexicon) FindTerms(text string) []string {
	s := Normalize(text)
	var out []string
	seen := map[string]bool{}
	for i := 0; i < len(s); {
		if n := th.longestAt(s, i, 2); n > 0 {
			if t := s[i : i+n]; !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
			i += n
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return out
}

// SplitQuery cuts search text into the units a query must match: words
// separated by spaces or punctuation, with thesaurus terms cut out of
// longer words ("汽车减重" → "汽车", "减重") so each can be expanded to its
// synonyms. Single CJK characters left between terms (的, 和, 与) are
// dropped; a word that is one character stays. Units are normalised.
func (th *Lexicon) SplitQuery(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, word := range splitWords(Normalize(text)) {
		if _, ok := th.byTerm[word]; ok {
			add(word)
			continue
		}
		var pieces []string
		rest := 0 // start of the text not yet cut into pieces
		for i := 0; i < len(word); {
			if n := th.longestAt(word, i, 2); n > 0 {
				pieces = append(pieces, word[rest:i], word[i:i+n])
				i += n
				rest = i
				continue
			}
			_, size := utf8.DecodeRuneInString(word[i:])
			i += size
		}
		pieces = append(pieces, word[rest:])
		for _, p := range pieces {
			if p == "" || (len(pieces) > 1 && utf8.RuneCountInString(p) == 1 && !isASCIIWord([]rune(p)[0])) {
				continue
			}
			add(p)
		}
	}
	return out
}

// splitWords cuts normalised text into words at anything that is not a
// letter or a digit; a dot between two digits stays ("4.0").
func splitWords(s string) []string {
	var words []string
	start := -1
	prev := rune(-1)
	for i, r := range s {
		keep := unicode.IsLetter(r) || unicode.IsDigit(r)
		if r == '.' && unicode.IsDigit(prev) {
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			keep = unicode.IsDigit(next)
		}
		switch {
		case keep && start < 0:
			start = i
		case !keep && start >= 0:
			words = append(words, s[start:i])
			start = -1
		}
		prev = r
	}
	if start >= 0 {
		words = append(words, s[start:])
	}
	return words
}

// Normalize folds text for matching: full-width ASCII to half-width, the
// ideographic space to a space, Latin letters to lower case, and trims
// surrounding space.
func Normalize(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range text {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimSpace(b.String())
}

// Synonyms is Builtin().Synonyms.
func Synonyms() map[string][]string { return builtin().Synonyms() }

// Expand is Builtin().Expand.
func Expand(terms []string) []string { return builtin().Expand(terms) }

// FindTerms is Builtin().FindTerms.
func FindTerms(text string) []string { return builtin().FindTerms(text) }

// SplitQuery is Builtin().SplitQuery.
func SplitQuery(text string) []string { return builtin().SplitQuery(text) }
