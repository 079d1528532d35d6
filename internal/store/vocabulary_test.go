package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

func vocabVersion(t *testing.T, db *store.DB) int64 {
	t.Helper()
	v, err := store.NewVocabularyService(db).VocabularyVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// auditTrail returns "action entity/id" of every event of entity, in
// chain order.
func auditTrail(t *testing.T, db *store.DB, entity string) []string {
	t.Helper()
	rows, err := db.SQL().Query("SELECT action, entity_id, actor_org_id FROM audit_events WHERE entity = ? ORDER BY seq", entity)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var action, id, org string
		if err := rows.Scan(&action, &id, &org); err != nil {
			t.Fatal(err)
		}
		out = append(out, action+" "+id+" by "+org)
	}
	return out
}

// Operators create, replace, list and delete groups; every change bumps
// the version and is audited in its own transaction, and the chain holds.
func TestVocabularyPutListDelete(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		op := storetest.MustCreateOrg(t, db, market.OrgOperator, true)
		if v := vocabVersion(t, db); v != 0 {
			t.Fatalf("fresh version %d", v)
		}
		g, created, err := store.NewVocabularyService(db).PutSynonymGroup(op.Ctx, "lightweight", []string{" 轻量化 ", "减重"})
		if err != nil || !created {
			t.Fatalf("create: %v created=%v", err, created)
		}
		if !slices.Equal(g.Terms, []string{"轻量化", "减重"}) || g.ID != "lightweight" || g.UpdatedAt.IsZero() {
			t.Fatalf("created group %+v", g)
		}
		// A 64-character id fits everywhere it is written, the audit trail too.
		long := strings.Repeat("x", 64)
		if _, created, err := store.NewVocabularyService(db).PutSynonymGroup(op.Ctx, long, []string{"ＣＦＲＰ", "碳纤维"}); err != nil || !created {
			t.Fatalf("create %s: %v", long, err)
		}
		g, created, err = store.NewVocabularyService(db).PutSynonymGroup(op.Ctx, "lightweight", []string{"轻量化", "减重", "减轻重量"})
		if err != nil || created {
			t.Fatalf("replace: %v created=%v", err, created)
		}
		if v := vocabVersion(t, db); v != 3 {
			t.Fatalf("version %d after three puts", v)
		}
		list, err := store.NewVocabularyService(db).ListSynonymGroups(op.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != "lightweight" || list[1].ID != long ||
			!slices.Equal(list[0].Terms, []string{"轻量化", "减重", "减轻重量"}) || !list[0].UpdatedAt.Equal(g.UpdatedAt) {
			t.Fatalf("list %+v", list)
		}
		if err := store.NewVocabularyService(db).DeleteSynonymGroup(op.Ctx, long); err != nil {
			t.Fatal(err)
		}
		if v := vocabVersion(t, db); v != 4 {
			t.Fatalf("version %d after a delete", v)
		}
		wantCode(t, "delete again", store.NewVocabularyService(db).DeleteSynonymGroup(op.Ctx, long), market.ENOTFOUND)
		if v := vocabVersion(t, db); v != 4 {
			t.Fatalf("a refused delete bumped the version to %d", v)
		}
		by := " by " + op.ID
		want := []string{"create lightweight" + by, "create " + long + by, "update lightweight" + by, "delete " + long + by}
		if got := auditTrail(t, db, "synonym_group"); !slices.Equal(got, want) {
			t.Fatalf("audit %q, want %q", got, want)
		}
		if v, err := store.NewAuditService(db).VerifyAudit(storetest.Admin()); err != nil || !v.OK {
			t.Fatalf("verify: %+v %v", v, err)
		}
		// The update event keeps the terms before and after.
		var before, after string
		if err := db.SQL().QueryRow("SELECT before_json, after_json FROM audit_events WHERE entity = 'synonym_group' AND action = 'update'").
			Scan(&before, &after); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(before, `"terms":["轻量化","减重"]`) || !strings.Contains(after, "减轻重量") {
			t.Fatalf("update event before %s after %s", before, after)
		}
	})
}

