package httpapi_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Expected outcomes in the authorization matrix.
const (
	A = 2   // allowed: a 2xx answer (for a list: the fixture is in it)
	C = 409 // allowed, but the shared fixture is in the wrong state for the action: the permission check came first
	U = 401 // refused: not signed in
	F = 403 // refused: the caller sees the resource (or the route is open to it) but may not do this
	N = 404 // refused: the resource does not exist for the caller (for a list: the fixture is not in it)
)

// w is one row of the matrix, in the order of the roles: anonymous,
// unverified enterprise, owner enterprise, other enterprise, university,
// operator liuzhou, operator guizhong, government, platform admin.
type w = [nRoles]int

// authzReq is what one role sends for one case.
type authzReq struct {
	path    string
	body    any
	headers []string
	// as replaces the role's token (logout must not end the session the
	// other cases use).
	as string
	// skip says why the case cannot run (a fixture whose route is not
	// registered yet).
	skip string
}

// reqFunc builds the request of a role. fresh asks for a target of its
// own: the request is expected to change it.
type reqFunc func(f *authzFixtures, r role, fresh bool) authzReq

// authzCase is one row: a route, which fixture it acts on, and the
// expected outcome for every role, written from SPEC's "who" column and
// the permission rules of internal/market (Can*, transaction_access.go,
// StatsQuery.Authorize, CanReadAudit) and the services that apply them —
// never copied from a run. Where the code deliberately goes beyond SPEC
// (platform admins review items and read statistics; the bureau reads
// orgs) the row follows the rule and docs/security.md says so.
type authzCase struct {
	method, route, variant string
	want                   w
	// mutates marks requests that change state when allowed: those run
	// after the refusals, on fresh targets.
	mutates bool
	req     reqFunc
	// listed, for list routes: the fixture whose presence is the outcome.
	listed string
}

// publicRoutes answer everyone, with or without a token.
var publicRoutes = []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.yaml", "/api/v1/meta"}

