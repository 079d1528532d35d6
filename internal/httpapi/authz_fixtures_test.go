package httpapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// role is one column of the authorization matrix (authz_matrix_test.go).
type role int

// The roles, in the order of the matrix's columns. Every role but anon and
// admin is the admin user of its org, so "org admin" rules hold for it.
const (
	anon  role = iota // no Authorization header
	unv               // an enterprise that is not verified; owns unvDemand
	own               // a verified enterprise: owns the demands, is the buyer of every deal, receives the intent
	other             // another verified enterprise: owns nothing of the fixtures, party to nothing
	univ              // a verified university: owns the achievements, is the seller of every deal, sends the intent
	opL               // the operator of the liuzhou market
	opG               // the operator of the guizhong market
	gov               // the science bureau
	admin             // a platform admin (no org)
	nRoles
)

var roleNames = [nRoles]string{"anonymous", "unverified-enterprise", "owner-enterprise", "other-enterprise",
	"university", "operator-liuzhou", "operator-guizhong", "government", "platform-admin"}

func (r role) String() string { return roleNames[r] }

// The four deals of the fixtures, named by market and channel. The owner
// enterprise buys and the university sells in all four.
var authzTransactions = []struct{ name, market, channel string }{
	{"online-liuzhou", market.MarketLiuzhou, market.ChannelOnline},
	{"online-guizhong", market.MarketGuizhong, market.ChannelOnline},
	{"offline-liuzhou", market.MarketLiuzhou, market.ChannelOffline},
	{"offline-guizhong", market.MarketGuizhong, market.ChannelOffline},
}

// authzFixtures holds one of each resource, made before the matrix runs.
// Refused requests and reads act on these shared ones; a request expected
// to change something gets a fresh target from one of the fresh* methods.
type authzFixtures struct {
	t   *testing.T
	e   *apptest.Env
	org [nRoles]apptest.Org
	// password of each role's account (the admin's is apptest's).
	account  [nRoles]string
	password [nRoles]string

	demandDraft, demandPending, demandPub string // owned by own
	achDraft, achPending, achPub          string // owned by univ
	unvDemand                             string // a draft of the unverified enterprise
	catDraft, catPub                      string // liuzhou catalogs of demands
	intent                                string // univ → own's published demand, pending
	deal, evidence                        map[string]string
	pendingID, paymentID                  string // a pending online-liuzhou deal; "deal/payment" unconfirmed, booked by own
	policy, application                   string // only when the subsidy routes exist
	pricing                               pricingFixtures
	sharing                               *sharingFixtures // made on first use (authz_sharing_test.go)
	routes                                map[string]bool
}

const (
	orgPassword   = "pass-word-1"  // apptest.NewOrg
	adminPassword = "admin-pass-1" // apptest.NewWithConfig
)

// registeredRoutes returns "METHOD /path" of every route the app serves
// (HEAD routes, which Fiber adds beside each GET, left out).
func registeredRoutes(t *testing.T, e *apptest.Env) map[string]bool {
	t.Helper()
	app, ok := e.Srv.(*fiber.App)
	if !ok {
		t.Fatalf("apptest.Env.Srv is %T, want *fiber.App", e.Srv)
	}
	out := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if r.Method != http.MethodHead {
			out[r.Method+" "+r.Path] = true
		}
	}
	return out
}

func newAuthzFixtures(t *testing.T, e *apptest.Env) *authzFixtures {
	t.Helper()
	f := &authzFixtures{t: t, e: e, deal: map[string]string{}, evidence: map[string]string{}, routes: registeredRoutes(t, e)}
	f.org[unv] = e.NewOrg(market.OrgEnterprise, false)
	f.org[own] = e.NewOrg(market.OrgEnterprise, true)
	f.org[other] = e.NewOrg(market.OrgEnterprise, true)
	f.org[univ] = e.NewOrg(market.OrgUniversity, true)
	f.org[opL] = e.NewOrg(market.OrgOperator, true)
	f.org[opG] = e.NewOrg(market.OrgOperator, true, func(m map[string]any) { m["market"] = market.MarketGuizhong })
	f.org[gov] = e.NewOrg(market.OrgGovernment, true)
	f.org[admin].Token = e.AdminToken
	me := e.Must(200, "GET", "/api/v1/auth/me", e.AdminToken, nil).JSON()
	f.org[admin].Account = me["user"].(map[string]any)["account"].(string)
	for r := range nRoles {
		f.account[r], f.password[r] = f.org[r].Account, orgPassword
	}
	f.password[admin] = adminPassword

	f.demandDraft = f.draft("demands", own)
	f.demandPending = f.pending("demands", own)
	f.demandPub = f.published("demands", own)
	f.achDraft = f.draft("achievements", univ)
	f.achPending = f.pending("achievements", univ)
	f.achPub = f.published("achievements", univ)
	f.unvDemand = f.draft("demands", unv)
	f.catDraft = f.freshCatalog(false)
	f.catPub = f.freshCatalog(true)
	f.intent = f.newIntent(univ, f.demandPub)
	for _, d := range authzTransactions {
		f.deal[d.name] = f.newTransaction(d.market, d.channel)
		f.evidence[d.name] = f.upload(d.market, f.deal[d.name])
	}
	f.newPricingFixtures()
	f.pendingID = f.pendingTransaction()
	f.paymentID = f.unconfirmedPayment()
	if f.routes["POST /api/v1/subsidy-policies"] {
		f.policy = f.freshPolicy()
		if f.routes["POST /api/v1/subsidy-applications"] {
			f.application = f.freshApplication()
		}
	}
	if f.routes["POST /api/v1/instruments"] {
		f.sharingFx()
	}
	return f
}

