package httpapi_test

import (
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestIntentLifecycle(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		aid := e.Publish("achievements", p.seller, p.opL, apptest.Achievement())
		did := e.Publish("demands", p.buyer, p.opL, apptest.Demand())

		// The buyer is interested in the seller's achievement.
		r := e.Must(201, "POST", "/api/v1/intents", p.buyer.Token, map[string]any{"achievement_id": aid, "message": "  希望了解许可费用  "})
		in := r.JSON()
		iid := in["id"].(string)
		if in["status"] != "pending" || in["from_org_id"] != p.buyer.ID || in["to_org_id"] != p.seller.ID ||
			in["achievement_id"] != aid || in["message"] != "希望了解许可费用" || in["item_title"] == "" {
			t.Fatalf("created: %s", r.Body)
		}
		// One pending intent per org and item.
		r = e.Must(409, "POST", "/api/v1/intents", p.buyer.Token, map[string]any{"achievement_id": aid, "message": "再问一次"})
		if !strings.Contains(r.Str("detail"), iid) {
			t.Fatalf("duplicate does not name the pending intent: %s", r.Body)
		}
		// The seller answers the buyer's demand too.
		rid := e.Must(201, "POST", "/api/v1/intents", p.seller.Token, map[string]any{"demand_id": did, "message": "我们有现成方案"}).Str("id")

		// Both sides list theirs.
		ids := func(token, query string) []string {
			var out []string
			for _, it := range e.Must(200, "GET", "/api/v1/intents?"+query, token, nil).Items() {
				out = append(out, it["id"].(string))
			}
			return out
		}
		if got := ids(p.buyer.Token, "role=sent"); len(got) != 1 || got[0] != iid {
			t.Fatalf("buyer sent: %v", got)
		}
		if got := ids(p.buyer.Token, "role=received"); len(got) != 1 || got[0] != rid {
			t.Fatalf("buyer received: %v", got)
		}
		if got := ids(p.seller.Token, ""); len(got) != 2 {
			t.Fatalf("seller, both roles: %v", got)
		}
		if got := ids(p.outsider.Token, ""); len(got) != 0 {
			t.Fatalf("outsider sees intents: %v", got)
		}
		// Only the two parties read an intent.
		e.Must(200, "GET", "/api/v1/intents/"+iid, p.seller.Token, nil)
		e.Must(200, "GET", "/api/v1/intents/"+iid, p.buyer.Token, nil)
		e.Must(404, "GET", "/api/v1/intents/"+iid, p.outsider.Token, nil)
		e.Must(404, "GET", "/api/v1/intents/"+iid, p.opL.Token, nil)

		// Only the owner of the item decides.
		e.Must(403, "POST", "/api/v1/intents/"+iid+"/accept", p.buyer.Token, nil)
		e.Must(404, "POST", "/api/v1/intents/"+iid+"/accept", p.outsider.Token, nil)
		acc := e.Must(200, "POST", "/api/v1/intents/"+iid+"/accept", p.seller.Token, "{}").JSON()
		if acc["status"] != "accepted" || acc["decided_at"] == nil {
			t.Fatalf("accepted: %v", acc)
		}
		r = e.Must(409, "POST", "/api/v1/intents/"+iid+"/decline", p.seller.Token, map[string]string{"reason_code": "price"})
		if !strings.Contains(r.Str("detail"), "accepted") {
			t.Fatalf("conflict does not name the state: %s", r.Body)
		}
		// Decline with a reason; "other" must say why.
		e.Must(422, "POST", "/api/v1/intents/"+rid+"/decline", p.buyer.Token, map[string]string{"reason_code": "other"})
		e.Must(422, "POST", "/api/v1/intents/"+rid+"/decline", p.buyer.Token, map[string]string{"reason_code": "busy"})
		dec := e.Must(200, "POST", "/api/v1/intents/"+rid+"/decline", p.buyer.Token,
			map[string]string{"reason_code": "capacity", "reason": "今年产能已满"}).JSON()
		if dec["status"] != "declined" || dec["reason_code"] != "capacity" || dec["reason"] != "今年产能已满" {
			t.Fatalf("declined: %v", dec)
		}
		if got := ids(p.seller.Token, "status=declined"); len(got) != 1 || got[0] != rid {
			t.Fatalf("status filter: %v", got)
		}
		// A decided intent frees the slot for a new one.
		e.Must(201, "POST", "/api/v1/intents", p.seller.Token, map[string]any{"demand_id": did, "message": "明年再谈"})

		var actions []string
		for _, ev := range e.Must(200, "GET", "/api/v1/audit?entity=intent", e.AdminToken, nil).Items() {
			actions = append(actions, ev["action"].(string))
		}
		if got := strings.Join(actions, ","); got != "create,create,accept,decline,create" {
			t.Fatalf("audit: %s", got)
		}
	})
}

func TestIntentRules(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		aid := e.Publish("achievements", p.seller, p.opL, apptest.Achievement())
		draft := e.Must(201, "POST", "/api/v1/achievements", p.seller.Token, apptest.Achievement()).Str("id")
		unverified := e.NewOrg(market.OrgEnterprise, false)
		before := count(t, e, "intents", "")

		cases := []struct {
			name   string
			token  string
			body   any
			status int
			field  string
		}{
			{"own item", p.seller.Token, map[string]any{"achievement_id": aid, "message": "自己"}, 422, "achievement_id"},
			{"draft of another org", p.buyer.Token, map[string]any{"achievement_id": draft, "message": "草稿"}, 404, ""},
			{"no such item", p.buyer.Token, map[string]any{"demand_id": aid, "message": "不是需求"}, 404, ""},
			{"both items", p.buyer.Token, map[string]any{"achievement_id": aid, "demand_id": aid, "message": "两个"}, 422, "demand_id"},
			{"no item", p.buyer.Token, map[string]any{"message": "没有"}, 422, "achievement_id"},
			{"no message", p.buyer.Token, map[string]any{"achievement_id": aid}, 422, "message"},
			{"unknown field", p.buyer.Token, map[string]any{"achievement_id": aid, "message": "x", "price": 1}, 422, "price"},
			{"operator", p.opL.Token, map[string]any{"achievement_id": aid, "message": "运营方"}, 403, ""},
			{"bureau", p.gov.Token, map[string]any{"achievement_id": aid, "message": "科技局"}, 403, ""},
			{"unverified org", unverified.Token, map[string]any{"achievement_id": aid, "message": "未认证"}, 403, ""},
			{"anonymous", "", map[string]any{"achievement_id": aid, "message": "匿名"}, 401, ""},
			{"not JSON", p.buyer.Token, "{", 400, ""},
		}
		for _, c := range cases {
			r := e.Do("POST", "/api/v1/intents", c.token, c.body)
			if r.Status != c.status || (c.field != "" && !strings.Contains(string(r.Body), `"field":"`+c.field+`"`)) {
				t.Errorf("%s: %d %s, want %d naming %q", c.name, r.Status, r.Body, c.status, c.field)
			}
		}
		if n := count(t, e, "intents", ""); n != before {
			t.Fatalf("refused intents stored: %d, want %d", n, before)
		}
		e.Must(422, "GET", "/api/v1/intents?role=both", p.buyer.Token, nil)
		e.Must(422, "GET", "/api/v1/intents?status=maybe", p.buyer.Token, nil)
		e.Must(404, "POST", "/api/v1/intents/01HZZZZZZZZZZZZZZZZZZZZZZZ/accept", p.seller.Token, nil)
	})
}
