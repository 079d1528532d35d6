package httpapi_test

import (
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// A published demand whose deadline has passed can still be edited: the
// deadline is re-checked only when the edit sets or changes it.
func TestEditDemandPastItsDeadline(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		id := e.Publish("demands", ent, op, apptest.Demand())
		// Time passes: the deadline is now behind us.
		passed := time.Now().AddDate(0, 0, -3).Format(time.DateOnly)
		if _, err := e.Sys.DB.SQL().Exec("UPDATE items SET deadline = ? WHERE id = ?", passed, id); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/demands/" + id
		got := e.Must(200, "PATCH", path, ent.Token, map[string]any{"title": "汽车车身轻量化技术需求（修订）"}).JSON()
		if got["status"] != "published" || got["deadline"] != passed || got["title"] != "汽车车身轻量化技术需求（修订）" {
			t.Fatalf("edited: %v", got)
		}
		// Sending the same deadline back is no change either.
		e.Must(200, "PATCH", path, ent.Token, map[string]any{"deadline": passed, "budget_max_fen": 60000000})

		// Moving it to another past date is refused and changes nothing.
		other := time.Now().AddDate(0, 0, -10).Format(time.DateOnly)
		mustField(t, e.Do("PATCH", path, ent.Token, map[string]any{"deadline": other, "title": "不该保存的标题"}), 422, "deadline")
		if n := count(t, e, "items", "id = ? AND deadline = ? AND title = ?", id, passed, "汽车车身轻量化技术需求（修订）"); n != 1 {
			t.Fatal("a refused edit changed the demand")
		}
		// A future one, or none, is fine.
		future := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
		if d := e.Must(200, "PATCH", path, ent.Token, map[string]any{"deadline": future}).Str("deadline"); d != future {
			t.Fatalf("deadline %q, want %s", d, future)
		}
		// New demands are still held to it.
		body := apptest.Demand()
		body["deadline"] = passed
		mustField(t, e.Do("POST", "/api/v1/demands", ent.Token, body), 422, "deadline")
	})
}
