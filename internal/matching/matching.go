// Package matching ranks published items of the other side for a demand
// or an achievement: achievements that may solve a demand, demands an
// achievement may serve. It runs on any search.Engine: the engine finds
// candidates that share words with the source (synonyms included), and
// this package re-scores them on what the text alone cannot see: industry,
// cooperation modes, price against budget and maturity.
package matching

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// Limits of Match.
const (
	DefaultLimit = 10
	MaxLimit     = 100
	// candidates is how many hits, at least, the engine is asked for
	// before re-scoring, so that re-scoring can lift an item the text
	// alone ranks lower. MaxLimit must not exceed search.MaxLimit.
	// Each candidate is read back and re-scored (a third of a match's CPU
	// at 100,000 documents with 50); 30 scored the same on both labelled
	// sets, both halves of the shared one within noise (docs/matching.md).
	candidates = 30
)

// Item is one ranked item of the other side, as GET /demands/{id}/matches
// and GET /achievements/{id}/matches list it under "items". (It is not
// called Match: that name is the function.)
type Item struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Score   float64  `json:"score"` // 0..1, rounded to 3 decimals
	Reasons []string `json:"reasons"`
}

// weights of the score components; they sum to 1 so the score stays in
// 0..1 (the reciprocal rank, mutual, is added and the sum divided by
// 1 + mutual).
type weights struct {
	text, shared, concept, industry, modes, price, maturity float64
	// poolIDF weighs each shared term by how few candidates hold it.
	poolIDF bool
	// mutual is the weight of the reciprocal rank: how high the source
	// ranks among the matches of the candidate itself, for the best
	// mutualTop candidates (0: not asked).
	mutual    float64
	mutualTop int
	// general weighs each of the source's terms by its specificity in
	// general language (specificity).
	general bool
}

var defaultWeights = weights{text: 0.10, shared: 0.35, concept: 0.30, industry: 0.05, modes: 0.10, price: 0.05, maturity: 0.05, poolIDF: true,
	mutual: 0.30, mutualTop: 10, general: true}

// maxRelated caps the linked terms a source adds to its candidate query.
const maxRelated = 8

// The context signals (industry, modes, price, maturity) say how well a
// candidate fits once it is about the same thing; alone they do not make
// it a match. They count in full from gateAt shared terms (weighted, so
// two body terms or one title term) and only contextFloor of their value
// when nothing is shared: a candidate sharing no term cannot score above
// text + contextFloor × 0.5 = 0.35 (a close match scores 0.8–0.9).
const (
	gateAt       = 2.0
	contextFloor = 0.5
)

// Match returns up to limit published items of the other kind ranked by
// how well they fit src, best first; equal scores are ordered by ID. A
// limit of 0 means DefaultLimit. Items of src's own organisation are left
// out.
func Match(ctx context.Context, eng search.Engine, src search.Document, limit int) ([]Item, error) {
	return MatchWith(ctx, eng, src, limit, Options{})
}

// Options are what a match knows beyond the engine: the synonyms in force
// and what the market has said of pairs with src.
type Options struct {
	// Lexicon is the vocabulary in force (operators' synonyms included);
	// nil means the embedded thesaurus.
	Lexicon *search.Lexicon
	// Signals are, per candidate ID, the feedback, accepted intents and
	// signed deals of its pair with src (market.FeedbackService.MatchSignals).
	Signals map[string]market.PairSignal
	// Reciprocal also ranks the best candidates by how src ranks among
	// their own matches (the reciprocal rank, see reciprocal). It is
	// worth +0.02 nDCG@10 on the independent set and costs up to ten
	// more matches per match, fewer the more of them Rankings holds.
	Reciprocal bool
	// Rankings, when set, keeps the candidates' own rankings between
	// matches (see Rankings); nil computes each one every time.
	Rankings *Rankings
}

// MatchWith is Match with the vocabulary in force and the market's
// signals on src's pairs.
func MatchWith(ctx context.Context, eng search.Engine, src search.Document, limit int, o Options) ([]Item, error) {
	w := defaultWeights
	if !o.Reciprocal {
		w.mutual = 0
	}
	return match(ctx, eng, src, limit, w, o)
}

