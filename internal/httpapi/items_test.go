package httpapi_test

import (
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// count returns the number of rows in table matching where.
func count(t *testing.T, e *apptest.Env, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if err := e.Sys.DB.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestItemLifecycle(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		uni := e.NewOrg(market.OrgUniversity, true)
		op := e.NewOrg(market.OrgOperator, true)

		// The enterprise drafts a demand; the public does not see it.
		d := e.Must(201, "POST", "/api/v1/demands", ent.Token, apptest.Demand()).JSON()
		id := d["id"].(string)
		if d["status"] != "draft" || d["org_id"] != ent.ID || d["created_at"] == nil {
			t.Fatalf("created demand: %v", d)
		}
		e.Must(404, "GET", "/api/v1/demands/"+id, "", nil)
		if items := e.Must(200, "GET", "/api/v1/demands", "", nil).Items(); len(items) != 0 {
			t.Fatalf("public list shows a draft: %v", items)
		}
		// The owner lists its own drafts.
		own := e.Must(200, "GET", "/api/v1/demands?org_id="+ent.ID+"&status=draft", ent.Token, nil).Items()
		if len(own) != 1 || own[0]["id"] != id {
			t.Fatalf("own drafts: %v", own)
		}

		// Submit, reject with a reason, edit, resubmit, approve.
		e.Must(200, "POST", "/api/v1/demands/"+id+"/submit", ent.Token, "{}")
		e.Must(409, "POST", "/api/v1/demands/"+id+"/submit", ent.Token, nil)
		r := e.Must(200, "POST", "/api/v1/demands/"+id+"/review", op.Token, map[string]string{"decision": "reject", "reason": "预算不明确"}).JSON()
		if r["status"] != "rejected" || r["rejection_reason"] != "预算不明确" {
			t.Fatalf("rejected: %v", r)
		}
		e.Must(200, "PATCH", "/api/v1/demands/"+id, ent.Token, map[string]any{"budget_max_fen": 60000000})
		e.Must(200, "POST", "/api/v1/demands/"+id+"/submit", ent.Token, nil)
		p := e.Must(200, "POST", "/api/v1/demands/"+id+"/review", op.Token, map[string]string{"decision": "approve"}).JSON()
		if p["status"] != "published" || p["published_at"] == nil || p["budget_max_fen"] != float64(60000000) {
			t.Fatalf("published: %v", p)
		}

		// Public now sees it, without contact; a verified org sees contact.
		pub := e.Must(200, "GET", "/api/v1/demands/"+id, "", nil).JSON()
		if pub["contact"] != nil {
			t.Fatalf("anonymous viewer sees contact: %v", pub["contact"])
		}
		if c := e.Must(200, "GET", "/api/v1/demands/"+id, uni.Token, nil).JSON()["contact"]; c == nil {
			t.Fatal("verified org does not see contact")
		}
		unverified := e.NewOrg(market.OrgUniversity, false)
		if c := e.Must(200, "GET", "/api/v1/demands/"+id, unverified.Token, nil).JSON()["contact"]; c != nil {
			t.Fatal("unverified org sees contact")
		}
		if items := e.Must(200, "GET", "/api/v1/demands?industry=automotive", "", nil).Items(); len(items) != 1 {
			t.Fatalf("public list after publish: %d items", len(items))
		}

		// Editing a published item keeps it published; closing ends it.
		ed := e.Must(200, "PATCH", "/api/v1/demands/"+id, ent.Token, map[string]any{"title": "新的标题：车身减重"}).JSON()
		if ed["status"] != "published" || ed["title"] != "新的标题：车身减重" {
			t.Fatalf("edit published: %v", ed)
		}
		e.Must(200, "POST", "/api/v1/demands/"+id+"/close", ent.Token, nil)
		e.Must(409, "PATCH", "/api/v1/demands/"+id, ent.Token, map[string]any{"title": "再改"})
		if items := e.Must(200, "GET", "/api/v1/demands", "", nil).Items(); len(items) != 0 {
			t.Fatalf("closed item still public: %v", items)
		}

		// Achievements follow the same lifecycle.
		aid := e.Publish("achievements", uni, op, apptest.Achievement())
		a := e.Must(200, "GET", "/api/v1/achievements/"+aid, "", nil).JSON()
		if a["maturity"] != "pilot" || a["summary"] == nil || a["status"] != "published" {
			t.Fatalf("achievement: %v", a)
		}
		// A demand id is not an achievement.
		e.Must(404, "GET", "/api/v1/achievements/"+id, op.Token, nil)

		// Every change is in the audit trail, and the chain holds.
		ev := e.Must(200, "GET", "/api/v1/audit?entity=demand&entity_id="+id, e.AdminToken, nil).Items()
		var actions []string
		for _, x := range ev {
			actions = append(actions, x["action"].(string))
		}
		if got := strings.Join(actions, ","); got != "create,submit,reject,edit,submit,approve,edit,close" {
			t.Fatalf("audit actions: %s", got)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}
	})
}

