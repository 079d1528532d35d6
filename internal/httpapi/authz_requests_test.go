package httpapi_test

// The requests of the authorization matrix: which fixture each row acts on
// and the body each role sends.

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"strings"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fixed sends the same request for every role.
func fixed(path string, body any) reqFunc {
	return func(*authzFixtures, role, bool) authzReq { return authzReq{path: path, body: body} }
}

// on acts on one fixture: format holds the fixture's id in place of %s
// (or takes it in the body only); body, when not nil, makes the body.
func on(format, fixture string, body func(f *authzFixtures, r role, id string) any) reqFunc {
	return func(f *authzFixtures, r role, fresh bool) authzReq {
		id := f.id(fixture)
		if fresh {
			id = f.fresh(fixture)
		}
		if id == "" {
			return authzReq{skip: "fixture " + fixture + " is not available (its route is not registered)"}
		}
		req := authzReq{path: format}
		if strings.Contains(format, "%s") {
			req.path = fmt.Sprintf(format, id)
		}
		if fixture == "payment" {
			deal, pid, _ := strings.Cut(id, "/")
			req.path = fmt.Sprintf(format, deal, pid)
		}
		if strings.HasPrefix(fixture, "evidence:") {
			deal, eid, _ := strings.Cut(id, "/")
			req.path = fmt.Sprintf(format, deal) + "/evidence/" + eid
		}
		if body != nil {
			req.body = body(f, r, id)
		}
		return req
	}
}

// listOf lists with a filter naming a fixture.
func listOf(format, fixture string) reqFunc {
	return func(f *authzFixtures, _ role, _ bool) authzReq {
		return authzReq{path: fmt.Sprintf(format, f.id(fixture))}
	}
}

// id returns the shared fixture of a name.
func (f *authzFixtures) id(name string) string {
	if id, ok := f.pricingID(name, false); ok {
		return id
	}
	kind, arg, _ := strings.Cut(name, ":")
	switch kind {
	case "ownOrg":
		return f.org[own].ID
	case "univOrg":
		return f.org[univ].ID
	case "unvOrg":
		return f.org[unv].ID
	case "demandDraft":
		return f.demandDraft
	case "demandPending":
		return f.demandPending
	case "demandPub":
		return f.demandPub
	case "achDraft":
		return f.achDraft
	case "achPending":
		return f.achPending
	case "achPub":
		return f.achPub
	case "unvDemand":
		return f.unvDemand
	case "catDraft":
		return f.catDraft
	case "catPub":
		return f.catPub
	case "intent":
		return f.intent
	case "deal", "paid", "eligible":
		return f.deal[arg]
	case "evidence":
		return f.deal[arg] + "/" + f.evidence[arg]
	case "pending":
		return f.pendingID
	case "payment":
		return f.paymentID
	case "policy":
		return f.policy
	case "application", "approved":
		return f.application
	case "booking":
		return f.sharingFx().requested
	case "order":
		return f.sharingFx().submitted
	}
	f.t.Fatalf("no fixture %q", name)
	return ""
}

// fresh makes a new fixture like the named one, for a request expected to
// change it.
func (f *authzFixtures) fresh(name string) string {
	f.t.Helper()
	if id, ok := f.pricingID(name, true); ok {
		return id
	}
	kind, arg, _ := strings.Cut(name, ":")
	switch kind {
	case "ownOrg", "univOrg":
		return f.id(name) // adding a member or renaming is harmless to the rest
	case "unvOrg":
		return f.must(201, "POST", "/api/v1/orgs", anon, f.e.Registration(market.OrgEnterprise)).Str("id")
	case "demandDraft":
		return f.freshDraft("demands")
	case "demandPending":
		return f.freshPending("demands")
	case "demandPub":
		return f.freshPublished("demands")
	case "achDraft":
		return f.freshDraft("achievements")
	case "achPending":
		return f.freshPending("achievements")
	case "achPub":
		return f.freshPublished("achievements")
	case "catDraft":
		return f.freshCatalog(false)
	case "intent":
		return f.freshIntent()
	case "deal":
		return f.freshTransaction(arg)
	case "pending":
		return f.pendingTransaction()
	case "payment":
		return f.unconfirmedPayment()
	case "paid", "eligible":
		if f.policy == "" && kind == "eligible" {
			return ""
		}
		return f.paidTransaction(arg)
	case "policy":
		if f.policy == "" {
			return ""
		}
		return f.freshPolicy()
	case "application":
		if f.application == "" {
			return ""
		}
		return f.freshApplication()
	case "approved":
		if f.application == "" {
			return ""
		}
		return f.approvedApplication()
	}
	f.t.Fatalf("no fresh fixture %q", name)
	return ""
}

func loginReq(f *authzFixtures, r role, _ bool) authzReq {
	who := r
	if r == anon {
		who = other
	}
	return authzReq{path: "/api/v1/auth/login", body: map[string]string{"account": f.account[who], "password": f.password[who]}}
}

