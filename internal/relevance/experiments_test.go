package relevance

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// xp is one configuration of the experimental BM25.
type xp struct {
	wt, wk, wb float64 // doc field weights
	qt, qk, qb float64 // query field weights
	k1, b      float64
	prfDocs    int
	prfTerms   int
	prfBeta    float64
	lsaRank    int
	lsaGamma   float64
}

type xindex struct {
	docs  []search.Document
	tf    []map[string]float64
	len   []float64
	df    map[string]int
	avgdl float64
}

func fieldTF(d search.Document, wt, wk, wb float64) (map[string]float64, float64) {
	tf := map[string]float64{}
	l := 0.0
	for _, p := range []struct {
		s string
		w float64
	}{{d.Title, wt}, {strings.Join(d.Keywords, " "), wk}, {d.Body, wb}} {
		for _, t := range Bigrams(p.s) {
			tf[t] += p.w
			l += p.w
		}
	}
	return tf, l
}

func newX(docs []search.Document, c xp) *xindex {
	x := &xindex{docs: docs, df: map[string]int{}}
	tot := 0.0
	for _, d := range docs {
		tf, l := fieldTF(d, c.wt, c.wk, c.wb)
		for t := range tf {
			x.df[t]++
		}
		x.tf = append(x.tf, tf)
		x.len = append(x.len, l)
		tot += l
	}
	x.avgdl = tot / float64(len(docs))
	return x
}