func authzCases() []authzCase {
	all := w{A, A, A, A, A, A, A, A, A}
	cs := []authzCase{
		// Authentication.
		{"POST", "/api/v1/auth/login", "", all, true, loginReq, ""},
		{"POST", "/api/v1/auth/refresh", "", all, true, refreshReq, ""},
		{"POST", "/api/v1/auth/logout", "", w{U, A, A, A, A, A, A, A, A}, true, logoutReq, ""},
		{"GET", "/api/v1/auth/me", "", w{U, A, A, A, A, A, A, A, A}, false, fixed("/api/v1/auth/me", nil), ""},

		// Orgs. Registration is public; operator and government orgs are the
		// platform admin's, and the route being public, an anonymous caller
		// is refused with 403 (not 401) by the service.
		{"POST", "/api/v1/orgs", "enterprise", all, true, registerOrg(market.OrgEnterprise), ""},
		{"POST", "/api/v1/orgs", "operator", w{F, F, F, F, F, F, F, F, A}, true, registerOrg(market.OrgOperator), ""},
		{"POST", "/api/v1/orgs", "government", w{F, F, F, F, F, F, F, F, A}, true, registerOrg(market.OrgGovernment), ""},
		{"GET", "/api/v1/orgs", "", w{U, F, F, F, F, A, A, A, A}, false, fixed("/api/v1/orgs", nil), ""},
		{"GET", "/api/v1/orgs/:id", "owner's org", w{U, F, A, F, F, A, A, A, A}, false, on("/api/v1/orgs/%s", "ownOrg", nil), ""},
		{"POST", "/api/v1/orgs/:id/verify", "unverified org", w{U, F, F, F, F, A, A, F, A}, true, on("/api/v1/orgs/%s/verify", "unvOrg", nil), ""},
		{"POST", "/api/v1/orgs/:id/users", "owner's org", w{U, F, A, F, F, F, F, F, F}, true, on("/api/v1/orgs/%s/users", "ownOrg", newMember), ""},
		{"GET", "/api/v1/orgs/:id/users", "owner's org", w{U, F, A, F, F, F, F, F, A}, false, on("/api/v1/orgs/%s/users", "ownOrg", nil), ""},

		// Demands: the owner enterprise owns them. A draft stays with its
		// owner: to everyone else, operators and admins included, it does
		// not exist (404) until it is submitted.
		{"POST", "/api/v1/demands", "", w{U, A, A, A, F, F, F, F, F}, true, fixed("/api/v1/demands", apptest.Demand()), ""},
		{"GET", "/api/v1/demands", "", all, false, fixed("/api/v1/demands", nil), ""},
		{"GET", "/api/v1/demands", "draft listed", w{N, N, A, N, N, N, N, N, N}, false, listOf("/api/v1/demands?status=draft&limit=100&org_id=%s", "ownOrg"), "demandDraft"},
		{"GET", "/api/v1/demands/:id", "draft", w{N, N, A, N, N, N, N, N, N}, false, on("/api/v1/demands/%s", "demandDraft", nil), ""},
		{"GET", "/api/v1/demands/:id", "published", all, false, on("/api/v1/demands/%s", "demandPub", nil), ""},
		{"PATCH", "/api/v1/demands/:id", "draft", w{U, N, A, N, N, N, N, N, N}, true, on("/api/v1/demands/%s", "demandDraft", retitle), ""},
		{"PATCH", "/api/v1/demands/:id", "published", w{U, F, A, F, F, F, F, F, F}, true, on("/api/v1/demands/%s", "demandPub", retitle), ""},
		{"POST", "/api/v1/demands/:id/submit", "draft", w{U, N, A, N, N, N, N, N, N}, true, on("/api/v1/demands/%s/submit", "demandDraft", nil), ""},
		{"POST", "/api/v1/demands/:id/submit", "unverified owner's draft", w{U, F, N, N, N, N, N, N, N}, true, on("/api/v1/demands/%s/submit", "unvDemand", nil), ""},
		{"POST", "/api/v1/demands/:id/review", "pending", w{U, N, F, N, N, A, A, F, A}, true, on("/api/v1/demands/%s/review", "demandPending", approve), ""},
		{"POST", "/api/v1/demands/:id/close", "draft", w{U, N, A, N, N, N, N, N, N}, true, on("/api/v1/demands/%s/close", "demandDraft", nil), ""},
		{"POST", "/api/v1/demands/:id/close", "published", w{U, F, A, F, F, A, A, F, A}, true, on("/api/v1/demands/%s/close", "demandPub", nil), ""},
		{"GET", "/api/v1/demands/:id/matches", "published", w{U, F, A, F, F, A, A, F, A}, false, on("/api/v1/demands/%s/matches", "demandPub", nil), ""},
		{"GET", "/api/v1/demands/:id/matches", "draft", w{U, N, C, N, N, N, N, N, N}, false, on("/api/v1/demands/%s/matches", "demandDraft", nil), ""},

		// Achievements: the university owns them; enterprises may list
		// achievements too.
		{"POST", "/api/v1/achievements", "", w{U, A, A, A, A, F, F, F, F}, true, fixed("/api/v1/achievements", apptest.Achievement()), ""},
		{"GET", "/api/v1/achievements", "", all, false, fixed("/api/v1/achievements", nil), ""},
		{"GET", "/api/v1/achievements", "draft listed", w{N, N, N, N, A, N, N, N, N}, false, listOf("/api/v1/achievements?status=draft&limit=100&org_id=%s", "univOrg"), "achDraft"},
		{"GET", "/api/v1/achievements/:id", "draft", w{N, N, N, N, A, N, N, N, N}, false, on("/api/v1/achievements/%s", "achDraft", nil), ""},
		{"GET", "/api/v1/achievements/:id", "published", all, false, on("/api/v1/achievements/%s", "achPub", nil), ""},
		{"PATCH", "/api/v1/achievements/:id", "draft", w{U, N, N, N, A, N, N, N, N}, true, on("/api/v1/achievements/%s", "achDraft", retitle), ""},
		{"PATCH", "/api/v1/achievements/:id", "published", w{U, F, F, F, A, F, F, F, F}, true, on("/api/v1/achievements/%s", "achPub", retitle), ""},
		{"POST", "/api/v1/achievements/:id/submit", "draft", w{U, N, N, N, A, N, N, N, N}, true, on("/api/v1/achievements/%s/submit", "achDraft", nil), ""},
		{"POST", "/api/v1/achievements/:id/review", "pending", w{U, N, N, N, F, A, A, F, A}, true, on("/api/v1/achievements/%s/review", "achPending", approve), ""},
		{"POST", "/api/v1/achievements/:id/close", "draft", w{U, N, N, N, A, N, N, N, N}, true, on("/api/v1/achievements/%s/close", "achDraft", nil), ""},
		{"POST", "/api/v1/achievements/:id/close", "published", w{U, F, F, F, A, A, A, F, A}, true, on("/api/v1/achievements/%s/close", "achPub", nil), ""},
		{"GET", "/api/v1/achievements/:id/matches", "published", w{U, F, F, F, A, A, A, F, A}, false, on("/api/v1/achievements/%s/matches", "achPub", nil), ""},
		{"GET", "/api/v1/achievements/:id/matches", "draft", w{U, N, N, N, C, N, N, N, N}, false, on("/api/v1/achievements/%s/matches", "achDraft", nil), ""},

		// Match feedback: the owner of the source item and operators (the
		// bureau and platform admins give none: feedback is kept per org).
		// It changes no fixture, so the shared pair takes every feedback.
		{"POST", "/api/v1/demands/:id/matches/:achievement_id/feedback", "published", w{U, F, A, F, F, A, A, F, F}, true, feedbackReq("demandPub", "achPub"), ""},
		{"POST", "/api/v1/demands/:id/matches/:achievement_id/feedback", "draft", w{U, N, C, N, N, N, N, N, N}, false, feedbackReq("demandDraft", "achPub"), ""},
		{"POST", "/api/v1/achievements/:id/matches/:demand_id/feedback", "published", w{U, F, F, F, A, A, A, F, F}, true, feedbackReq("achPub", "demandPub"), ""},

		// The vocabulary: operators of either market and platform admins.
		{"GET", "/api/v1/synonyms", "", w{U, F, F, F, F, A, A, F, A}, false, fixed("/api/v1/synonyms", nil), ""},
		{"PUT", "/api/v1/synonyms/:id", "", w{U, F, F, F, F, A, A, F, A}, true, synonymReq, ""},
		{"DELETE", "/api/v1/synonyms/:id", "", w{U, F, F, F, F, A, A, F, A}, true, synonymReq, ""},

		// Catalogs, compiled by the liuzhou operator. Drafts are seen by
		// operators of any market and platform admins, not by the bureau.
		{"POST", "/api/v1/catalogs", "", w{U, F, F, F, F, A, A, F, F}, true, fixed("/api/v1/catalogs", catalogBody()), ""},
		{"GET", "/api/v1/catalogs", "", all, false, fixed("/api/v1/catalogs", nil), ""},
		{"GET", "/api/v1/catalogs", "draft listed", w{N, N, N, N, N, A, A, N, A}, false, fixed("/api/v1/catalogs?status=draft&limit=100", nil), "catDraft"},
		{"GET", "/api/v1/catalogs/:id", "draft", w{N, N, N, N, N, A, A, N, A}, false, on("/api/v1/catalogs/%s", "catDraft", nil), ""},
		{"GET", "/api/v1/catalogs/:id", "published", all, false, on("/api/v1/catalogs/%s", "catPub", nil), ""},
		{"PATCH", "/api/v1/catalogs/:id", "draft", w{U, N, N, N, N, A, F, N, F}, true, on("/api/v1/catalogs/%s", "catDraft", retitle), ""},
		{"PATCH", "/api/v1/catalogs/:id", "published", w{U, F, F, F, F, C, F, F, F}, true, on("/api/v1/catalogs/%s", "catPub", retitle), ""},
		{"POST", "/api/v1/catalogs/:id/publish", "draft", w{U, N, N, N, N, A, F, N, F}, true, on("/api/v1/catalogs/%s/publish", "catDraft", nil), ""},
		{"POST", "/api/v1/catalogs/:id/publish", "published", w{U, F, F, F, F, C, F, F, F}, true, on("/api/v1/catalogs/%s/publish", "catPub", nil), ""},
		{"GET", "/api/v1/catalogs/:id/items", "draft", w{N, N, N, N, N, A, A, N, A}, false, on("/api/v1/catalogs/%s/items", "catDraft", nil), ""},
		{"GET", "/api/v1/catalogs/:id/items", "published", all, false, on("/api/v1/catalogs/%s/items", "catPub", nil), ""},
		{"GET", "/api/v1/catalogs/:id/export", "draft", w{N, N, N, N, N, A, A, N, A}, false, on("/api/v1/catalogs/%s/export?format=csv", "catDraft", nil), ""},
		{"GET", "/api/v1/catalogs/:id/export", "published", all, false, on("/api/v1/catalogs/%s/export?format=csv", "catPub", nil), ""},

		// Intents: the university's intent on the owner's published demand.
		// Nobody but the two orgs sees it, operators included.
		{"POST", "/api/v1/intents", "", w{U, F, A, A, A, F, F, F, F}, true, newIntentReq, ""},
		{"GET", "/api/v1/intents", "", w{U, A, A, A, A, A, A, A, F}, false, fixed("/api/v1/intents", nil), ""},
		{"GET", "/api/v1/intents", "intent listed", w{U, N, A, N, A, N, N, N, F}, false, fixed("/api/v1/intents?limit=100", nil), "intent"},
		{"GET", "/api/v1/intents/:id", "", w{U, N, A, N, A, N, N, N, N}, false, on("/api/v1/intents/%s", "intent", nil), ""},
		{"POST", "/api/v1/intents/:id/accept", "", w{U, N, A, N, F, N, N, N, N}, true, on("/api/v1/intents/%s/accept", "intent", nil), ""},
		{"POST", "/api/v1/intents/:id/decline", "", w{U, N, A, N, F, N, N, N, N}, true, on("/api/v1/intents/%s/decline", "intent", decline), ""},

		// Transactions. TestTransactionPermissionMatrix (transactions_matrix_test.go) is
		// the full matrix of deal actions × the four kinds of deal; these
		// rows cover every route with the roles of this matrix, which adds
		// the unverified enterprise and the platform admin.
		{"POST", "/api/v1/transactions", "online-liuzhou", w{U, F, A, F, A, F, F, F, F}, true, newTransactionReq("online-liuzhou"), ""},
		{"POST", "/api/v1/transactions", "offline-guizhong", w{U, F, F, F, F, F, A, F, F}, true, newTransactionReq("offline-guizhong"), ""},
		{"GET", "/api/v1/transactions", "", w{U, A, A, A, A, A, A, A, F}, false, fixed("/api/v1/transactions", nil), ""},
		{"GET", "/api/v1/transactions", "online-liuzhou listed", w{U, N, A, N, A, A, N, A, F}, false, fixed("/api/v1/transactions?limit=100", nil), "deal:online-liuzhou"},
		{"GET", "/api/v1/transactions/:id", "online-liuzhou", w{U, N, A, N, A, A, N, A, N}, false, on("/api/v1/transactions/%s", "deal:online-liuzhou", nil), ""},
		{"GET", "/api/v1/transactions/:id", "online-guizhong", w{U, N, A, N, A, N, A, A, N}, false, on("/api/v1/transactions/%s", "deal:online-guizhong", nil), ""},
		{"GET", "/api/v1/transactions/:id", "offline-liuzhou", w{U, N, A, N, A, A, N, A, N}, false, on("/api/v1/transactions/%s", "deal:offline-liuzhou", nil), ""},
		{"GET", "/api/v1/transactions/:id", "offline-guizhong", w{U, N, A, N, A, N, A, A, N}, false, on("/api/v1/transactions/%s", "deal:offline-guizhong", nil), ""},
		// A pending deal, logged by the owner enterprise: only the other
		// party (the university) confirms or declines it; whoever else
		// sees it is refused with 403.
		{"POST", "/api/v1/transactions/:id/confirm", "pending online-liuzhou", w{U, N, F, N, A, F, N, F, N}, true, on("/api/v1/transactions/%s/confirm", "pending", nil), ""},
		{"POST", "/api/v1/transactions/:id/decline", "pending online-liuzhou", w{U, N, F, N, A, F, N, F, N}, true, on("/api/v1/transactions/%s/decline", "pending", cancelBody), ""},
		{"POST", "/api/v1/transactions/:id/register", "online-liuzhou", w{U, N, F, N, F, A, N, F, N}, true, on("/api/v1/transactions/%s/register", "deal:online-liuzhou", registerBody), ""},
		{"POST", "/api/v1/transactions/:id/register", "offline-guizhong", w{U, N, F, N, F, N, A, F, N}, true, on("/api/v1/transactions/%s/register", "deal:offline-guizhong", registerBody), ""},
		{"POST", "/api/v1/transactions/:id/payments", "online-liuzhou", w{U, N, A, N, A, A, N, F, N}, true, on("/api/v1/transactions/%s/payments", "deal:online-liuzhou", pay), ""},
		{"POST", "/api/v1/transactions/:id/payments", "offline-guizhong", w{U, N, F, N, F, N, A, F, N}, true, on("/api/v1/transactions/%s/payments", "deal:offline-guizhong", pay), ""},
		// A payment the owner enterprise booked: the university or the
		// market's operator confirms it, not the org that booked it.
		{"POST", "/api/v1/transactions/:id/payments/:payment_id/confirm", "booked by owner", w{U, N, F, N, A, A, N, F, N}, true, on("/api/v1/transactions/%s/payments/%s/confirm", "payment", nil), ""},
		{"POST", "/api/v1/transactions/:id/complete", "online-liuzhou", w{U, N, F, N, F, A, N, F, N}, true, on("/api/v1/transactions/%s/complete", "paid:online-liuzhou", nil), ""},
		{"POST", "/api/v1/transactions/:id/complete", "offline-guizhong", w{U, N, F, N, F, N, A, F, N}, true, on("/api/v1/transactions/%s/complete", "paid:offline-guizhong", nil), ""},
		{"POST", "/api/v1/transactions/:id/cancel", "online-liuzhou", w{U, N, F, N, F, A, N, F, N}, true, on("/api/v1/transactions/%s/cancel", "deal:online-liuzhou", cancelBody), ""},
		{"POST", "/api/v1/transactions/:id/cancel", "offline-guizhong", w{U, N, F, N, F, N, A, F, N}, true, on("/api/v1/transactions/%s/cancel", "deal:offline-guizhong", cancelBody), ""},
		{"POST", "/api/v1/transactions/:id/evidence", "online-liuzhou", w{U, N, F, N, F, A, N, F, N}, true, evidenceReq("deal:online-liuzhou"), ""},
		{"POST", "/api/v1/transactions/:id/evidence", "offline-guizhong", w{U, N, F, N, F, N, A, F, N}, true, evidenceReq("deal:offline-guizhong"), ""},
		{"GET", "/api/v1/transactions/:id/evidence", "online-liuzhou", w{U, N, A, N, A, A, N, A, N}, false, on("/api/v1/transactions/%s/evidence", "deal:online-liuzhou", nil), ""},
		{"GET", "/api/v1/transactions/:id/evidence", "offline-guizhong", w{U, N, A, N, A, N, A, A, N}, false, on("/api/v1/transactions/%s/evidence", "deal:offline-guizhong", nil), ""},
		{"GET", "/api/v1/transactions/:id/evidence/:eid", "online-liuzhou", w{U, N, A, N, A, A, N, A, N}, false, on("/api/v1/transactions/%s", "evidence:online-liuzhou", nil), ""},
		{"GET", "/api/v1/transactions/:id/evidence/:eid", "offline-guizhong", w{U, N, A, N, A, N, A, A, N}, false, on("/api/v1/transactions/%s", "evidence:offline-guizhong", nil), ""},

		// Search is public; only published items are indexed.
		{"GET", "/api/v1/search/achievements", "", all, false, fixed("/api/v1/search/achievements?q=轻量化", nil), ""},
		{"GET", "/api/v1/search/demands", "", all, false, fixed("/api/v1/search/demands?q=车身", nil), ""},

		// Subsidies, written from SPEC ("government / public read",
		// "parties, government", "buyer / government") and the rules of
		// market/subsidy.go: a deal or application the caller cannot see is
		// a 404, one it sees but may not act on a 403. Reviewing and
		// disbursing are the bureau's alone, like verifying orgs: anyone
		// else is refused (403) before the id is looked at, which tells
		// nothing about which applications exist.
		{"POST", "/api/v1/subsidy-policies", "", w{U, F, F, F, F, F, F, A, F}, true, fixed("/api/v1/subsidy-policies", policyBody()), ""},
		{"GET", "/api/v1/subsidy-policies", "", all, false, fixed("/api/v1/subsidy-policies", nil), ""},
		{"GET", "/api/v1/subsidy-policies/:id", "", all, false, on("/api/v1/subsidy-policies/%s", "policy", nil), ""},
		{"PATCH", "/api/v1/subsidy-policies/:id", "", w{U, F, F, F, F, F, F, A, F}, true, on("/api/v1/subsidy-policies/%s", "policy", rename), ""},
		{"POST", "/api/v1/subsidy-policies/:id/versions", "", w{U, F, F, F, F, F, F, A, F}, true, on("/api/v1/subsidy-policies/%s/versions", "policy", nil), ""},
		{"POST", "/api/v1/subsidies/quote", "online-liuzhou", w{U, N, A, N, A, F, N, A, N}, false, on("/api/v1/subsidies/quote", "deal:online-liuzhou", subsidyRequest), ""},
		{"POST", "/api/v1/subsidy-applications", "online-liuzhou", w{U, N, A, N, F, F, N, F, N}, true, on("/api/v1/subsidy-applications", "eligible:online-liuzhou", subsidyRequest), ""},
		{"GET", "/api/v1/subsidy-applications", "", w{U, A, A, A, A, F, F, A, F}, false, fixed("/api/v1/subsidy-applications", nil), ""},
		{"GET", "/api/v1/subsidy-applications", "application listed", w{U, N, A, N, N, F, F, A, F}, false, fixed("/api/v1/subsidy-applications?limit=100", nil), "application"},
		{"GET", "/api/v1/subsidy-applications/:id", "", w{U, N, A, N, N, N, N, A, N}, false, on("/api/v1/subsidy-applications/%s", "application", nil), ""},
		{"POST", "/api/v1/subsidy-applications/:id/withdraw", "", w{U, N, A, N, N, N, N, F, N}, true, on("/api/v1/subsidy-applications/%s/withdraw", "application", nil), ""},
		{"POST", "/api/v1/subsidy-applications/:id/review", "", w{U, F, F, F, F, F, F, A, F}, true, on("/api/v1/subsidy-applications/%s/review", "application", approve), ""},
		{"POST", "/api/v1/subsidy-applications/:id/disburse", "", w{U, F, F, F, F, F, F, A, F}, true, on("/api/v1/subsidy-applications/%s/disburse", "approved", disburse), ""},

		// Statistics: the bureau reads everything, an operator its own
		// market; platform admins too (StatsQuery.Authorize).
		{"GET", "/api/v1/stats/overview", "", w{U, F, F, F, F, A, A, A, A}, false, fixed("/api/v1/stats/overview", nil), ""},
		{"GET", "/api/v1/stats/overview", "market=guizhong", w{U, F, F, F, F, F, A, A, A}, false, fixed("/api/v1/stats/overview?market=guizhong", nil), ""},

		// The audit trail: platform admins and the bureau.
		{"GET", "/api/v1/audit", "", w{U, F, F, F, F, F, F, A, A}, false, fixed("/api/v1/audit?limit=100", nil), ""},
		{"GET", "/api/v1/audit/verify", "", w{U, F, F, F, F, F, F, A, A}, false, fixed("/api/v1/audit/verify", nil), ""},
	}
	cs = append(cs, pricingCases()...)
	cs = append(cs, sharingAuthzCases()...)
	for _, p := range publicRoutes {
		cs = append(cs, authzCase{"GET", p, "public", all, false, fixed(p, nil), ""})
	}
	return cs
}