func match(ctx context.Context, eng search.Engine, src search.Document, limit int, w weights, o Options) ([]Item, error) {
	lex := o.Lexicon
	if lex == nil {
		lex = search.Builtin()
	}
	var other search.Kind
	switch src.Kind {
	case search.KindDemand:
		other = search.KindAchievement
	case search.KindAchievement:
		other = search.KindDemand
	default:
		return nil, market.Invalid("kind", "must be demand or achievement")
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 || limit > MaxLimit {
		return nil, market.Invalid("limit", "must be between 1 and %d", MaxLimit)
	}
	concepts := sourceConcepts(src, lex)
	if len(concepts) == 0 {
		return []Item{}, nil
	}
	if w.general {
		for i := range concepts {
			concepts[i].weight *= specificity(concepts[i].term)
		}
	}
	links := search.Concepts().Find(itemText(src))
	res, err := eng.Search(ctx, search.Query{
		Kind:         other,
		Text:         queryText(concepts),
		Related:      relatedTerms(links, src.Kind == search.KindDemand),
		MatchAny:     true,
		NoFacets:     true,
		NoHighlights: true,
		Limit:        max(candidates, limit),
	})
	if err != nil {
		return nil, err
	}
	maxScore := 0.0
	for _, h := range res.Hits {
		maxScore = max(maxScore, h.Score)
	}
	if w.poolIDF {
		weighByPool(concepts, res.Hits)
	}
	out := make([]Item, 0, len(res.Hits))
	for _, h := range res.Hits {
		if src.OrgID != "" && h.OrgID == src.OrgID {
			continue
		}
		text := 0.0
		if maxScore > 0 {
			text = h.Score / maxScore
		}
		out = append(out, score(src, h.Document, concepts, links, text, w))
	}
	if w.mutual > 0 {
		sortItems(out)
		if err := reciprocal(ctx, eng, src, out, res.Hits, w, o, lex); err != nil {
			return nil, err
		}
	}
	for i, it := range out {
		if sig, ok := o.Signals[it.ID]; ok {
			out[i] = withSignal(it, sig)
		}
	}
	sortItems(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortItems(out []Item) {
	slices.SortFunc(out, func(a, b Item) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// reciprocalReason says a candidate ranks the source first among its own
// matches.
const reciprocalReason = "双向匹配: 对方的匹配中也排第一"

// reciprocal rescores the candidates by how the source ranks among their
// own matches: an achievement for which this demand is the first demand
// it could serve fits better than one that shares the demand's words but
// would serve other demands first (a hub, a listing whose words many
// sources share). The best mutualTop candidates (out is sorted) are each
// matched the other way; one that ranks the source r-th gets
// w.mutual / r (nothing when the source is not among its matches), and
// every score is divided by 1 + w.mutual to stay in 0..1; a first place
// is said in the reasons. A candidate's ranking kept in o.Rankings is
// read from there; the others' reverse matches run concurrently, at most
// GOMAXPROCS at a time, and are kept.
func reciprocal(ctx context.Context, eng search.Engine, src search.Document, out []Item, hits []search.Hit, w weights, o Options, lex *search.Lexicon) error {
	docs := make(map[string]search.Document, len(hits))
	for _, h := range hits {
		docs[h.ID] = h.Document
	}
	n := min(w.mutualTop, len(out))
	ranks := make([]int, n)
	errs := make([]error, n)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range n {
		cand := docs[out[i].ID]
		if r, ok := o.Rankings.rank(cand, src, lex); ok {
			ranks[i] = r
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ms, err := o.Rankings.ranking(ctx, eng, cand, lex, w)
			if err != nil {
				errs[i] = err
				return
			}
			ranks[i] = slices.IndexFunc(ms, func(m Item) bool { return m.ID == src.ID }) + 1
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i := range out {
		bonus := 0.0
		if i < n && ranks[i] > 0 {
			bonus = w.mutual / float64(ranks[i])
			if ranks[i] == 1 {
				out[i].Reasons = append(out[i].Reasons, reciprocalReason)
			}
		}
		out[i].Score = math.Round((out[i].Score+bonus)/(1+w.mutual)*1000) / 1000
	}
	return nil
}

// score rates one candidate. text is its engine relevance scaled to 0..1
// among the candidates.
func score(src, cand search.Document, concepts []concept, links map[int]string, text float64, w weights) Item {
	var reasons []string

	// Shared terms, synonyms included, saturating: the first shared terms
	// say most.
	candText := itemText(cand)
	var found []string
	shared := 0.0
	for _, c := range concepts {
		if v := findVariant(candText, c); v != "" {
			shared += c.weight * c.specific
			found = appendOnce(found, displayTerm(cand, v))
		} else if p := partialMatch(candText, c); p > 0 {
			shared += c.weight * c.specific * p
		}
	}
	sharedScore := 1 - math.Exp(-shared/1.5)
	if len(found) > 0 {
		reasons = append(reasons, "共同关键词: "+strings.Join(found[:min(len(found), 5)], "、"))
	}

	// Concepts: links of the concept map both sides touch, in other words
	// (a shared word is counted above).
	linked := conceptLinks(links, search.Concepts().Find(candText))
	conceptScore := 1 - math.Exp(-float64(len(linked))/1.5)
	if len(linked) > 0 {
		reasons = append(reasons, "概念关联: "+strings.Join(linked[:min(len(linked), 3)], "；"))
	}

	ind := industryAffinity(src.Industry, cand.Industry)
	switch {
	case ind == 1:
		reasons = append(reasons, "同属"+label(industryLabels, src.Industry)+"行业")
	case ind > 0:
		reasons = append(reasons, "相关行业: "+label(industryLabels, cand.Industry)+" ↔ "+label(industryLabels, src.Industry))
	}

	modes := 0.5 // unknown on either side: neutral
	if len(src.Modes) > 0 && len(cand.Modes) > 0 {
		modes = 0
		var common []string
		for _, m := range src.Modes {
			if slices.Contains(cand.Modes, m) {
				common = append(common, label(modeLabels, m))
			}
		}
		if len(common) > 0 {
			modes = 1
			reasons = append(reasons, "合作方式契合: "+strings.Join(common, "、"))
		}
	}

	demand, ach := src, cand
	if src.Kind == search.KindAchievement {
		demand, ach = cand, src
	}
	price, priceReason := priceFit(ach.PriceFen, demand.BudgetMaxFen)
	if priceReason != "" {
		reasons = append(reasons, priceReason)
	}

	maturity, ok := maturityScores[ach.Maturity]
	if !ok {
		maturity = 0.5
	}
	// Said of the candidate only: for a demand's matches the maturity is
	// each achievement's own; for an achievement's matches it would be the
	// source's, the same on every line.
	if cand.Kind == search.KindAchievement && (ach.Maturity == "pilot" || ach.Maturity == "industrialized") {
		reasons = append(reasons, "成熟度: "+label(maturityLabels, ach.Maturity))
	}

	context := w.industry*ind + w.modes*modes + w.price*price + w.maturity*maturity
	gate := contextFloor + (1-contextFloor)*min(1, (shared+0.5*float64(len(linked)))/gateAt)
	total := w.text*text + w.shared*sharedScore + w.concept*conceptScore + context*gate
	if reasons == nil {
		reasons = []string{}
	}
	return Item{ID: cand.ID, Title: cand.Title, Score: math.Round(total*1000) / 1000, Reasons: reasons}
}

// priceFit rates an asking price against a budget ceiling: within budget
// 1, negotiable or unknown budget 0.6, above budget falling to 0 at twice
// the budget. An item above budget is ranked lower, never hidden.
func priceFit(priceFen, budgetMaxFen int64) (float64, string) {
	switch {
	case priceFen == 0:
		return 0.6, "报价面议"
	case budgetMaxFen <= 0:
		return 0.6, ""
	case priceFen <= budgetMaxFen:
		return 1, "报价在预算内"
	}
	over := float64(priceFen-budgetMaxFen) / float64(budgetMaxFen)
	return math.Max(0, 1-over), ""
}

// displayTerm shows a matched term as the candidate writes it (AGV rather
// than agv) when the candidate's text allows it.
func displayTerm(cand search.Document, v string) string {
	for _, s := range append([]string{cand.Title, cand.Body}, cand.Keywords...) {
		if len(search.Normalize(s)) != len(s) {
			continue // full-width text: offsets differ
		}
		if i := strings.Index(strings.ToLower(s), v); i >= 0 {
			return s[i : i+len(v)]
		}
	}
	return v
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// relatedTerms are the terms the concept map links to the source's: for
// a demand the technologies of its symptoms, for an achievement the
// symptoms its technologies cure, and the other terms of its own side
// after them; at most maxRelated, each once.
func relatedTerms(links map[int]string, fromDemand bool) []string {
	cm := search.Concepts()
	ids := make([]int, 0, len(links))
	for i := range links {
		ids = append(ids, i)
	}
	slices.Sort(ids)
	var out []string
	seen := map[string]bool{}
	for pass := 0; pass < 2; pass++ {
		for _, i := range ids {
			for _, t := range cm.Terms(i) {
				k := search.Normalize(t)
				want := cm.Technology(i, t) == fromDemand
				if k == links[i] || seen[k] || want != (pass == 0) {
					continue
				}
				seen[k] = true
				out = append(out, t)
				if len(out) == maxRelated {
					return out
				}
			}
		}
	}
	return out
}

// conceptLinks names the links of the concept map that source and
// candidate both touch through different terms, "源词 ↔ 候选词", in link
// order.
func conceptLinks(src, cand map[int]string) []string {
	var ids []int
	for i, t := range cand {
		if s, ok := src[i]; ok && s != t {
			ids = append(ids, i)
		}
	}
	slices.Sort(ids)
	out := make([]string, 0, len(ids))
	for _, i := range ids {
		out = appendOnce(out, src[i]+" ↔ "+cand[i])
	}
	return out
}

// weighByPool sets each concept's specificity from the candidates: a term
// every candidate holds (the one they were all found by) tells them apart
// least, one that few hold most, as inverse document frequency does over
// the pool. The weights run from about 0.3 (all hold it) to 1.
func weighByPool(concepts []concept, hits []search.Hit) {
	texts := make([]string, len(hits))
	for i, h := range hits {
		texts[i] = itemText(h.Document)
	}
	n := float64(len(hits))
	top := math.Log(1 + n)
	for i := range concepts {
		held := 0.0
		for _, t := range texts {
			if findVariant(t, concepts[i]) != "" {
				held++
			}
		}
		concepts[i].specific = 0.3 + 0.7*math.Log(1+n/(1+held))/top
	}
}

// How much the market's word on a pair moves its score: each net "useful"
// feedback up to three (a "not useful" counts against), an accepted
// intent, a signed deal. What two parties did together outweighs what one
// said.
const (
	feedbackStep     = 0.08
	intentBoost      = 0.10
	transactionBoost = 0.15
)

// withSignal moves a scored candidate by what the market said of its pair
// with the source, keeping the score in 0..1, and says so in reasons.
func withSignal(it Item, sig market.PairSignal) Item {
	net := max(-3, min(3, sig.Useful-sig.NotUseful))
	delta := feedbackStep * float64(net)
	switch {
	case net > 0:
		it.Reasons = append(it.Reasons, "反馈: 有用")
	case net < 0:
		it.Reasons = append(it.Reasons, "反馈: 不合适")
	}
	if sig.AcceptedIntent {
		delta += intentBoost
		it.Reasons = append(it.Reasons, "已有接受的合作意向")
	}
	if sig.SignedDeal {
		delta += transactionBoost
		it.Reasons = append(it.Reasons, "双方已签约")
	}
	it.Score = math.Round(max(0, min(1, it.Score+delta))*1000) / 1000
	return it
}
