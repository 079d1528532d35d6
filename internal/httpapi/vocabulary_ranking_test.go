package httpapi_test

import (
	"context"
	"slices"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func hitIDs(e *apptest.Env, path string) []string {
	var ids []string
	for _, h := range e.Must(200, "GET", path, "", nil).JSON()["hits"].([]any) {
		ids = append(ids, h.(map[string]any)["id"].(string))
	}
	return ids
}

// A synonym group an operator puts reaches search with no reindex, and
// its deletion takes it back (SPEC: operators curate the vocabulary).
func TestSynonymsReachSearch(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); e.Sys.Vocabulary.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })

		uni := e.NewOrg(market.OrgUniversity, true)
		op := e.NewOrg(market.OrgOperator, true)
		body := apptest.Achievement()
		body["title"], body["summary"], body["keywords"], body["industry"] = "螺蛳粉汤料常温保鲜技术", "汤料包常温保存六个月。", []string{"螺蛳粉", "保鲜"}, "light_industry"
		aid := e.Publish("achievements", uni, op, body)
		e.DrainOutbox()
		const q = "/api/v1/search/achievements?q=嗦粉"
		if ids := hitIDs(e, q); slices.Contains(ids, aid) {
			t.Fatalf("嗦粉 finds the listing before any synonym: %v", ids)
		}
		e.Must(201, "PUT", "/api/v1/synonyms/sufen", op.Token, map[string]any{"terms": []string{"嗦粉", "螺蛳粉"}})
		eventually(t, "the group to reach search", func() bool { ids := hitIDs(e, q); return len(ids) > 0 && ids[0] == aid })
		e.Must(204, "DELETE", "/api/v1/synonyms/sufen", op.Token, nil)
		eventually(t, "the deletion to reach search", func() bool { return !slices.Contains(hitIDs(e, q), aid) })
	})
}

// Feedback on one pair moves later rankings the way it says: the
// second-ranked achievement, marked useful while the first is marked not
// useful, comes first, and the reason says why.
func TestMatchFeedbackMovesRanking(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		uni := e.NewOrg(market.OrgUniversity, true)
		op := e.NewOrg(market.OrgOperator, true)
		first := e.Publish("achievements", uni, op, apptest.Achievement())
		other := apptest.Achievement()
		other["title"], other["summary"], other["keywords"] = "铝合金车身结构件轻量化设计", "以铝合金挤压型材实现车身减重。", []string{"铝合金", "轻量化"}
		second := e.Publish("achievements", uni, op, other)
		did := e.Publish("demands", ent, op, apptest.Demand())
		e.DrainOutbox()

		path := "/api/v1/demands/" + did + "/matches"
		order := func() []string {
			var ids []string
			for _, m := range e.Must(200, "GET", path, ent.Token, nil).Items() {
				ids = append(ids, m["id"].(string))
			}
			return ids
		}
		before := order()
		if len(before) < 2 {
			t.Fatalf("matches before feedback: %v", before)
		}
		top, next := before[0], before[1]
		if !slices.Contains([]string{first, second}, top) || !slices.Contains([]string{first, second}, next) {
			t.Fatalf("matches %v, want %s and %s first", before, first, second)
		}
		e.Must(201, "POST", path+"/"+next+"/feedback", ent.Token, map[string]any{"useful": true})
		e.Must(201, "POST", path+"/"+top+"/feedback", ent.Token, map[string]any{"useful": false})
		after := e.Must(200, "GET", path, ent.Token, nil).Items()
		if after[0]["id"] != next {
			t.Fatalf("after feedback: %v, want %s first", after, next)
		}
		if !slices.Contains(after[0]["reasons"].([]any), any("反馈: 有用")) {
			t.Errorf("reasons %v do not say the feedback", after[0]["reasons"])
		}
		// Feedback on someone else's demand changes nothing.
		e.Must(403, "POST", path+"/"+top+"/feedback", uni.Token, map[string]any{"useful": true})
		if again := order(); again[0] != next {
			t.Errorf("a refused feedback moved the ranking: %v", again)
		}
	})
}
