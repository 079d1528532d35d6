package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	_ "github.com/glebarez/go-sqlite"

	"github.com/liuzhou-techmarket/techmarket/internal/blackbox"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// stats are the requests of one class or endpoint.
type stats struct {
	lat      []time.Duration
	statuses map[int]int
	errs     map[int]int // unexpected statuses; 0 is a transport error
	sample   string      // the first unexpected answer
}

func newStats() *stats { return &stats{statuses: map[int]int{}, errs: map[int]int{}} }

func (s *stats) add(r *blackbox.Response, want []int) {
	s.lat = append(s.lat, r.Latency)
	s.statuses[r.Status]++
	if !slices.Contains(want, r.Status) {
		s.errs[r.Status]++
		if s.sample == "" {
			s.sample = r.Method + " " + r.Path + " → " + r.Brief()
		}
	}
}

func (s *stats) merge(o *stats) {
	s.lat = append(s.lat, o.lat...)
	for k, v := range o.statuses {
		s.statuses[k] += v
	}
	for k, v := range o.errs {
		s.errs[k] += v
	}
	if s.sample == "" {
		s.sample = o.sample
	}
}

type worker struct {
	ctx      context.Context
	c        *blackbox.Client
	w        *world
	tl       *tally
	rnd      *rand.Rand
	issued   *atomic.Int64
	classes  [nClasses]*stats
	byEP     map[string]*stats
	epClass  map[string]int
	etags    map[string]string
	id       int
	weights  [nClasses]int
	totalWgt int
}

func (wk *worker) call(cls int, ep, method, path, token string, body any, want ...int) *blackbox.Response {
	var headers []string
	if b, ok := body.(headerBody); ok {
		body, headers = b.body, b.headers
	}
	wk.issued.Add(1)
	r := wk.c.Do(wk.ctx, method, path, token, body, headers...)
	wk.classes[cls].add(r, want)
	s := wk.byEP[ep]
	if s == nil {
		s = newStats()
		wk.byEP[ep] = s
		wk.epClass[ep] = cls
	}
	s.add(r, want)
	return r
}

// headerBody carries extra headers with a body through call.
type headerBody struct {
	body    any
	headers []string
}

func (wk *worker) pick() int {
	x := wk.rnd.IntN(wk.totalWgt)
	for c, wt := range wk.weights {
		if x < wt {
			return c
		}
		x -= wt
	}
	return classBrowse
}

func pickOne[T any](rnd *rand.Rand, s []T) T { return s[rnd.IntN(len(s))] }

