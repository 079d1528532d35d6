package httpapi_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type synonymGroup struct {
	ID        string    `json:"id"`
	Terms     []string  `json:"terms"`
	UpdatedAt time.Time `json:"updated_at"`
}

func asGroup(t *testing.T, r *apptest.Response) synonymGroup {
	t.Helper()
	var g synonymGroup
	if err := json.Unmarshal(r.Body, &g); err != nil {
		t.Fatalf("decode group: %v: %s", err, r.Body)
	}
	return g
}

func listGroups(t *testing.T, e *apptest.Env, token string) []synonymGroup {
	t.Helper()
	var out struct {
		Items []synonymGroup `json:"items"`
	}
	r := e.Must(200, "GET", "/api/v1/synonyms", token, nil)
	if err := json.Unmarshal(r.Body, &out); err != nil || out.Items == nil {
		t.Fatalf("list: %v: %s", err, r.Body)
	}
	return out.Items
}

// auditOf returns "action entity_id by actor_org_id" of every event of
// entity, oldest first, as the audit API lists them.
func auditOf(t *testing.T, e *apptest.Env, entity string) []string {
	t.Helper()
	var out []string
	for _, ev := range e.Must(200, "GET", "/api/v1/audit?limit=100&entity="+entity, e.AdminToken, nil).Items() {
		out = append(out, ev["action"].(string)+" "+ev["entity_id"].(string)+" by "+ev["actor_org_id"].(string))
	}
	return out
}

func vocabularyVersion(t *testing.T, e *apptest.Env) int64 {
	t.Helper()
	v, err := e.Sys.Vocab.VocabularyVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// An operator creates, replaces, lists and deletes synonym groups; each
// change is audited as synonym_group and bumps the version.
func TestSynonymsCRUD(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		op := e.NewOrg(market.OrgOperator, true)
		if got := listGroups(t, e, op.Token); len(got) != 0 {
			t.Fatalf("fresh vocabulary: %+v", got)
		}
		g := asGroup(t, e.Must(201, "PUT", "/api/v1/synonyms/lightweight", op.Token, map[string]any{"terms": []string{" 轻量化 ", "减重"}}))
		if g.ID != "lightweight" || !slices.Equal(g.Terms, []string{"轻量化", "减重"}) || g.UpdatedAt.IsZero() {
			t.Fatalf("created %+v", g)
		}
		g = asGroup(t, e.Must(200, "PUT", "/api/v1/synonyms/lightweight", op.Token, map[string]any{"terms": []string{"轻量化", "减重", "减轻重量"}}))
		if len(g.Terms) != 3 {
			t.Fatalf("replaced %+v", g)
		}
		e.Must(201, "PUT", "/api/v1/synonyms/cfrp", op.Token, map[string]any{"terms": []string{"ＣＦＲＰ", "碳纤维"}})
		got := listGroups(t, e, op.Token)
		if len(got) != 2 || got[0].ID != "cfrp" || got[1].ID != "lightweight" || !slices.Equal(got[1].Terms, g.Terms) ||
			!slices.Equal(got[0].Terms, []string{"ＣＦＲＰ", "碳纤维"}) {
			t.Fatalf("list %+v", got)
		}
		if r := e.Must(204, "DELETE", "/api/v1/synonyms/cfrp", op.Token, nil); len(r.Body) != 0 {
			t.Fatalf("204 with a body: %s", r.Body)
		}
		if r := e.Must(404, "DELETE", "/api/v1/synonyms/cfrp", op.Token, nil); !strings.Contains(r.Str("detail"), "cfrp") {
			t.Fatalf("404 does not name the group: %s", r.Body)
		}
		if got := listGroups(t, e, op.Token); len(got) != 1 || got[0].ID != "lightweight" {
			t.Fatalf("list after delete %+v", got)
		}
		by := " by " + op.ID
		want := []string{"create lightweight" + by, "update lightweight" + by, "create cfrp" + by, "delete cfrp" + by}
		if got := auditOf(t, e, "synonym_group"); !slices.Equal(got, want) {
			t.Fatalf("audit %q, want %q", got, want)
		}
		if v := vocabularyVersion(t, e); v != 4 {
			t.Fatalf("version %d after four changes", v)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit chain: %v", v)
		}
	})
}