func TestItemPermissions(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		other := e.NewOrg(market.OrgEnterprise, true)
		uni := e.NewOrg(market.OrgUniversity, true)
		op := e.NewOrg(market.OrgOperator, true)
		id := e.Must(201, "POST", "/api/v1/demands", ent.Token, apptest.Demand()).Str("id")
		before := count(t, e, "audit_events", "")

		// Universities do not post demands; anonymous callers post nothing.
		e.Must(403, "POST", "/api/v1/demands", uni.Token, apptest.Demand())
		e.Must(401, "POST", "/api/v1/demands", "", apptest.Demand())
		// Another org cannot see the draft, edit, submit or close it.
		e.Must(404, "PATCH", "/api/v1/demands/"+id, other.Token, map[string]any{"title": "偷改标题"})
		e.Must(404, "POST", "/api/v1/demands/"+id+"/submit", other.Token, nil)
		// Once published it is visible, but still not theirs to change.
		e.Must(200, "POST", "/api/v1/demands/"+id+"/submit", ent.Token, nil)
		// Owners do not review their own items.
		e.Must(403, "POST", "/api/v1/demands/"+id+"/review", ent.Token, map[string]string{"decision": "approve"})
		e.Must(200, "POST", "/api/v1/demands/"+id+"/review", op.Token, map[string]string{"decision": "approve"})
		e.Must(403, "PATCH", "/api/v1/demands/"+id, other.Token, map[string]any{"title": "偷改标题"})
		e.Must(403, "POST", "/api/v1/demands/"+id+"/close", other.Token, nil)

		var title string
		if err := e.Sys.DB.SQL().QueryRow("SELECT title FROM items WHERE id = ?", id).Scan(&title); err != nil {
			t.Fatal(err)
		}
		if title != apptest.Demand()["title"] {
			t.Fatalf("title changed to %q", title)
		}
		// Only the submit and approve were audited.
		if n := count(t, e, "audit_events", ""); n != before+2 {
			t.Fatalf("audit events: %d, want %d", n, before+2)
		}
		// An unverified org may draft but not submit.
		unv := e.NewOrg(market.OrgEnterprise, false)
		uid := e.Must(201, "POST", "/api/v1/demands", unv.Token, apptest.Demand()).Str("id")
		e.Must(403, "POST", "/api/v1/demands/"+uid+"/submit", unv.Token, nil)
	})
}