func (wk *worker) browse() {
	w, rnd := wk.w, wk.rnd
	w.mu.RLock()
	ach, dem := pickOne(rnd, w.achievements), itemRef{}
	if len(w.demands) > 0 {
		dem = pickOne(rnd, w.demands)
	}
	w.mu.RUnlock()
	topic := pickOne(rnd, blackbox.Topics)
	anyToken := func() string {
		if rnd.IntN(2) == 0 {
			return ""
		}
		return pickOne(rnd, w.enterprises).Token
	}
	switch x := rnd.IntN(100); {
	case x < 22:
		q := url.Values{"q": {pickOne(rnd, blackbox.Queries)}, "limit": {"10"}}
		if rnd.IntN(3) == 0 {
			q.Set("industry", topic.Industry)
		}
		if rnd.IntN(5) == 0 {
			q.Set("maturity", pickOne(rnd, blackbox.Maturities)+","+pickOne(rnd, blackbox.Maturities))
		}
		if rnd.IntN(6) == 0 {
			q.Set("max_fen", "50000000")
		}
		if rnd.IntN(6) == 0 {
			q.Set("sort", pickOne(rnd, []string{"newest", "price_asc", "price_desc"}))
		}
		if rnd.IntN(5) == 0 {
			q.Set("page", "2")
		}
		wk.call(classBrowse, "GET /search/achievements", "GET", "/api/v1/search/achievements?"+q.Encode(), anyToken(), nil, 200)
	case x < 32:
		q := url.Values{"q": {pickOne(rnd, blackbox.Queries)}, "limit": {"10"}}
		if rnd.IntN(3) == 0 {
			q.Set("mode", pickOne(rnd, blackbox.Modes))
		}
		if rnd.IntN(4) == 0 {
			q.Set("region_code", pickOne(rnd, blackbox.Regions))
		}
		wk.call(classBrowse, "GET /search/demands", "GET", "/api/v1/search/demands?"+q.Encode(), anyToken(), nil, 200)
	case x < 45:
		q := url.Values{"limit": {"20"}}
		if rnd.IntN(2) == 0 {
			q.Set("industry", topic.Industry)
		}
		r := wk.call(classBrowse, "GET /achievements", "GET", "/api/v1/achievements?"+q.Encode(), anyToken(), nil, 200)
		if cur, _ := r.JSON()["next_cursor"].(string); cur != "" && rnd.IntN(3) == 0 {
			q.Set("cursor", cur)
			wk.call(classBrowse, "GET /achievements", "GET", "/api/v1/achievements?"+q.Encode(), anyToken(), nil, 200)
		}
	case x < 53:
		q := url.Values{"limit": {"20"}}
		if rnd.IntN(2) == 0 {
			q.Set("region_code", pickOne(rnd, blackbox.Regions))
		}
		wk.call(classBrowse, "GET /demands", "GET", "/api/v1/demands?"+q.Encode(), anyToken(), nil, 200)
	case x < 73:
		wk.getItem("achievements", ach.id, anyToken())
	case x < 83:
		if dem.id == "" {
			wk.getItem("achievements", ach.id, anyToken())
			return
		}
		wk.getItem("demands", dem.id, anyToken())
	case x < 89:
		wk.call(classBrowse, "GET /achievements/{id}/matches", "GET", "/api/v1/achievements/"+ach.id+"/matches?limit=10", ach.owner.Token, nil, 200)
	case x < 95:
		if dem.id == "" {
			return
		}
		tok := dem.owner.Token
		if rnd.IntN(2) == 0 {
			tok = w.operator(pickOne(rnd, []string{market.MarketLiuzhou, market.MarketGuizhong})).Token
		}
		wk.call(classBrowse, "GET /demands/{id}/matches", "GET", "/api/v1/demands/"+dem.id+"/matches?limit=10", tok, nil, 200)
	default:
		wk.call(classBrowse, "GET /meta", "GET", "/api/v1/meta", "", nil, 200)
	}
}

// getItem reads an item, sending If-None-Match with the ETag it saw last
// time for that item about half the time, as the mobile app does.
func (wk *worker) getItem(kind, id, token string) {
	path := "/api/v1/" + kind + "/" + id
	var b any
	if et := wk.etags[path+token]; et != "" && wk.rnd.IntN(2) == 0 {
		b = headerBody{nil, []string{"If-None-Match", et}}
	}
	r := wk.call(classBrowse, "GET /"+kind+"/{id}", "GET", path, token, b, 200, 304)
	if et := r.Header.Get("ETag"); et != "" && len(wk.etags) < 10_000 {
		wk.etags[path+token] = et
	}
}

func (wk *worker) publishOp() {
	kind := "achievements"
	if wk.rnd.IntN(5) < 2 {
		kind = "demands"
	}
	_, _ = wk.w.publish(wk.ctx, wk.c, wk.tl, kind, int(wk.w.seq.Add(1))+wk.w.setupItems, wk)
}