// Others than operators are refused, invalid bodies are 422s naming the
// field, and none of it changes the vocabulary or writes an event.
func TestSynonymsRefusals(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		op := e.NewOrg(market.OrgOperator, true)
		ent := e.NewOrg(market.OrgEnterprise, true)
		gov := e.NewOrg(market.OrgGovernment, true)
		e.Must(201, "PUT", "/api/v1/synonyms/lightweight", op.Token, map[string]any{"terms": []string{"轻量化", "减重"}})
		version, events := vocabularyVersion(t, e), count(t, e, "audit_events", "")
		body := map[string]any{"terms": []string{"甲", "乙"}}
		for _, who := range []struct {
			name, token string
			status      int
		}{{"enterprise", ent.Token, 403}, {"bureau", gov.Token, 403}, {"anonymous", "", 401}} {
			for _, req := range []struct{ method, path string }{
				{"GET", "/api/v1/synonyms"}, {"PUT", "/api/v1/synonyms/lightweight"}, {"PUT", "/api/v1/synonyms/other"},
				{"DELETE", "/api/v1/synonyms/lightweight"},
			} {
				if r := e.Do(req.method, req.path, who.token, body); r.Status != who.status {
					t.Errorf("%s %s as %s: %d, want %d: %s", req.method, req.path, who.name, r.Status, who.status, r.Body)
				}
			}
		}
		for _, c := range []struct {
			name, id string
			body     any
			field    string
		}{
			{"one term", "lightweight", map[string]any{"terms": []string{"轻量化"}}, "terms"},
			{"no terms", "lightweight", map[string]any{}, "terms"},
			{"null terms", "lightweight", `{"terms": null}`, "terms"},
			{"terms not a list", "lightweight", map[string]any{"terms": "轻量化,减重"}, "terms"},
			{"a term not a string", "lightweight", `{"terms": ["轻量化", 7]}`, "terms"},
			{"duplicate by width and case", "lightweight", map[string]any{"terms": []string{"cfrp", "轻量化", "ＣＦＲＰ"}}, "terms[2]"},
			{"comma in a term", "lightweight", map[string]any{"terms": []string{"轻量化", "减重，降重"}}, "terms[1]"},
			{"blank term", "lightweight", map[string]any{"terms": []string{"轻量化", " "}}, "terms[1]"},
			{"long term", "lightweight", map[string]any{"terms": []string{"轻量化", strings.Repeat("重", 41)}}, "terms[1]"},
			{"31 terms", "lightweight", map[string]any{"terms": manyTerms(31)}, "terms"},
			{"unknown field", "lightweight", map[string]any{"terms": []string{"甲", "乙"}, "label": "x"}, "label"},
			{"upper-case id", "Lightweight", body, "id"},
			{"65-character id", strings.Repeat("a", 65), body, "id"},
			{"chinese id", "轻量化", body, "id"},
		} {
			path := "/api/v1/synonyms/" + c.id
			mustField(t, e.Do("PUT", path, op.Token, c.body), 422, c.field)
		}
		if r := e.Do("PUT", "/api/v1/synonyms/lightweight", op.Token, `{"terms": [`); r.Status != 400 {
			t.Errorf("broken JSON: %d %s", r.Status, r.Body)
		}
		if v := vocabularyVersion(t, e); v != version {
			t.Errorf("version %d after refusals, want %d", v, version)
		}
		if n := count(t, e, "audit_events", ""); n != events {
			t.Errorf("%d audit events after refusals, want %d", n, events)
		}
		if got := listGroups(t, e, op.Token); len(got) != 1 || !slices.Equal(got[0].Terms, []string{"轻量化", "减重"}) {
			t.Errorf("vocabulary after refusals: %+v", got)
		}
	})
}

func manyTerms(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Repeat("词", i%40+1) + string(rune('a'+i/40))
	}
	return out
}

