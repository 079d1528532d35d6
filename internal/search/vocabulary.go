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

// Put puts lex in force.
func (v *Vocabulary) Put(lex *Lexicon) { v.cur.Store(lex) }

// VocabularySetter is implemented by engines that take a change of the
// operators' synonyms without a reindex: Meilisearch updates its synonyms
// setting; bleve puts the lexicon in the Vocabulary it reads on every
// query (which may be the one the caller already changed).
type VocabularySetter interface {
	SetSynonyms(ctx context.Context, lex *Lexicon) error
}
