package matching

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-ego/gse"
)

// common is how common words are in general Chinese text: the inverse
// document frequency of the jieba keyword dictionary that gse embeds
// (gse.ZhIdf, 270,000 words learned from a general corpus, nothing of
// this market's), for the words under the dictionary's median, the only
// ones specificity lowers.
type common struct {
	idf    map[string]float32
	median float64
}

var commonWords = sync.OnceValue(func() common {
	type row struct {
		word string
		idf  float64
	}
	rows := make([]row, 0, 280_000)
	for line := range strings.Lines(gse.ZhIdf) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		rows = append(rows, row{f[0], v})
	}
	if len(rows) == 0 {
		return common{}
	}
	idfs := make([]float64, len(rows))
	for i, r := range rows {
		idfs[i] = r.idf
	}
	slices.Sort(idfs)
	c := common{idf: make(map[string]float32, len(rows)/2), median: idfs[len(idfs)/2]}
	for _, r := range rows {
		if r.idf < c.median {
			c.idf[strings.ToLower(r.word)] = float32(r.idf)
		}
	}
	return c
})

// specificity is how little general language uses a term, 0..1: its idf
// over the dictionary's median for a common word (基本 0.40, 客户 0.51,
// 物流 0.60, 转炉 0.86), 1 for the rest, which is most technical terms
// (钢渣, 游离氧化钙) and every word the dictionary lacks. A demand says
// what it wants among words any text uses; these count less as shared
// terms, as keyword extraction with TF-IDF weighs them.
func specificity(term string) float64 {
	c := commonWords()
	if v, ok := c.idf[term]; ok {
		return float64(v) / c.median
	}
	return 1
}
