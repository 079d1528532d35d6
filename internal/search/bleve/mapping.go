package bleve

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/whitespace"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
)

// schemaVersion is stored in every index; an index written with another
// version is refused (the operator deletes it and runs reindex). Bump it
// whenever the mapping or the analyzers change.
const schemaVersion = "3"

var schemaKey = []byte("techmarket.schema")

// Analyzer names registered in the index mapping.
//
// Chinese has no spaces, so text is cut into overlapping character bigrams
// (钢铁冶炼 → 钢铁 铁冶 冶炼), the approach of Lucene's CJKAnalyzer; runs of
// Latin letters and digits stay whole words (5G, AGV, PLC) because the
// unicode tokenizer separates scripts before the bigram filter sees them.
// The index also keeps single characters so that a one-character query
// (茶, 钢) finds something; queries are analysed into bigrams only, so
// longer queries are not diluted by single-character matches.
const (
	analyzerIndex = "techmarket_cjk_index"
	analyzerQuery = "techmarket_cjk_query"
	// analyzerWords reads the words field, already segmented (search.Words)
	// and joined by spaces.
	analyzerWords = "techmarket_words"
	bigramUnigram = "techmarket_cjk_bigram_unigram"
)

// Field names in the bleve documents. Filters, facets and sort keys are
// not indexed: the engine keeps them in memory (see table).
const (
	fieldTitle    = "title"
	fieldKeywords = "keywords"
	fieldBody     = "body"
	fieldWords    = "words" // title, keywords and body segmented into words
	fieldSource   = "src"   // the Document as JSON, stored only
)

func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	if err := im.AddCustomTokenFilter(bigramUnigram, map[string]any{
		"type":           cjk.BigramName,
		"output_unigram": true,
	}); err != nil {
		return nil, err
	}
	for name, bigram := range map[string]string{analyzerIndex: bigramUnigram, analyzerQuery: cjk.BigramName} {
		if err := im.AddCustomAnalyzer(name, map[string]any{
			"type":          custom.Name,
			"tokenizer":     unicode.Name,
			"token_filters": []any{cjk.WidthName, lowercase.Name, bigram},
		}); err != nil {
			return nil, err
		}
	}

	if err := im.AddCustomAnalyzer(analyzerWords, map[string]any{
		"type":          custom.Name,
		"tokenizer":     whitespace.Name,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}

	text := bleve.NewTextFieldMapping()
	text.Analyzer = analyzerIndex
	text.Store = false
	text.IncludeInAll = false
	text.IncludeTermVectors = false // highlights are placed by re-scanning the page's hits
	text.DocValues = false

	words := bleve.NewTextFieldMapping()
	words.Analyzer = analyzerWords
	words.Store = false
	words.IncludeInAll = false
	words.IncludeTermVectors = false
	words.DocValues = false

	source := bleve.NewTextFieldMapping()
	source.Index = false
	source.Store = true
	source.IncludeInAll = false
	source.IncludeTermVectors = false
	source.DocValues = false

	doc := bleve.NewDocumentStaticMapping()
	for _, f := range []string{fieldTitle, fieldKeywords, fieldBody} {
		doc.AddFieldMappingsAt(f, text)
	}
	doc.AddFieldMappingsAt(fieldWords, words)
	doc.AddFieldMappingsAt(fieldSource, source)

	im.DefaultMapping = doc
	// BM25 (k1 1.2, b 0.75): term frequency saturates and long bodies do
	// not outweigh short titles, which tf-idf let them do.
	im.ScoringModel = index.BM25Scoring
	im.DefaultAnalyzer = analyzerIndex
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	return im, nil
}