type feedback struct {
	ID         string    `json:"id"`
	SourceKind string    `json:"source_kind"`
	SourceID   string    `json:"source_id"`
	TargetID   string    `json:"target_id"`
	Useful     bool      `json:"useful"`
	OrgID      string    `json:"org_id"`
	UserID     string    `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
}

func asFeedback(t *testing.T, r *apptest.Response) feedback {
	t.Helper()
	var f feedback
	if err := json.Unmarshal(r.Body, &f); err != nil {
		t.Fatalf("decode feedback: %v: %s", err, r.Body)
	}
	return f
}

// matchWorld is an enterprise with a published demand, a university with
// a published achievement, another enterprise and an operator.
type matchWorld struct {
	ent, univ, other, op apptest.Org
	demand, achievement  string
}

func newMatchWorld(e *apptest.Env) matchWorld {
	e.T.Helper()
	w := matchWorld{ent: e.NewOrg(market.OrgEnterprise, true), univ: e.NewOrg(market.OrgUniversity, true),
		other: e.NewOrg(market.OrgEnterprise, true), op: e.NewOrg(market.OrgOperator, true)}
	w.demand = e.Publish("demands", w.ent, w.op, apptest.Demand())
	w.achievement = e.Publish("achievements", w.univ, w.op, apptest.Achievement())
	return w
}

func signalsOf(t *testing.T, e *apptest.Env, kind market.ItemKind, id string) map[string]market.PairSignal {
	t.Helper()
	s, err := e.Sys.Feedback.MatchSignals(context.Background(), kind, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The demand's owner and an operator judge a match, the university judges
// it from its achievement; a second feedback of an org replaces its first.
// Feedback from both sides counts for the pair.
func TestMatchFeedbackByOwnerAndOperator(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		w := newMatchWorld(e)
		path := "/api/v1/demands/" + w.demand + "/matches/" + w.achievement + "/feedback"
		first := asFeedback(t, e.Must(201, "POST", path, w.ent.Token, map[string]any{"useful": true}))
		if first.SourceKind != "demand" || first.SourceID != w.demand || first.TargetID != w.achievement || !first.Useful ||
			first.OrgID != w.ent.ID || first.UserID == "" || first.ID == "" || first.CreatedAt.IsZero() {
			t.Fatalf("feedback %+v", first)
		}
		second := asFeedback(t, e.Must(201, "POST", path, w.ent.Token, map[string]any{"useful": false}))
		if second.ID != first.ID || second.Useful {
			t.Fatalf("second feedback %+v, want %s replaced, not useful", second, first.ID)
		}
		if n := count(t, e, "match_feedback", "org_id = ?", w.ent.ID); n != 1 {
			t.Fatalf("%d rows of the owner after a replacement", n)
		}
		byOp := asFeedback(t, e.Must(201, "POST", path, w.op.Token, map[string]any{"useful": true}))
		if byOp.OrgID != w.op.ID || byOp.ID == first.ID {
			t.Fatalf("operator's feedback %+v", byOp)
		}
		fromA := asFeedback(t, e.Must(201, "POST", "/api/v1/achievements/"+w.achievement+"/matches/"+w.demand+"/feedback",
			w.univ.Token, map[string]any{"useful": true}))
		if fromA.SourceKind != "achievement" || fromA.TargetID != w.demand || fromA.OrgID != w.univ.ID {
			t.Fatalf("feedback from the achievement %+v", fromA)
		}
		want := market.PairSignal{Useful: 2, NotUseful: 1}
		if got := signalsOf(t, e, market.KindDemand, w.demand); !maps.Equal(got, map[string]market.PairSignal{w.achievement: want}) {
			t.Fatalf("signals of the demand: %+v", got)
		}
		if got := signalsOf(t, e, market.KindAchievement, w.achievement); !maps.Equal(got, map[string]market.PairSignal{w.demand: want}) {
			t.Fatalf("signals of the achievement: %+v", got)
		}
		audit := auditOf(t, e, "match_feedback")
		if want := []string{"create " + first.ID + " by " + w.ent.ID, "update " + first.ID + " by " + w.ent.ID,
			"create " + byOp.ID + " by " + w.op.ID, "create " + fromA.ID + " by " + w.univ.ID}; !slices.Equal(audit, want) {
			t.Fatalf("audit %q, want %q", audit, want)
		}
	})
}

// Feedback on unknown items, on someone else's demand, on a draft, or
// with a bad body is refused, and nothing is written.
func TestMatchFeedbackRefusals(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		w := newMatchWorld(e)
		draft := e.Must(201, "POST", "/api/v1/demands", w.ent.Token, apptest.Demand()).Str("id")
		otherDemand := e.Publish("demands", w.other, w.op, apptest.Demand())
		path := func(demand, achievement string) string {
			return "/api/v1/demands/" + demand + "/matches/" + achievement + "/feedback"
		}
		yes := map[string]any{"useful": true}
		rows, events := count(t, e, "match_feedback", ""), count(t, e, "audit_events", "")
		for _, c := range []struct {
			name, token, path string
			body              any
			status            int
			field             string
		}{
			{"someone else's demand", w.other.Token, path(w.demand, w.achievement), yes, 403, ""},
			{"the university on the demand", w.univ.Token, path(w.demand, w.achievement), yes, 403, ""},
			{"anonymous", "", path(w.demand, w.achievement), yes, 401, ""},
			{"unknown demand", w.ent.Token, path("01NOSUCHDEMAND000000000000", w.achievement), yes, 404, "id"},
			{"unknown achievement", w.ent.Token, path(w.demand, "01NOSUCHACHIEVEMENT0000000"), yes, 404, "achievement_id"},
			{"a demand as the achievement", w.ent.Token, path(w.demand, otherDemand), yes, 404, "achievement_id"},
			{"a draft demand", w.ent.Token, path(draft, w.achievement), yes, 409, ""},
			{"no useful", w.ent.Token, path(w.demand, w.achievement), map[string]any{}, 422, "useful"},
			{"null useful", w.ent.Token, path(w.demand, w.achievement), `{"useful": null}`, 422, "useful"},
			{"useful not a boolean", w.ent.Token, path(w.demand, w.achievement), map[string]any{"useful": "yes"}, 422, "useful"},
			{"unknown field", w.ent.Token, path(w.demand, w.achievement), map[string]any{"useful": true, "score": 5}, 422, "score"},
			{"not JSON", w.ent.Token, path(w.demand, w.achievement), "useful=true", 400, ""},
		} {
			r := e.Do("POST", c.path, c.token, c.body)
			if r.Status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.status, r.Body)
				continue
			}
			if c.field != "" && !slices.Equal(fieldsOf(r), []string{c.field}) {
				t.Errorf("%s: fields %v, want %s: %s", c.name, fieldsOf(r), c.field, r.Body)
			}
		}
		if n := count(t, e, "match_feedback", ""); n != rows {
			t.Errorf("%d feedback rows after refusals, want %d", n, rows)
		}
		if n := count(t, e, "audit_events", ""); n != events {
			t.Errorf("%d audit events after refusals, want %d", n, events)
		}
	})
}

// MatchSignals links the pairs that an accepted intent and a signed deal
// made through the API join, from both sides, with the feedback given on
// them; a pending intent and a cancelled deal link nothing.
func TestMatchSignalsFromIntentsAndTransactions(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		w := newMatchWorld(e)
		bought := e.Publish("achievements", w.univ, w.op, apptest.Achievement())
		pending := e.Publish("achievements", w.univ, w.op, apptest.Achievement())
		dropped := e.Publish("achievements", w.univ, w.op, apptest.Achievement())

		// The enterprise's intent on the achievement, accepted by the
		// university; another, on pending, still waiting.
		in := e.Must(201, "POST", "/api/v1/intents", w.ent.Token, map[string]string{"achievement_id": w.achievement, "message": "希望洽谈转让"}).Str("id")
		e.Must(200, "POST", "/api/v1/intents/"+in+"/accept", w.univ.Token, nil)
		e.Must(201, "POST", "/api/v1/intents", w.ent.Token, map[string]string{"achievement_id": pending, "message": "了解一下"})

		// The operator logs the enterprise buying bought (no demand named),
		// and a deal on dropped that is then cancelled.
		deal := func(achievement string) string {
			return e.Must(201, "POST", "/api/v1/transactions", w.op.Token, map[string]any{
				"market": market.MarketLiuzhou, "channel": market.ChannelOffline, "contract_type": "transfer",
				"contract_no": uniqueNo("HT"), "title": "技术转让合同", "buyer_org_id": w.ent.ID, "seller_org_id": w.univ.ID,
				"achievement_id": achievement, "contract_amount_fen": 1_000_000, "tech_amount_fen": 800_000,
				"signed_at": instant(time.Now().Add(-48 * time.Hour)),
			}).Str("id")
		}
		deal(bought)
		e.Must(200, "POST", "/api/v1/transactions/"+deal(dropped)+"/cancel", w.op.Token, map[string]string{"reason": "双方解除合同"})
		e.Must(201, "POST", "/api/v1/demands/"+w.demand+"/matches/"+bought+"/feedback", w.ent.Token, map[string]any{"useful": true})

		want := map[string]market.PairSignal{
			w.achievement: {AcceptedIntent: true},
			bought:        {Useful: 1, SignedDeal: true},
		}
		if got := signalsOf(t, e, market.KindDemand, w.demand); !maps.Equal(got, want) {
			t.Fatalf("signals of the demand: %+v, want %+v", got, want)
		}
		for id, s := range map[string]market.PairSignal{w.achievement: {AcceptedIntent: true}, bought: {Useful: 1, SignedDeal: true}} {
			if got := signalsOf(t, e, market.KindAchievement, id); !maps.Equal(got, map[string]market.PairSignal{w.demand: s}) {
				t.Errorf("signals of achievement %s: %+v, want %+v for the demand", id, got, s)
			}
		}
		for _, id := range []string{pending, dropped} {
			if got := signalsOf(t, e, market.KindAchievement, id); len(got) != 0 {
				t.Errorf("signals of achievement %s: %+v, want none", id, got)
			}
		}
		// Another enterprise's demand shares none of it.
		otherDemand := e.Publish("demands", w.other, w.op, apptest.Demand())
		if got := signalsOf(t, e, market.KindDemand, otherDemand); len(got) != 0 {
			t.Errorf("signals of another org's demand: %+v", got)
		}
	})
}
