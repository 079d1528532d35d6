package search

import (
	"context"
	"sync/atomic"
)

// Vocabulary is the lexicon in force for one process: the embedded
// thesaurus plus the synonym groups operators curate. Engines and matching
// read it on every query, so a change applies to the next query without a
// reindex; Set swaps the whole lexicon at once. The zero value is not
// ready: use NewVocabulary.
type Vocabulary struct {
	cur atomic.Pointer[Lexicon]
}

// NewVocabulary returns a vocabulary holding the embedded thesaurus.
func NewVocabulary() *Vocabulary {
	v := &Vocabulary{}
	v.cur.Store(Builtin())
	return v
}

// Lexicon returns the lexicon in force.
func (v *Vocabulary) Lexicon() *Lexicon {
	if v == nil {
		return Builtin()
	}
	return v.cur.Load()
}

// Set puts the embedded thesaurus plus groups in force.
func (v *Vocabulary) Set(groups [][]string) { v.cur.Store(Builtin().WithGroups(groups)) }

// VocabularySetter is implemented by engines that must hear of a change of
// the operators' synonyms by themselves (Meilisearch keeps its own
// synonyms setting); in-process engines read the Vocabulary they were
// given on every query instead.
type VocabularySetter interface {
	SetSynonyms(ctx context.Context, lex *Lexicon) error
}