func (wk *worker) transactionOp() {
	w, rnd, tl := wk.w, wk.rnd, wk.tl
	mkt := pickOne(rnd, []string{market.MarketLiuzhou, market.MarketGuizhong})
	buyer, seller := pickOne(rnd, w.enterprises), pickOne(rnd, w.universities)
	channel, creator := market.ChannelOffline, w.operator(mkt).Token
	if rnd.IntN(2) == 0 {
		channel, creator = market.ChannelOnline, buyer.Token
	}
	n := w.seq.Add(1)
	no := fmt.Sprintf("LOAD-%s-%d-%d", w.tag, wk.id, n)
	body, _ := json.Marshal(blackbox.TransactionBody(mkt, channel, no, buyer.ID, seller.ID, 1_000_000, 800_000, w.signedAt))
	var first any = body
	key := ""
	if rnd.IntN(10) == 0 {
		key = "load-" + blackbox.RandHex(8)
		first = headerBody{body, []string{"Idempotency-Key", key}}
	}
	r := wk.call(classTransactions, "POST /transactions", "POST", "/api/v1/transactions", creator, first, 201)
	switch {
	case r.Err != nil:
		tl.transactionsUnknown.Add(1)
		return
	case r.Status != 201:
		return
	}
	tl.deals.Add(1)
	id := r.Str("id")
	if r.Str("status") == market.TransactionPending {
		// The seller confirms the deal the buyer logged.
		wk.call(classTransactions, "POST /transactions/{id}/confirm", "POST", "/api/v1/transactions/"+id+"/confirm", seller.Token, nil, 200)
	}
	if key != "" {
		// The client retries as if the answer had been lost.
		r2 := wk.call(classTransactions, "POST /transactions (replay)", "POST", "/api/v1/transactions", creator, headerBody{body, []string{"Idempotency-Key", key}}, 201)
		switch {
		case r2.Err != nil, r2.Status == 429, r2.Status >= 500:
			// Not answered: says nothing about idempotency.
		case r2.Status == 201 && r2.Replayed() && string(r2.Body) == string(r.Body):
			tl.replays.Add(1)
		default:
			tl.replayMismatch.Add(1)
			if r2.Status == 201 && !r2.Replayed() {
				tl.deals.Add(1) // it made a second deal: count what the database holds
			}
		}
	}
	for j := range 1 + rnd.IntN(3) {
		const amount = 300_000
		r := wk.call(classTransactions, "POST /transactions/{id}/payments", "POST", "/api/v1/transactions/"+id+"/payments", creator,
			payment(amount, fmt.Sprintf("V-%d-%d", n, j), w.signedAt), 201)
		switch {
		case r.Err != nil:
			tl.paymentsUnknown.Add(1)
		case r.Status == 201:
			tl.payments.Add(1)
			tl.paidFen.Add(amount)
			// The buyer's payment counts once the seller confirms it.
			if ps := r.JSON()["payments"].([]any); channel == market.ChannelOnline && len(ps) > 0 {
				pid, _ := ps[len(ps)-1].(map[string]any)["id"].(string)
				wk.call(classTransactions, "POST /transactions/{id}/payments/{payment_id}/confirm", "POST",
					"/api/v1/transactions/"+id+"/payments/"+pid+"/confirm", seller.Token, nil, 200)
			}
		}
	}
	if rnd.IntN(10) < 7 {
		r := wk.call(classTransactions, "POST /transactions/{id}/register", "POST", "/api/v1/transactions/"+id+"/register", w.operator(mkt).Token,
			registration(fmt.Sprintf("REG-%s-%d-%d", w.tag, wk.id, n)), 200)
		switch {
		case r.Err != nil:
			tl.registeredUnknown.Add(1)
		case r.Status == 200:
			tl.registered.Add(1)
		}
	}
	if rnd.IntN(2) == 0 {
		wk.call(classTransactions, "GET /transactions/{id}", "GET", "/api/v1/transactions/"+id, creator, nil, 200)
	}
	if rnd.IntN(5) == 0 {
		wk.call(classTransactions, "GET /transactions", "GET", "/api/v1/transactions?limit=20&market="+mkt, w.operator(mkt).Token, nil, 200)
	}
	w.mu.Lock()
	if len(w.quoteTransactions) < 5000 {
		w.quoteTransactions = append(w.quoteTransactions, transactionRef{id, mkt, buyer})
	}
	w.mu.Unlock()
}

func (wk *worker) subsidyOp() {
	w := wk.w
	w.mu.RLock()
	d := pickOne(wk.rnd, w.quoteTransactions)
	w.mu.RUnlock()
	tok := d.buyer.Token
	if wk.rnd.IntN(2) == 0 {
		tok = w.gov.Token
	}
	wk.call(classSubsidy, "POST /subsidies/quote", "POST", "/api/v1/subsidies/quote", tok,
		map[string]string{"transaction_id": d.id, "policy_id": w.policyID}, 200)
}