// Refusals (not an operator, invalid terms) write nothing: no group, no
// version bump, no audit event.
func TestVocabularyRefusalsWriteNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		op := storetest.MustCreateOrg(t, db, market.OrgOperator, true)
		ent := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		gov := storetest.MustCreateOrg(t, db, market.OrgGovernment, true)
		if _, _, err := store.NewVocabularyService(db).PutSynonymGroup(op.Ctx, "g1", []string{"甲", "乙"}); err != nil {
			t.Fatal(err)
		}
		events := storetest.Count(t, db, "audit_events", "")
		for _, ctx := range []context.Context{ent.Ctx, gov.Ctx, context.Background()} {
			_, _, err := store.NewVocabularyService(db).PutSynonymGroup(ctx, "g2", []string{"丙", "丁"})
			wantCode(t, "put by a non-operator", err, market.EFORBIDDEN)
			wantCode(t, "delete by a non-operator", store.NewVocabularyService(db).DeleteSynonymGroup(ctx, "g1"), market.EFORBIDDEN)
			_, err = store.NewVocabularyService(db).ListSynonymGroups(ctx)
			wantCode(t, "list by a non-operator", err, market.EFORBIDDEN)
		}
		for _, c := range []struct {
			id    string
			terms []string
		}{{"g1", []string{"甲"}}, {"g1", []string{"甲", "甲 "}}, {"G1", []string{"甲", "乙"}}, {"g1", []string{"甲", "a,b"}}} {
			_, _, err := store.NewVocabularyService(db).PutSynonymGroup(op.Ctx, c.id, c.terms)
			wantCode(t, fmt.Sprintf("put %s %q", c.id, c.terms), err, market.EINVALID)
		}
		if v := vocabVersion(t, db); v != 1 {
			t.Fatalf("version %d after refusals", v)
		}
		if n := storetest.Count(t, db, "audit_events", ""); n != events {
			t.Fatalf("%d audit events after refusals, want %d", n, events)
		}
		list, err := store.NewVocabularyService(db).ListSynonymGroups(storetest.Admin())
		if err != nil || len(list) != 1 || !slices.Equal(list[0].Terms, []string{"甲", "乙"}) {
			t.Fatalf("groups after refusals: %+v %v", list, err)
		}
	})
}