func (x *xindex) idf(t string) float64 {
	n := float64(len(x.docs))
	df := float64(x.df[t])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

func (x *xindex) scores(q map[string]float64, c xp) []float64 {
	out := make([]float64, len(x.docs))
	for i := range x.docs {
		s := 0.0
		for t, qw := range q {
			f := x.tf[i][t]
			if f == 0 {
				continue
			}
			s += qw * x.idf(t) * f * (c.k1 + 1) / (f + c.k1*(1-c.b+c.b*x.len[i]/x.avgdl))
		}
		out[i] = s
	}
	return out
}

func top(scores []float64, docs []search.Document, k int) []string {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	var out []string
	for _, i := range idx[:min(k, len(idx))] {
		if scores[i] > 0 {
			out = append(out, docs[i].ID)
		}
	}
	return out
}

func queryOf(d search.Document, c xp) map[string]float64 {
	q, _ := fieldTF(d, c.qt, c.qk, c.qb)
	return q
}

// lsa returns unit vectors for all docs (corpus = achievements + demands).
func lsa(all []search.Document, rank int) map[string][]float64 {
	df := map[string]int{}
	tfs := make([]map[string]float64, len(all))
	for i, d := range all {
		tf, _ := fieldTF(d, 2, 1, 1)
		tfs[i] = tf
		for t := range tf {
			df[t]++
		}
	}
	vocab := map[string]int{}
	for t, n := range df {
		if n >= 2 {
			vocab[t] = len(vocab)
		}
	}
	m := mat.NewDense(len(all), len(vocab), nil)
	n := float64(len(all))
	for i, tf := range tfs {
		norm := 0.0
		for t, f := range tf {
			if j, ok := vocab[t]; ok {
				v := (1 + math.Log(f)) * math.Log(n/float64(df[t]))
				m.Set(i, j, v)
				norm += v * v
			}
		}
		norm = math.Sqrt(norm)
		if norm > 0 {
			for j := 0; j < len(vocab); j++ {
				m.Set(i, j, m.At(i, j)/norm)
			}
		}
	}
	var svd mat.SVD
	svd.Factorize(m, mat.SVDThin)
	var u mat.Dense
	svd.UTo(&u)
	sv := svd.Values(nil)
	rank = min(rank, len(sv))
	out := map[string][]float64{}
	for i, d := range all {
		v := make([]float64, rank)
		norm := 0.0
		for k := 0; k < rank; k++ {
			v[k] = u.At(i, k) * sv[k]
			norm += v[k] * v[k]
		}
		norm = math.Sqrt(norm)
		for k := range v {
			v[k] /= norm
		}
		out[d.ID] = v
	}
	return out
}

func cos(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func runX(set *Set, c xp) (Figures, Figures) {
	x := newX(set.Achievements, c)
	var vec map[string][]float64
	if c.lsaRank > 0 {
		vec = lsa(set.Docs(), c.lsaRank)
	}
	byID := map[string]search.Document{}
	for _, d := range set.Docs() {
		byID[d.ID] = d
	}
	rank := func(q map[string]float64, src string) []string {
		s := x.scores(q, c)
		if c.prfDocs > 0 {
			first := top(s, x.docs, c.prfDocs)
			exp := map[string]float64{}
			for _, id := range first {
				for i, d := range x.docs {
					if d.ID == id {
						for t, f := range x.tf[i] {
							exp[t] += f / x.len[i] * x.idf(t)
						}
					}
				}
			}
			type tw struct {
				t string
				w float64
			}
			var ts []tw
			for t, w := range exp {
				ts = append(ts, tw{t, w})
			}
			sort.Slice(ts, func(a, b int) bool { return ts[a].w > ts[b].w })
			q2 := map[string]float64{}
			for t, w := range q {
				q2[t] = w
			}
			maxw := 0.0
			if len(ts) > 0 {
				maxw = ts[0].w
			}
			for _, e := range ts[:min(c.prfTerms, len(ts))] {
				q2[e.t] += c.prfBeta * e.w / maxw
			}
			s = x.scores(q2, c)
		}
		if vec != nil && src != "" {
			mx := 0.0
			for _, v := range s {
				mx = max(mx, v)
			}
			for i, d := range x.docs {
				if mx > 0 {
					s[i] = s[i]/mx + c.lsaGamma*cos(vec[src], vec[d.ID])
				}
			}
		}
		return top(s, x.docs, 10)
	}
	m, _ := Evaluate(set.Matches, func(id string) []string { return rank(queryOf(byID[id], c), id) })
	judged := map[string]map[string]int{}
	for _, q := range set.Queries {
		judged[q.Text] = q.Relevant
	}
	s, _ := Evaluate(judged, func(q string) []string {
		qq := map[string]float64{}
		for _, t := range Bigrams(q) {
			qq[t]++
		}
		return rank(qq, "")
	})
	return m, s
}

// TestChannelExperiments measures, on plain BM25, the channels the issue
// suggested before they were built into the service: field weights, query
// weights, pseudo-relevance feedback (RM3-like: the top documents' terms
// added to the query) and LSA vectors learned from the listings (truncated
// SVD of the tf-idf matrix of both kinds, cosine fused with BM25). It only
// reports (docs/matching.md has the figures and what was kept); run it
// with TECHMARKET_EVAL_EXPERIMENTS=1 go test -v -run ChannelExperiments
// ./internal/relevance.
func TestChannelExperiments(t *testing.T) {
	if os.Getenv("TECHMARKET_EVAL_EXPERIMENTS") != "1" {
		t.Skip("set TECHMARKET_EVAL_EXPERIMENTS=1 to run the channel experiments")
	}
	dir, err := FindShared()
	if err != nil {
		t.Skip(err)
	}
	shared, err := LoadShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	own, err := LoadOwn("../matching/testdata/labelled.json")
	if err != nil {
		t.Fatal(err)
	}
	base := xp{wt: 2, wk: 1, wb: 1, qt: 2, qk: 1, qb: 1, k1: 1.2, b: 0.75}
	try := func(name string, c xp) {
		m, s := runX(shared, c)
		o, _ := runX(own, c)
		t.Logf("%-28s shared: match %.3f  search %.3f   own: match %.3f", name, m.NDCG, s.NDCG, o.NDCG)
	}
	try("baseline", base)
	for _, wt := range []float64{1, 3, 4} {
		c := base
		c.wt = wt
		try(fmt.Sprintf("wt=%v", wt), c)
	}
	for _, wk := range []float64{2, 3} {
		c := base
		c.wk = wk
		try(fmt.Sprintf("wk=%v", wk), c)
	}
	for _, q := range [][3]float64{{3, 2, 1}, {2, 2, 1}, {1, 1, 1}, {3, 3, 1}, {2, 1, 0.5}} {
		c := base
		c.qt, c.qk, c.qb = q[0], q[1], q[2]
		try(fmt.Sprintf("q=%v", q), c)
	}
	for _, b := range []float64{0.3, 0.5, 0.9} {
		c := base
		c.b = b
		try(fmt.Sprintf("b=%v", b), c)
	}
	for _, p := range [][3]float64{{3, 10, 0.3}, {5, 20, 0.3}, {3, 20, 0.5}, {2, 10, 0.5}} {
		c := base
		c.prfDocs, c.prfTerms, c.prfBeta = int(p[0]), int(p[1]), p[2]
		try(fmt.Sprintf("prf=%v", p), c)
	}
	for _, l := range [][2]float64{{50, 0.2}, {50, 0.5}, {100, 0.3}, {100, 0.6}, {30, 0.3}} {
		c := base
		c.lsaRank, c.lsaGamma = int(l[0]), l[1]
		try(fmt.Sprintf("lsa=%v", l), c)
	}
}
