package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/glebarez/go-sqlite"

	"github.com/liuzhou-techmarket/techmarket/internal/blackbox"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type itemRef struct {
	id    string
	owner blackbox.Org
}

type transactionRef struct {
	id, market string
	buyer      blackbox.Org
}

// world is what setup made and the workload uses.
type world struct {
	tag                       string
	adminToken                string
	opL, opG, gov             blackbox.Org
	enterprises, universities []blackbox.Org
	signedAt                  time.Time
	subsidy                   bool
	subsidyNote               string
	policyID                  string
	mu                        sync.RWMutex
	achievements, demands     []itemRef
	quoteTransactions         []transactionRef
	seq                       atomic.Int64
	setupItems                int
}

func (w *world) operator(mkt string) blackbox.Org {
	if mkt == market.MarketGuizhong {
		return w.opG
	}
	return w.opL
}

// tally counts what the service acknowledged, to compare with the
// database. unknown counts requests whose answer never came (the write
// may or may not have happened).
type tally struct {
	items, itemsUnknown           atomic.Int64
	published, publishedUnknown   atomic.Int64
	deals, transactionsUnknown    atomic.Int64
	payments, paymentsUnknown     atomic.Int64
	paidFen                       atomic.Int64
	registered, registeredUnknown atomic.Int64
	replays, replayMismatch       atomic.Int64
}