// session signs the role in once more and returns the new session's
// tokens (the anonymous caller borrows the other enterprise's account).
func (f *authzFixtures) session(r role) (access, refresh string) {
	f.t.Helper()
	who := r
	if r == anon {
		who = other
	}
	m := f.must(200, "POST", "/api/v1/auth/login", anon, map[string]string{"account": f.account[who], "password": f.password[who]}).JSON()
	return m["access_token"].(string), m["refresh_token"].(string)
}

func refreshReq(f *authzFixtures, r role, fresh bool) authzReq {
	refresh := "not-a-refresh-token"
	if fresh {
		_, refresh = f.session(r)
	}
	return authzReq{path: "/api/v1/auth/refresh", body: map[string]string{"refresh_token": refresh}}
}

func logoutReq(f *authzFixtures, r role, fresh bool) authzReq {
	req := authzReq{path: "/api/v1/auth/logout"}
	if fresh && r != anon {
		req.as, _ = f.session(r)
	}
	return req
}

func registerOrg(kind string) reqFunc {
	return func(f *authzFixtures, _ role, _ bool) authzReq {
		reg := f.e.Registration(kind)
		if kind == market.OrgOperator {
			reg["market"] = market.MarketGuizhong
		}
		return authzReq{path: "/api/v1/orgs", body: reg}
	}
}

func newMember(*authzFixtures, role, string) any {
	return map[string]string{"account": uniqueNo("member") + "@example.com", "password": "member-pass-1", "name": "成员"}
}

func retitle(*authzFixtures, role, string) any {
	return map[string]string{"title": "修订后的标题（权限矩阵）"}
}
func rename(*authzFixtures, role, string) any {
	return map[string]string{"name": "修订后的补助政策（权限矩阵）"}
}
func approve(*authzFixtures, role, string) any {
	return map[string]string{"decision": "approve", "reason": "符合要求"}
}
func decline(*authzFixtures, role, string) any {
	return map[string]string{"reason_code": "price", "reason": "报价偏高"}
}
func registerBody(*authzFixtures, role, string) any { return registration(uniqueNo("DJ"), nil) }
func pay(*authzFixtures, role, string) any          { return payment(1000, uniqueNo("PZ")) }
func cancelBody(*authzFixtures, role, string) any {
	return map[string]string{"reason": "双方协商解除"}
}
func disburse(*authzFixtures, role, string) any {
	return map[string]string{"voucher_no": uniqueNo("BZ")}
}
func subsidyRequest(f *authzFixtures, _ role, id string) any {
	return map[string]string{"transaction_id": id, "policy_id": f.policy}
}

// newIntentReq: every trading org sends its intent to the other side's
// published item — enterprises to the university's achievement, the
// university to the owner's demand.
func newIntentReq(f *authzFixtures, r role, fresh bool) authzReq {
	body := map[string]string{"message": "希望进一步洽谈"}
	switch {
	case r == univ && fresh:
		body["demand_id"] = f.freshPublished("demands")
	case r == univ:
		body["demand_id"] = f.demandPub
	case fresh:
		body["achievement_id"] = f.freshPublished("achievements")
	default:
		body["achievement_id"] = f.achPub
	}
	return authzReq{path: "/api/v1/intents", body: body}
}

func newTransactionReq(name string) reqFunc {
	return func(f *authzFixtures, _ role, _ bool) authzReq {
		for _, d := range authzTransactions {
			if d.name == name {
				return authzReq{path: "/api/v1/transactions", body: f.transactionBody(d.market, d.channel)}
			}
		}
		f.t.Fatalf("no deal %s", name)
		return authzReq{}
	}
}

func evidenceReq(fixture string) reqFunc {
	return func(f *authzFixtures, r role, fresh bool) authzReq {
		id := f.id(fixture)
		if fresh {
			id = f.fresh(fixture)
		}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("kind", "invoice")
		fw, _ := mw.CreateFormFile("file", "invoice.pdf")
		_, _ = fw.Write(pdf(id + r.String()))
		_ = mw.Close()
		return authzReq{path: "/api/v1/transactions/" + id + "/evidence", body: buf.Bytes(),
			headers: []string{"Content-Type", mw.FormDataContentType()}}
	}
}

// feedbackReq judges the match of target for source: /demands/{source}/
// matches/{target}/feedback, or under /achievements when source is one.
func feedbackReq(source, target string) reqFunc {
	return func(f *authzFixtures, _ role, _ bool) authzReq {
		path := "demands"
		if strings.HasPrefix(source, "ach") {
			path = "achievements"
		}
		return authzReq{path: "/api/v1/" + path + "/" + f.id(source) + "/matches/" + f.id(target) + "/feedback",
			body: map[string]bool{"useful": true}}
	}
}

// synonymReq puts or deletes a synonym group; a request expected to
// change something gets a group of its own, made by the liuzhou operator.
func synonymReq(f *authzFixtures, _ role, fresh bool) authzReq {
	id := "authz-shared"
	if fresh {
		id = strings.ToLower(uniqueNo("authz"))
		f.must(201, "PUT", "/api/v1/synonyms/"+id, opL, map[string]any{"terms": []string{"轻量化", "减重"}})
	}
	return authzReq{path: "/api/v1/synonyms/" + id, body: map[string]any{"terms": []string{"轻量化", "减重", "减轻重量"}}}
}