// Concurrent puts, several of one new id, all succeed and take turns: one
// creates each id, the rest replace, and the version counts every change.
func TestVocabularyConcurrentPuts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		op := storetest.MustCreateOrg(t, db, market.OrgOperator, true)
		const writers = 12
		var wg sync.WaitGroup
		var mu sync.Mutex
		creates := map[string]int{}
		errs := make(chan error, writers)
		for i := range writers {
			wg.Go(func() {
				id := fmt.Sprintf("g%d", i%3)
				_, created, err := store.NewVocabularyService(db).PutSynonymGroup(op.Ctx, id, []string{"词", fmt.Sprintf("词%d", i)})
				if err != nil {
					errs <- err
					return
				}
				if created {
					mu.Lock()
					creates[id]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(creates) != 3 || creates["g0"] != 1 || creates["g1"] != 1 || creates["g2"] != 1 {
			t.Fatalf("creates %v, want one per id", creates)
		}
		if v := vocabVersion(t, db); v != writers {
			t.Fatalf("version %d, want %d", v, writers)
		}
	})
}

// feedbackWorld is two enterprises with a demand each, two universities
// with achievements, and an operator.
type feedbackWorld struct {
	op, e1, e2, u1, u2 storetest.Org
	d1, d2, a1, a2, a3 *market.Item
}

func newFeedbackWorld(t *testing.T, db *store.DB) feedbackWorld {
	t.Helper()
	w := feedbackWorld{
		op: storetest.MustCreateOrg(t, db, market.OrgOperator, true),
		e1: storetest.MustCreateOrg(t, db, market.OrgEnterprise, true),
		e2: storetest.MustCreateOrg(t, db, market.OrgEnterprise, true),
		u1: storetest.MustCreateOrg(t, db, market.OrgUniversity, true),
		u2: storetest.MustCreateOrg(t, db, market.OrgUniversity, true),
	}
	w.d1 = storetest.MustPublish(t, db, w.e1.Ctx, w.op.Ctx, market.KindDemand, storetest.Demand())
	w.d2 = storetest.MustPublish(t, db, w.e2.Ctx, w.op.Ctx, market.KindDemand, storetest.Demand())
	w.a1 = storetest.MustPublish(t, db, w.u1.Ctx, w.op.Ctx, market.KindAchievement, storetest.Achievement())
	w.a2 = storetest.MustPublish(t, db, w.u1.Ctx, w.op.Ctx, market.KindAchievement, storetest.Achievement())
	w.a3 = storetest.MustPublish(t, db, w.u2.Ctx, w.op.Ctx, market.KindAchievement, storetest.Achievement())
	return w
}

func signals(t *testing.T, db *store.DB, kind market.ItemKind, id string) map[string]market.PairSignal {
	t.Helper()
	s, err := store.NewFeedbackService(db).MatchSignals(context.Background(), kind, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Feedback by the owner and by an operator is kept per org; a second
// feedback of the same org on the same pair replaces the first, and
// feedback from either side counts for the pair.
func TestMatchFeedback(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		w := newFeedbackWorld(t, db)
		first, err := store.NewFeedbackService(db).RecordMatchFeedback(w.e1.Ctx, market.KindDemand, w.d1.ID, w.a1.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if first.OrgID != w.e1.ID || first.UserID != w.e1.Admin.ID || !first.Useful || first.SourceKind != market.KindDemand ||
			first.SourceID != w.d1.ID || first.TargetID != w.a1.ID || first.CreatedAt.IsZero() {
			t.Fatalf("feedback %+v", first)
		}
		second, err := store.NewFeedbackService(db).RecordMatchFeedback(w.e1.Ctx, market.KindDemand, w.d1.ID, w.a1.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if second.ID != first.ID || second.Useful {
			t.Fatalf("second feedback %+v, want the first's id %s, not useful", second, first.ID)
		}
		if n := storetest.Count(t, db, "match_feedback", ""); n != 1 {
			t.Fatalf("%d feedback rows after a replacement", n)
		}
		if _, err := store.NewFeedbackService(db).RecordMatchFeedback(w.op.Ctx, market.KindDemand, w.d1.ID, w.a1.ID, true); err != nil {
			t.Fatal(err)
		}
		// The university judges the same pair from its achievement.
		if _, err := store.NewFeedbackService(db).RecordMatchFeedback(w.u1.Ctx, market.KindAchievement, w.a1.ID, w.d1.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := store.NewFeedbackService(db).RecordMatchFeedback(w.e1.Ctx, market.KindDemand, w.d1.ID, w.a3.ID, true); err != nil {
			t.Fatal(err)
		}
		pair := market.PairSignal{Useful: 2, NotUseful: 1}
		if got := signals(t, db, market.KindDemand, w.d1.ID); len(got) != 2 || got[w.a1.ID] != pair || got[w.a3.ID] != (market.PairSignal{Useful: 1}) {
			t.Fatalf("signals of d1: %+v", got)
		}
		if got := signals(t, db, market.KindAchievement, w.a1.ID); len(got) != 1 || got[w.d1.ID] != pair {
			t.Fatalf("signals of a1: %+v", got)
		}
		if got := signals(t, db, market.KindDemand, w.d2.ID); len(got) != 0 {
			t.Fatalf("signals of d2, which nobody judged: %+v", got)
		}
		by := func(o storetest.Org) string { return " by " + o.ID }
		trail := auditTrail(t, db, "match_feedback")
		if len(trail) != 5 || trail[0] != "create "+first.ID+by(w.e1) || trail[1] != "update "+first.ID+by(w.e1) {
			t.Fatalf("audit %q", trail)
		}
		if v, err := store.NewAuditService(db).VerifyAudit(storetest.Admin()); err != nil || !v.OK {
			t.Fatalf("verify: %+v %v", v, err)
		}
	})
}

// Feedback on unknown items, on another org's demand, on unpublished
// items or an org's own items is refused and writes nothing.
func TestMatchFeedbackRefusals(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		w := newFeedbackWorld(t, db)
		draftA := storetest.MustCreateItem(t, db, w.u1.Ctx, market.KindAchievement, storetest.Achievement())
		draftD := storetest.MustCreateItem(t, db, w.e1.Ctx, market.KindDemand, storetest.Demand())
		ownA := storetest.MustPublish(t, db, w.e1.Ctx, w.op.Ctx, market.KindAchievement, storetest.Achievement())
		rows, events := storetest.Count(t, db, "match_feedback", ""), storetest.Count(t, db, "audit_events", "")
		for _, c := range []struct {
			name           string
			ctx            context.Context
			kind           market.ItemKind
			source, target string
			code, field    string
		}{
			{"unknown source", w.e1.Ctx, market.KindDemand, "01NOSUCHDEMAND000000000000", w.a1.ID, market.ENOTFOUND, "id"},
			{"unknown target", w.e1.Ctx, market.KindDemand, w.d1.ID, "01NOSUCHACHIEVEMENT0000000", market.ENOTFOUND, "achievement_id"},
			{"target of the same kind", w.e1.Ctx, market.KindDemand, w.d1.ID, w.d2.ID, market.ENOTFOUND, "achievement_id"},
			{"source of the other kind", w.e1.Ctx, market.KindDemand, w.a1.ID, w.a1.ID, market.ENOTFOUND, "id"},
			{"someone else's demand", w.e2.Ctx, market.KindDemand, w.d1.ID, w.a1.ID, market.EFORBIDDEN, ""},
			{"someone else's achievement", w.u2.Ctx, market.KindAchievement, w.a1.ID, w.d1.ID, market.EFORBIDDEN, ""},
			{"platform admin", storetest.Admin(), market.KindDemand, w.d1.ID, w.a1.ID, market.EFORBIDDEN, ""},
			{"anonymous", context.Background(), market.KindDemand, w.d1.ID, w.a1.ID, market.EFORBIDDEN, ""},
			{"draft target the owner cannot see", w.e1.Ctx, market.KindDemand, w.d1.ID, draftA.ID, market.ENOTFOUND, "achievement_id"},
			// Drafts stay with their owner (issue 12): an operator does not see one either.
			{"draft target, to an operator", w.op.Ctx, market.KindDemand, w.d1.ID, draftA.ID, market.ENOTFOUND, "achievement_id"},
			{"draft source", w.e1.Ctx, market.KindDemand, draftD.ID, w.a1.ID, market.ECONFLICT, ""},
			{"another's draft source", w.e2.Ctx, market.KindDemand, draftD.ID, w.a1.ID, market.ENOTFOUND, "id"},
			{"own org's achievement", w.e1.Ctx, market.KindDemand, w.d1.ID, ownA.ID, market.EINVALID, "achievement_id"},
		} {
			_, err := store.NewFeedbackService(db).RecordMatchFeedback(c.ctx, c.kind, c.source, c.target, true)
			if market.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
				continue
			}
			if c.field != "" && !slices.Equal(market.FieldNames(err), []string{c.field}) {
				t.Errorf("%s: fields %v, want %s", c.name, market.FieldNames(err), c.field)
			}
		}
		if n := storetest.Count(t, db, "match_feedback", ""); n != rows {
			t.Fatalf("%d feedback rows after refusals, want %d", n, rows)
		}
		if n := storetest.Count(t, db, "audit_events", ""); n != events {
			t.Fatalf("%d audit events after refusals, want %d", n, events)
		}
	})
}

// Accepted intents and signed deals link the right pairs, from both
// sides; pending intents and cancelled deals link none.
func TestMatchSignalsIntentsAndTransactions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		w := newFeedbackWorld(t, db)
		intent := func(from storetest.Org, n market.NewIntent, accept *storetest.Org) {
			t.Helper()
			n.Message = "希望对接"
			in, err := store.NewIntentService(db).CreateIntent(from.Ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if accept != nil {
				if _, err := store.NewIntentService(db).AcceptIntent(accept.Ctx, in.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		// e1 on a1, accepted: (d1, a1). u2 on d2, accepted: (d2, a3).
		// e2 on a2, still pending: nothing.
		intent(w.e1, market.NewIntent{AchievementID: w.a1.ID}, &w.u1)
		intent(w.u2, market.NewIntent{DemandID: w.d2.ID}, &w.e2)
		intent(w.e2, market.NewIntent{AchievementID: w.a2.ID}, nil)

		n := 0
		deal := func(buyer, seller storetest.Org, achievementID, demandID string) *market.Transaction {
			t.Helper()
			n++
			tr, err := store.NewTransactionService(db).CreateTransaction(w.op.Ctx, market.NewTransaction{Market: market.MarketLiuzhou, Channel: market.ChannelOffline,
				ContractType: "transfer", ContractNo: fmt.Sprintf("HT-SIG-%s-%d", dialect, n), Title: "技术转让合同",
				BuyerOrgID: buyer.ID, SellerOrgID: seller.ID, AchievementID: achievementID, DemandID: demandID,
				ContractAmountFen: 1_000_000, TechAmountFen: 800_000, SignedAt: time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
			if err != nil {
				t.Fatal(err)
			}
			return tr
		}
		// e1 bought a2 (no demand named): (d1, a2). e2 bought a3 for d2:
		// (d2, a3). e2's deal on a1 was cancelled: nothing.
		deal(w.e1, w.u1, w.a2.ID, "")
		deal(w.e2, w.u2, w.a3.ID, w.d2.ID)
		gone := deal(w.e2, w.u1, w.a1.ID, "")
		if _, err := store.NewTransactionService(db).CancelTransaction(w.op.Ctx, gone.ID, market.Cancellation{Reason: "双方解除"}); err != nil {
			t.Fatal(err)
		}

		for _, c := range []struct {
			kind market.ItemKind
			id   string
			want map[string]market.PairSignal
		}{
			{market.KindDemand, w.d1.ID, map[string]market.PairSignal{w.a1.ID: {AcceptedIntent: true}, w.a2.ID: {SignedDeal: true}}},
			{market.KindDemand, w.d2.ID, map[string]market.PairSignal{w.a3.ID: {AcceptedIntent: true, SignedDeal: true}}},
			{market.KindAchievement, w.a1.ID, map[string]market.PairSignal{w.d1.ID: {AcceptedIntent: true}}},
			{market.KindAchievement, w.a2.ID, map[string]market.PairSignal{w.d1.ID: {SignedDeal: true}}},
			{market.KindAchievement, w.a3.ID, map[string]market.PairSignal{w.d2.ID: {AcceptedIntent: true, SignedDeal: true}}},
		} {
			if got := signals(t, db, c.kind, c.id); !maps.Equal(got, c.want) {
				t.Errorf("signals of %s %s: %+v, want %+v", c.kind, c.id, got, c.want)
			}
		}
		// A closed item is no candidate any more: its signals go.
		if _, err := store.NewItemService(db).CloseItem(w.u2.Ctx, market.KindAchievement, w.a3.ID); err != nil {
			t.Fatal(err)
		}
		if got := signals(t, db, market.KindDemand, w.d2.ID); len(got) != 0 {
			t.Errorf("signals of d2 after a3 closed: %+v", got)
		}
		_, err := store.NewFeedbackService(db).MatchSignals(context.Background(), market.KindDemand, w.a1.ID)
		wantCode(t, "signals of an achievement asked as a demand", err, market.ENOTFOUND)
	})
}

// First feedbacks of one org on one pair that race leave one row: the
// loser of the insert replaces the winner's.
func TestMatchFeedbackRace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		w := newFeedbackWorld(t, db)
		const writers = 8
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := range writers {
			wg.Go(func() {
				if _, err := store.NewFeedbackService(db).RecordMatchFeedback(w.e1.Ctx, market.KindDemand, w.d1.ID, w.a1.ID, i%2 == 0); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := storetest.Count(t, db, "match_feedback", ""); n != 1 {
			t.Fatalf("%d rows after %d racing feedbacks, want 1", n, writers)
		}
		if n := len(auditTrail(t, db, "match_feedback")); n != writers {
			t.Fatalf("%d audit events, want %d", n, writers)
		}
	})
}
