package market

import "testing"

// The rules that used to live in store, matching and httpapi, table by
// table: who may submit, close and see the matches of an item, which orgs
// trade, which org filters are valid.

var (
	owner        = &Actor{UserID: "u1", OrgID: "o1", OrgKind: OrgEnterprise, OrgVerified: true}
	ownerPending = &Actor{UserID: "u2", OrgID: "o1", OrgKind: OrgEnterprise}
	stranger     = &Actor{UserID: "u3", OrgID: "o2", OrgKind: OrgEnterprise, OrgVerified: true}
	operator     = &Actor{UserID: "u4", OrgID: "o3", OrgKind: OrgOperator, OrgVerified: true, Market: "tech"}
	opPending    = &Actor{UserID: "u5", OrgID: "o4", OrgKind: OrgOperator, Market: "tech"}
	bureau       = &Actor{UserID: "u6", OrgID: "o5", OrgKind: OrgGovernment, OrgVerified: true}
	admin        = &Actor{UserID: "u7", PlatformAdmin: true}
)

func code(err error) string {
	if err == nil {
		return "ok"
	}
	return ErrorCode(err)
}

func TestItemRules(t *testing.T) {
	it := &Item{ID: "i1", Kind: KindDemand, OrgID: "o1", Status: StatusPublished}
	for _, tc := range []struct {
		name                   string
		a                      *Actor
		submit, close, matches string
	}{
		{"verified owner", owner, "ok", "ok", "ok"},
		{"unverified owner may not submit", ownerPending, EFORBIDDEN, "ok", "ok"},
		{"another org", stranger, EFORBIDDEN, EFORBIDDEN, EFORBIDDEN},
		{"verified operator", operator, EFORBIDDEN, "ok", "ok"},
		{"unverified operator", opPending, EFORBIDDEN, EFORBIDDEN, EFORBIDDEN},
		{"bureau", bureau, EFORBIDDEN, EFORBIDDEN, EFORBIDDEN},
		{"platform admin", admin, EFORBIDDEN, "ok", "ok"},
		{"anonymous", nil, EFORBIDDEN, EFORBIDDEN, EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := code(CanSubmitItem(tc.a, it)); got != tc.submit {
				t.Errorf("CanSubmitItem = %s, want %s", got, tc.submit)
			}
			if got := code(CanCloseItem(tc.a, it)); got != tc.close {
				t.Errorf("CanCloseItem = %s, want %s", got, tc.close)
			}
			if got := code(CanSeeMatches(tc.a, it)); got != tc.matches {
				t.Errorf("CanSeeMatches = %s, want %s", got, tc.matches)
			}
		})
	}
	if err := CanSubmitItem(ownerPending, it); err.Error() != "forbidden: your org must be verified before it publishes" {
		t.Errorf("message %q", err)
	}
	if err := CanSeeMatches(stranger, it); err.Error() != "forbidden: only the owner and market operators see matches" {
		t.Errorf("message %q", err)
	}
}

func TestCanTrade(t *testing.T) {
	for _, tc := range []struct {
		org  Org
		want string
	}{
		{Org{ID: "o1", Kind: OrgEnterprise, Verified: true}, ""},
		{Org{ID: "o1", Kind: OrgUniversity, Verified: true}, ""},
		{Org{ID: "o1", Kind: OrgInstitute, Verified: true}, ""},
		{Org{ID: "o1", Kind: OrgEnterprise}, "org o1 is not verified; only verified orgs trade"},
		{Org{ID: "o3", Kind: OrgOperator, Verified: true}, "a operator org does not buy or sell technology"},
		{Org{ID: "o5", Kind: OrgGovernment, Verified: true}, "a government org does not buy or sell technology"},
		// The kind is the first reason: an unverified operator never trades either.
		{Org{ID: "o4", Kind: OrgOperator}, "a operator org does not buy or sell technology"},
	} {
		if got := CanTrade(&tc.org); got != tc.want {
			t.Errorf("CanTrade(%s %s verified=%v) = %q, want %q", tc.org.Kind, tc.org.ID, tc.org.Verified, got, tc.want)
		}
	}
}

func TestOrgFilterValidate(t *testing.T) {
	for _, k := range []string{"", OrgEnterprise, OrgUniversity, OrgInstitute, OrgOperator, OrgGovernment} {
		if err := (OrgFilter{Kind: k}).Validate(); err != nil {
			t.Errorf("kind %q: %v", k, err)
		}
	}
	err := OrgFilter{Kind: "bank"}.Validate()
	if ErrorCode(err) != EINVALID || len(FieldNames(err)) != 1 || FieldNames(err)[0] != "kind" {
		t.Fatalf("kind bank: %v", err)
	}
}
