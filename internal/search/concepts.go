package search

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// conceptsText is the concept map: how enterprises say a problem, linked
// to the technologies that solve it, one link per line,
// "symptom, symptom => technology, technology" (车身偏重,续航不够 =>
// 轻量化,复合材料). It was written from domain knowledge, without the
// labelled sets (docs/matching.md).
//
//go:embed concepts.txt
var conceptsText string

// ConceptMap links the words of one side (what a demand complains of) to
// those of the other (what an achievement offers). Matching uses it to
// find candidates that share no word with the source, and to say why
// ("概念关联: 减重 ↔ 轻量化"). It is immutable.
type ConceptMap struct {
	// terms is a lexicon whose groups are the links (both sides in one
	// group), so finding terms in text reuses the thesaurus' trie.
	terms *Lexicon
	// side[i][term] is 0 for a symptom and 1 for a technology of link i.
	side []map[string]int
}

var builtinConcepts = sync.OnceValue(func() *ConceptMap {
	m, err := ParseConcepts(conceptsText)
	if err != nil {
		panic(err)
	}
	return m
})

// Concepts returns the embedded concept map.
func Concepts() *ConceptMap { return builtinConcepts() }

// ParseConcepts reads a concept map in the format of concepts.txt.
func ParseConcepts(text string) (*ConceptMap, error) {
	m := &ConceptMap{terms: newLexicon()}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		left, right, ok := strings.Cut(line, "=>")
		if !ok {
			return nil, fmt.Errorf("concepts line %d: no =>", n+1)
		}
		side := map[string]int{}
		var group []string
		for s, part := range []string{left, right} {
			for _, t := range strings.Split(strings.ReplaceAll(part, "，", ","), ",") {
				k := Normalize(t)
				if k == "" {
					continue
				}
				if _, dup := side[k]; dup {
					continue
				}
				side[k] = s
				group = append(group, strings.TrimSpace(t))
			}
		}
		if len(group) < 2 {
			return nil, fmt.Errorf("concepts line %d: a link needs two terms", n+1)
		}
		m.terms.add(group)
		m.side = append(m.side, side)
	}
	return m, nil
}

// Len is the number of links.
func (m *ConceptMap) Len() int { return len(m.side) }

// Find returns the links whose terms occur in text, each with the term
// found first (normalised), leftmost-longest.
func (m *ConceptMap) Find(text string) map[int]string {
	out := map[int]string{}
	for _, t := range m.terms.FindTerms(text) {
		for _, li := range m.terms.byTerm[t] {
			if _, ok := out[li]; !ok {
				out[li] = t
			}
		}
	}
	return out
}

// Terms returns the terms of link i, in the spelling of the file.
func (m *ConceptMap) Terms(i int) []string { return m.terms.groups[i] }

// Technology reports whether term is on the technology side of link i.
func (m *ConceptMap) Technology(i int, term string) bool { return m.side[i][Normalize(term)] == 1 }
