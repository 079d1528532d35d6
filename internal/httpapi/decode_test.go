package httpapi_test

import (
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Unknown fields inside nested objects are named by their path.
func TestUnknownNestedFieldPath(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		reg := e.Registration(market.OrgEnterprise)
		reg["admin"].(map[string]any)["bar"] = 1
		mustField(t, e.Do("POST", "/api/v1/orgs", "", reg), 422, "admin.bar")
		reg = e.Registration(market.OrgEnterprise)
		reg["foo"] = true
		mustField(t, e.Do("POST", "/api/v1/orgs", "", reg), 422, "foo")
		if n := count(t, e, "orgs", ""); n != 0 {
			t.Fatalf("%d orgs after refused registrations", n)
		}

		ent := e.NewOrg(market.OrgEnterprise, true)
		for _, path := range []string{"demands", "achievements"} {
			body := apptest.Demand()
			if path == "achievements" {
				body = apptest.Achievement()
			}
			body["contact"] = map[string]any{"name": "王工", "phone": "13877200000", "wechat": "x"}
			mustField(t, e.Do("POST", "/api/v1/"+path, ent.Token, body), 422, "contact.wechat")
		}
		// A key that differs only in case still fills its field, as
		// encoding/json has it; the path is spelled as sent.
		body := apptest.Demand()
		body["Contact"] = map[string]any{"Name": "王工", "phone": "13877200000", "Extra": 1}
		delete(body, "contact")
		mustField(t, e.Do("POST", "/api/v1/demands", ent.Token, body), 422, "Contact.Extra")
		if n := count(t, e, "items", ""); n != 0 {
			t.Fatalf("%d items after refused creates", n)
		}
	})
}