// must sends a fixture request and stops the test with a hint when it
// does not get want: the fixture, not the matrix, is then wrong.
func (f *authzFixtures) must(want int, method, path string, r role, body any, headers ...string) *apptest.Response {
	f.t.Helper()
	res := f.e.Do(method, path, f.org[r].Token, body, headers...)
	if res.Status != want {
		f.t.Fatalf("authz fixture %s %s as %s: %d, want %d: %s", method, path, r, res.Status, want, res.Body)
	}
	return res
}

func (f *authzFixtures) itemBody(path string) map[string]any {
	if path == "demands" {
		return apptest.Demand()
	}
	return apptest.Achievement()
}

func (f *authzFixtures) draft(path string, owner role) string {
	f.t.Helper()
	return f.must(201, "POST", "/api/v1/"+path, owner, f.itemBody(path)).Str("id")
}

func (f *authzFixtures) pending(path string, owner role) string {
	f.t.Helper()
	id := f.draft(path, owner)
	f.must(200, "POST", "/api/v1/"+path+"/"+id+"/submit", owner, nil)
	return id
}

func (f *authzFixtures) published(path string, owner role) string {
	f.t.Helper()
	id := f.pending(path, owner)
	f.must(200, "POST", "/api/v1/"+path+"/"+id+"/review", opL, map[string]string{"decision": "approve"})
	return id
}

// itemOwner is who owns the fixtures of an item path.
func itemOwner(path string) role {
	if path == "demands" {
		return own
	}
	return univ
}

func (f *authzFixtures) freshDraft(path string) string     { return f.draft(path, itemOwner(path)) }
func (f *authzFixtures) freshPending(path string) string   { return f.pending(path, itemOwner(path)) }
func (f *authzFixtures) freshPublished(path string) string { return f.published(path, itemOwner(path)) }

// freshCatalog makes a liuzhou catalog of demands (catalogs_test.go's
// body) that matches the published demand, so it can be published.
func (f *authzFixtures) freshCatalog(publish bool) string {
	f.t.Helper()
	id := f.must(201, "POST", "/api/v1/catalogs", opL, catalogBody()).Str("id")
	if publish {
		f.must(200, "POST", "/api/v1/catalogs/"+id+"/publish", opL, nil)
	}
	return id
}

func (f *authzFixtures) newIntent(from role, demandID string) string {
	f.t.Helper()
	return f.must(201, "POST", "/api/v1/intents", from, map[string]string{"demand_id": demandID, "message": "我校可承接该需求"}).Str("id")
}

// freshIntent is a pending intent on a fresh published demand of the
// owner enterprise, sent by the university.
func (f *authzFixtures) freshIntent() string {
	return f.newIntent(univ, f.freshPublished("demands"))
}

func (f *authzFixtures) transactionBody(mkt, channel string) map[string]any {
	return map[string]any{
		"market": mkt, "channel": channel, "contract_type": "transfer", "contract_no": uniqueNo("HT"),
		"title": "碳纤维车身轻量化技术转让合同", "buyer_org_id": f.org[own].ID, "seller_org_id": f.org[univ].ID,
		"contract_amount_fen": 1_000_000, "tech_amount_fen": 800_000,
		"signed_at": instant(time.Now().Add(-48 * time.Hour)),
	}
}

// marketOperator is the operator role of a market.
func marketOperator(mkt string) role {
	if mkt == market.MarketLiuzhou {
		return opL
	}
	return opG
}