func setup(ctx context.Context, c *blackbox.Client, o options, t *target, tl *tally) (*world, error) {
	w := &world{tag: blackbox.RandHex(3)}
	now := time.Now().UTC()
	w.signedAt = now.Add(-time.Hour)
	if w.signedAt.Year() != now.Year() {
		w.signedAt = now.Add(-time.Second)
	}
	var err error
	if w.adminToken, _, err = c.Login(ctx, t.adminAccount, t.adminPassword); err != nil {
		return nil, err
	}
	if w.opL, err = c.NewOrg(ctx, w.adminToken, market.OrgOperator, market.MarketLiuzhou); err != nil {
		return nil, err
	}
	if w.opG, err = c.NewOrg(ctx, w.adminToken, market.OrgOperator, market.MarketGuizhong); err != nil {
		return nil, err
	}
	if w.gov, err = c.NewOrg(ctx, w.adminToken, market.OrgGovernment, ""); err != nil {
		return nil, err
	}
	for i := range o.orgs {
		e, err := c.NewOrg(ctx, w.adminToken, market.OrgEnterprise, "")
		if err != nil {
			return nil, err
		}
		kind := market.OrgUniversity
		if i%3 == 2 {
			kind = market.OrgInstitute
		}
		u, err := c.NewOrg(ctx, w.adminToken, kind, "")
		if err != nil {
			return nil, err
		}
		w.enterprises, w.universities = append(w.enterprises, e), append(w.universities, u)
	}
	// Published items, in parallel over a few clients.
	var wg sync.WaitGroup
	errs := make(chan error, o.items)
	next := atomic.Int64{}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= o.items {
					return
				}
				kind := "achievements"
				if n%3 == 2 {
					kind = "demands"
				}
				if _, err := w.publish(ctx, c, tl, kind, n, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	w.setupItems = o.items
	if err := w.setupSubsidy(ctx, c, tl); err != nil {
		return nil, err
	}
	return w, nil
}

// publish creates, submits and approves (or, when reject, rejects) an
// item; rec, when set, records each request under the publish class.
func (w *world) publish(ctx context.Context, c *blackbox.Client, tl *tally, kind string, n int, wk *worker) (bool, error) {
	var owner blackbox.Org
	var body map[string]any
	if kind == "achievements" {
		owner, body = w.universities[n%len(w.universities)], blackbox.AchievementBody(n, w.tag)
	} else {
		owner, body = w.enterprises[n%len(w.enterprises)], blackbox.DemandBody(n, w.tag)
	}
	send := func(ep, method, path, token string, body any, want int) *blackbox.Response {
		if wk != nil {
			return wk.call(classPublish, ep, method, path, token, body, want)
		}
		return c.Do(ctx, method, path, token, body)
	}
	r := send("POST /"+kind, "POST", "/api/v1/"+kind, owner.Token, body, 201)
	switch {
	case r.Err != nil:
		tl.itemsUnknown.Add(1)
		return false, r.Expect(201)
	case r.Status != 201:
		return false, r.Expect(201)
	}
	tl.items.Add(1)
	id := r.Str("id")
	if r := send("POST /"+kind+"/{id}/submit", "POST", "/api/v1/"+kind+"/"+id+"/submit", owner.Token, nil, 200); r.Status != 200 {
		return false, r.Expect(200)
	}
	op := w.opL
	if n%2 == 1 {
		op = w.opG
	}
	reject := wk != nil && wk.rnd.IntN(10) == 0
	review := map[string]string{"decision": "approve"}
	if reject {
		review = map[string]string{"decision": "reject", "reason": "资料不全，请补充专利证书"}
	}
	r = send("POST /"+kind+"/{id}/review", "POST", "/api/v1/"+kind+"/"+id+"/review", op.Token, review, 200)
	if r.Status != 200 {
		if r.Err != nil && !reject {
			tl.publishedUnknown.Add(1)
		}
		return false, r.Expect(200)
	}
	if reject {
		return false, nil
	}
	tl.published.Add(1)
	w.mu.Lock()
	if kind == "achievements" {
		w.achievements = append(w.achievements, itemRef{id, owner})
	} else {
		w.demands = append(w.demands, itemRef{id, owner})
	}
	w.mu.Unlock()
	return true, nil
}

// setupSubsidy creates a policy and a few paid, registered deals to quote,
// or notes why the subsidy class cannot run.
func (w *world) setupSubsidy(ctx context.Context, c *blackbox.Client, tl *tally) error {
	y := strconv.Itoa(w.signedAt.Year())
	r := c.Do(ctx, "POST", "/api/v1/subsidy-policies", w.gov.Token, map[string]any{
		"name": "柳州市技术交易后补助（压测 " + w.tag + "）", "year": w.signedAt.Year(),
		"tiers": []map[string]any{
			{"up_to_fen": 10_000_000, "rate_bp": 100}, {"up_to_fen": 100_000_000, "rate_bp": 50}, {"up_to_fen": nil, "rate_bp": 10}},
		"per_transaction_cap_fen": 50_000_000, "annual_cap_per_org_fen": 200_000_000, "budget_fen": 10_000_000_000,
		"min_tech_amount_fen": 0, "eligible_contract_types": []string{"development", "transfer", "license", "consulting", "service"},
		"require_registered": true, "require_local_buyer": true, "base": "lesser", "auto_apply": false,
		"effective_from": y + "-01-01", "effective_to": y + "-12-31",
	})
	switch {
	case r.NoRoute():
		w.subsidyNote = "subsidy quotes skipped: POST /subsidy-policies is not routed by this build (404 no route); its weight went to the other classes"
		return nil
	case r.Status != 201:
		w.subsidyNote = "subsidy quotes skipped: creating the policy answered " + r.Brief()
		return nil
	}
	w.policyID = r.Str("id")
	for i := range 8 {
		buyer, seller := w.enterprises[i%len(w.enterprises)], w.universities[i%len(w.universities)]
		mkt := market.MarketLiuzhou
		if i%2 == 1 {
			mkt = market.MarketGuizhong
		}
		no := fmt.Sprintf("LOAD-%s-Q%03d", w.tag, i)
		r := c.Do(ctx, "POST", "/api/v1/transactions", buyer.Token, blackbox.TransactionBody(mkt, market.ChannelOnline, no, buyer.ID, seller.ID, 2_000_000*int64(i+1), 1_500_000*int64(i+1), w.signedAt))
		if err := r.Expect(201); err != nil {
			return err
		}
		tl.deals.Add(1)
		id := r.Str("id")
		if err := c.Do(ctx, "POST", "/api/v1/transactions/"+id+"/confirm", seller.Token, nil).Expect(200); err != nil {
			return err
		}
		amount := 1_500_000 * int64(i+1)
		pr := c.Do(ctx, "POST", "/api/v1/transactions/"+id+"/payments", buyer.Token, payment(amount, "VQ-"+no, w.signedAt))
		if err := pr.Expect(201); err != nil {
			return err
		}
		pid, _ := pr.JSON()["payments"].([]any)[0].(map[string]any)["id"].(string)
		if err := c.Do(ctx, "POST", "/api/v1/transactions/"+id+"/payments/"+pid+"/confirm", seller.Token, nil).Expect(200); err != nil {
			return err
		}
		tl.payments.Add(1)
		tl.paidFen.Add(amount)
		if err := c.Do(ctx, "POST", "/api/v1/transactions/"+id+"/register", w.operator(mkt).Token, registration("REGQ-"+no)).Expect(200); err != nil {
			return err
		}
		tl.registered.Add(1)
		w.quoteTransactions = append(w.quoteTransactions, transactionRef{id, mkt, buyer})
	}
	q := c.Do(ctx, "POST", "/api/v1/subsidies/quote", w.gov.Token, map[string]string{"transaction_id": w.quoteTransactions[0].id, "policy_id": w.policyID})
	switch {
	case q.NoRoute():
		w.subsidyNote = "subsidy quotes skipped: POST /subsidies/quote is not routed by this build"
		return nil
	case q.Status != 200:
		w.subsidyNote = "subsidy quotes skipped: a quote answered " + q.Brief()
		return nil
	}
	w.subsidy = true
	return nil
}

func payment(amount int64, voucher string, after time.Time) map[string]any {
	at := time.Now().UTC().Add(-time.Minute)
	if at.Before(after) {
		at = after
	}
	return map[string]any{"amount_fen": amount, "paid_at": at.Format(time.RFC3339), "voucher_no": voucher}
}

func registration(no string) map[string]any {
	return map[string]any{"registration_no": no, "registered_at": time.Now().UTC().Add(-time.Second).Format(time.RFC3339)}
}

// ── the workload ────────────────────────────────────────────────────────
