package relevance

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// BM25 is the naive baseline of ../shared/eval/README.md: character-bigram
// BM25 (k1 1.2, b 0.75) over documents made of the title twice, the
// keywords and the body.
type BM25 struct {
	docs  []search.Document
	tf    []map[string]int
	len   []float64
	df    map[string]int
	avgdl float64
}

// NewBM25 indexes docs.
func NewBM25(docs []search.Document) *BM25 {
	b := &BM25{docs: docs, df: map[string]int{}}
	total := 0.0
	for _, d := range docs {
		toks := Bigrams(d.Title + " " + d.Title + " " + strings.Join(d.Keywords, " ") + " " + d.Body)
		tf := map[string]int{}
		for _, t := range toks {
			tf[t]++
		}
		for t := range tf {
			b.df[t]++
		}
		b.tf = append(b.tf, tf)
		b.len = append(b.len, float64(len(toks)))
		total += float64(len(toks))
	}
	b.avgdl = total / float64(max(1, len(docs)))
	return b
}

// Rank returns the IDs of the best k documents for the query text.
func (b *BM25) Rank(text string, k int) []string {
	const k1, bb = 1.2, 0.75
	n := float64(len(b.docs))
	q := Bigrams(text)
	type sc struct {
		i int
		s float64
	}
	var out []sc
	for i := range b.docs {
		s := 0.0
		for _, t := range q {
			f := float64(b.tf[i][t])
			if f == 0 {
				continue
			}
			df := float64(b.df[t])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			s += idf * f * (k1 + 1) / (f + k1*(1-bb+bb*b.len[i]/b.avgdl))
		}
		if s > 0 {
			out = append(out, sc{i, s})
		}
	}
	sort.SliceStable(out, func(x, y int) bool { return out[x].s > out[y].s })
	ids := make([]string, 0, k)
	for _, o := range out[:min(k, len(out))] {
		ids = append(ids, b.docs[o.i].ID)
	}
	return ids
}

// DemandQuery is the baseline's query for a demand: title twice, keywords
// and description.
func DemandQuery(d search.Document) string {
	return d.Title + " " + d.Title + " " + strings.Join(d.Keywords, " ") + " " + d.Body
}

// Bigrams cuts text into overlapping bigrams of CJK characters and whole
// lower-cased runs of Latin letters and digits.
func Bigrams(text string) []string {
	var out []string
	var han []rune
	var latin []rune
	flush := func() {
		if len(han) == 1 {
			out = append(out, string(han))
		}
		for i := 0; i+1 < len(han); i++ {
			out = append(out, string(han[i:i+2]))
		}
		han = han[:0]
		if len(latin) > 0 {
			out = append(out, strings.ToLower(string(latin)))
			latin = latin[:0]
		}
	}
	for _, r := range search.Normalize(text) {
		switch {
		case unicode.Is(unicode.Han, r):
			if len(latin) > 0 {
				flush()
			}
			han = append(han, r)
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if len(han) > 0 {
				flush()
			}
			latin = append(latin, r)
		default:
			flush()
		}
	}
	flush()
	return out
}