func TestItemBadInput(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		items := count(t, e, "items", "")
		cases := []struct {
			name   string
			edit   func(map[string]any)
			status int
			field  string
		}{
			{"unknown field", func(m map[string]any) { m["maturity"] = "pilot" }, 422, "maturity"},
			{"bad industry", func(m map[string]any) { m["industry"] = "mining" }, 422, "industry"},
			{"bad mode", func(m map[string]any) { m["cooperation_modes"] = []string{"gift"} }, 422, "cooperation_modes[0]"},
			{"budget upside down", func(m map[string]any) { m["budget_min_fen"] = 9; m["budget_max_fen"] = 1 }, 422, "budget_max_fen"},
			{"negative budget", func(m map[string]any) { m["budget_min_fen"] = -1 }, 422, "budget_min_fen"},
			{"past deadline", func(m map[string]any) { m["deadline"] = "2001-01-01" }, 422, "deadline"},
			{"bad date", func(m map[string]any) { m["deadline"] = "31/12/2030" }, 422, "deadline"},
			{"wrong type", func(m map[string]any) { m["budget_min_fen"] = "lots" }, 422, "budget_min_fen"},
			{"missing title", func(m map[string]any) { delete(m, "title") }, 422, "title"},
			{"bad region", func(m map[string]any) { m["region_code"] = "4502" }, 422, "region_code"},
		}
		for _, c := range cases {
			body := apptest.Demand()
			c.edit(body)
			r := e.Do("POST", "/api/v1/demands", ent.Token, body)
			if r.Status != c.status || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: status %d %s, want %d problem+json", c.name, r.Status, r.Header.Get("Content-Type"), c.status)
				continue
			}
			if !strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
				t.Errorf("%s: problem does not name %s: %s", c.name, c.field, r.Body)
			}
		}
		e.Must(400, "POST", "/api/v1/demands", ent.Token, "{not json")
		e.Must(400, "POST", "/api/v1/demands", ent.Token, "")
		huge := `{"title":"` + strings.Repeat("长", 1<<19) + `"}`
		e.Must(413, "POST", "/api/v1/demands", ent.Token, huge)
		if n := count(t, e, "items", ""); n != items {
			t.Fatalf("bad input stored items: %d, want %d", n, items)
		}

		id := e.Must(201, "POST", "/api/v1/demands", ent.Token, apptest.Demand()).Str("id")
		// A draft stays with its owner: the operator cannot review it (it
		// does not exist for them); wrong transitions name the current state.
		e.Must(404, "POST", "/api/v1/demands/"+id+"/review", op.Token, map[string]string{"decision": "approve"})
		e.Must(422, "POST", "/api/v1/demands/"+id+"/review", op.Token, map[string]string{"decision": "maybe"})
		e.Must(200, "POST", "/api/v1/demands/"+id+"/submit", ent.Token, nil)
		again := e.Must(409, "POST", "/api/v1/demands/"+id+"/submit", ent.Token, nil)
		if !strings.Contains(again.Str("detail"), "pending_review") {
			t.Fatalf("conflict does not name the state: %s", again.Body)
		}
		e.Must(422, "POST", "/api/v1/demands/"+id+"/review", op.Token, map[string]string{"decision": "reject"})
		e.Must(422, "POST", "/api/v1/demands/"+id+"/submit", ent.Token, `{"force":true}`)
		var status string
		if err := e.Sys.DB.SQL().QueryRow("SELECT status FROM items WHERE id = ?", id).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status != "pending_review" {
			t.Fatalf("status %s after refused actions", status)
		}
		// List parameters.
		e.Must(422, "GET", "/api/v1/demands?limit=101", "", nil)
		e.Must(422, "GET", "/api/v1/demands?limit=0", "", nil)
		e.Must(422, "GET", "/api/v1/demands?industry=mining", "", nil)
		e.Must(422, "GET", "/api/v1/demands?cursor=%%%", "", nil)
	})
}

func TestItemPagination(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		want := map[string]bool{}
		for range 7 {
			want[e.Publish("demands", ent, op, apptest.Demand())] = true
		}
		e.Must(201, "POST", "/api/v1/demands", ent.Token, apptest.Demand()) // a draft, never public
		seen := map[string]bool{}
		cursor, pages := "", 0
		for {
			r := e.Must(200, "GET", "/api/v1/demands?limit=3&cursor="+cursor, "", nil)
			for _, it := range r.Items() {
				if seen[it["id"].(string)] {
					t.Fatalf("item %s twice", it["id"])
				}
				seen[it["id"].(string)] = true
			}
			pages++
			cursor = r.Str("next_cursor")
			if cursor == "" {
				break
			}
		}
		if pages != 3 || len(seen) != len(want) {
			t.Fatalf("pages %d, items %d; want 3 pages, %d items", pages, len(seen), len(want))
		}
		for id := range want {
			if !seen[id] {
				t.Fatalf("missing %s", id)
			}
		}
	})
}