// newTransaction creates a signed deal by its proper creator: the buyer online
// (the university, its seller, confirms it), the market's operator
// offline.
func (f *authzFixtures) newTransaction(mkt, channel string) string {
	f.t.Helper()
	by := own
	if channel == market.ChannelOffline {
		by = marketOperator(mkt)
	}
	id := f.must(201, "POST", "/api/v1/transactions", by, f.transactionBody(mkt, channel)).Str("id")
	if channel == market.ChannelOnline {
		f.must(200, "POST", "/api/v1/transactions/"+id+"/confirm", univ, nil)
	}
	return id
}

// pendingTransaction is an online liuzhou deal the owner enterprise logged and
// the university has not confirmed.
func (f *authzFixtures) pendingTransaction() string {
	f.t.Helper()
	return f.must(201, "POST", "/api/v1/transactions", own, f.transactionBody(market.MarketLiuzhou, market.ChannelOnline)).Str("id")
}

// unconfirmedPayment is a signed online liuzhou deal with a payment the
// owner enterprise booked and nobody confirmed: "deal/payment".
func (f *authzFixtures) unconfirmedPayment() string {
	f.t.Helper()
	id := f.newTransaction(market.MarketLiuzhou, market.ChannelOnline)
	r := f.must(201, "POST", "/api/v1/transactions/"+id+"/payments", own, payment(1000, uniqueNo("PZ")))
	ps := r.JSON()["payments"].([]any)
	return id + "/" + ps[len(ps)-1].(map[string]any)["id"].(string)
}

// freshTransaction creates a deal like the named shared one.
func (f *authzFixtures) freshTransaction(name string) string {
	for _, d := range authzTransactions {
		if d.name == name {
			return f.newTransaction(d.market, d.channel)
		}
	}
	f.t.Fatalf("no deal %s", name)
	return ""
}

// paidTransaction is a fresh deal of the name, registered and fully paid, so
// that it can be completed or subsidised.
func (f *authzFixtures) paidTransaction(name string) string {
	f.t.Helper()
	id := f.freshTransaction(name)
	op := opL
	if name == "online-guizhong" || name == "offline-guizhong" {
		op = opG
	}
	f.must(200, "POST", "/api/v1/transactions/"+id+"/register", op, registration(uniqueNo("DJ"), nil))
	if d := f.must(201, "POST", "/api/v1/transactions/"+id+"/payments", op, payment(800_000, uniqueNo("PZ"))); d.Str("status") != market.TransactionPaid {
		f.t.Fatalf("authz fixture: deal not paid after registration and payment: %s", d.Body)
	}
	return id
}

func (f *authzFixtures) upload(mkt, transactionID string) string {
	f.t.Helper()
	r := upload(f.e, f.org[marketOperator(mkt)].Token, transactionID, "contract", "contract.pdf", pdf(transactionID))
	if r.Status != 201 {
		f.t.Fatalf("authz fixture: evidence upload: %d %s", r.Status, r.Body)
	}
	return r.Str("id")
}

// policyBody is a flat 10% policy over this year, without auto-apply (an
// application made by itself would take the slot of the one a test makes).
func policyBody() map[string]any {
	y := time.Now().Add(-48 * time.Hour).Year()
	return map[string]any{
		"name": fmt.Sprintf("%d年技术交易后补助", y), "year": y, "rate_bp": 1000,
		"per_transaction_cap_fen": 100_000_000, "annual_cap_per_org_fen": 1_000_000_000, "budget_fen": 10_000_000_000,
		"min_tech_amount_fen": 0, "eligible_contract_types": []string{"development", "transfer", "license", "consulting", "service"},
		"require_registered": true, "require_local_buyer": false, "base": "tech_amount", "auto_apply": false,
		"effective_from": fmt.Sprintf("%d-01-01", y), "effective_to": fmt.Sprintf("%d-12-31", y),
	}
}

func (f *authzFixtures) freshPolicy() string {
	f.t.Helper()
	return f.must(201, "POST", "/api/v1/subsidy-policies", gov, policyBody()).Str("id")
}

// freshApplication is the buyer's submitted application for a fresh,
// eligible (registered and paid) online liuzhou deal under the shared
// policy.
func (f *authzFixtures) freshApplication() string {
	f.t.Helper()
	body := map[string]string{"transaction_id": f.paidTransaction("online-liuzhou"), "policy_id": f.policy}
	return f.must(201, "POST", "/api/v1/subsidy-applications", own, body).Str("id")
}

// approvedApplication is a fresh application the bureau approved.
func (f *authzFixtures) approvedApplication() string {
	f.t.Helper()
	id := f.freshApplication()
	f.must(200, "POST", "/api/v1/subsidy-applications/"+id+"/review", gov, map[string]string{"decision": "approve", "reason": "材料齐全"})
	return id
}

// bcryptHash matches a bcrypt hash anywhere in a body.
var bcryptHash = regexp.MustCompile(`\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}`)