// TestAuthorizationMatrix sends every route, as every role, and checks the
// answer against the matrix above. Refusals and reads run first, on the
// shared fixtures, and must leave no trace (no audit event, no stored
// file); changes the matrix allows run after, each on a fresh target. A
// route without a row fails the test, so a new route cannot ship without
// its authorization written down.
func TestAuthorizationMatrix(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			// The matrix is about who may do what; the limits have tests
			// of their own and would only count its many requests here.
			e := apptest.New(t, b, func(c *config.Config) { c.RateLimit, c.LoginIPLimit = 0, 1000 })
			runAuthzMatrix(t, e)
		})
	}
}

func runAuthzMatrix(t *testing.T, e *apptest.Env) {
	f := newAuthzFixtures(t, e)
	cases := authzCases()

	// Every registered route has a row; rows of routes not (yet)
	// registered are skipped.
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.method+" "+c.route] = true
	}
	var missing []string
	for r := range f.routes {
		if !covered[r] {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes without a row in the authorization matrix (authz_matrix_test.go):\n\t%s", strings.Join(missing, "\n\t"))
	}
	var skipped []string
	for r := range covered {
		if !f.routes[r] {
			skipped = append(skipped, r)
		}
	}
	sort.Strings(skipped)
	for _, r := range skipped {
		t.Logf("authorization row skipped: %s is not registered", r)
	}

	events := func() int { return count(t, e, "audit_events", "") }
	filesDir := filepath.Join(e.Sys.Cfg.DataDir, "files")
	if e.Sys.Cfg.FilesDir != "" {
		filesDir = e.Sys.Cfg.FilesDir
	}
	eventsBefore, filesBefore := events(), countFiles(t, filesDir)

	n := 0
	run := func(phase int) {
		for _, c := range cases {
			if !f.routes[c.method+" "+c.route] {
				continue
			}
			for r := range nRoles {
				change := c.mutates && c.want[r] == A
				if change != (phase == 2) {
					continue
				}
				req := c.req(f, r, change)
				if req.skip != "" {
					t.Logf("%s %s [%s] as %s: skipped: %s", c.method, c.route, c.variant, r, req.skip)
					continue
				}
				token := f.org[r].Token
				if req.as != "" {
					token = req.as
				}
				res := e.Do(c.method, req.path, token, req.body, req.headers...)
				got := res.Status
				if c.listed != "" && got == 200 {
					got = N
					id := f.id(c.listed)
					if slices.ContainsFunc(res.Items(), func(it map[string]any) bool { return it["id"] == id }) {
						got = 200
					}
				}
				if !outcomeIs(c.want[r], got) {
					t.Errorf("%s %s [%s] as %s: got %d, want %s: %.300s", c.method, c.route, c.variant, r, got, outcomeName(c.want[r]), res.Body)
				}
				if res.Status >= 400 {
					if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
						t.Errorf("%s %s as %s: refusal with Content-Type %q", c.method, req.path, r, ct)
					}
				}
				if bcryptHash.Match(res.Body) || bytes.Contains(res.Body, []byte("password_hash")) {
					t.Errorf("%s %s as %s: the answer holds a password hash: %.300s", c.method, req.path, r, res.Body)
				}
				n++
			}
		}
	}
	run(1)
	if got := events(); got != eventsBefore {
		t.Errorf("refused requests and reads wrote %d audit events", got-eventsBefore)
	}
	if got := countFiles(t, filesDir); got != filesBefore {
		t.Errorf("refused requests and reads stored %d files", got-filesBefore)
	}
	run(2)
	t.Logf("%d requests over %d rows", n, len(cases))

	// Whatever the matrix did, the audit chain still holds.
	if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
		t.Errorf("audit chain broken after the matrix: %v", v)
	}
}

func outcomeIs(want, got int) bool {
	if want == A {
		return got >= 200 && got < 300
	}
	return got == want
}

func outcomeName(want int) string {
	switch want {
	case A:
		return "allowed (2xx)"
	case C:
		return "allowed but in the wrong state (409)"
	}
	return fmt.Sprint(want)
}

// countFiles counts the regular files under dir.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
