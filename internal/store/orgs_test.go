package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

// wantCode fails unless err carries the domain code, and, when fields are
// given, names exactly those fields.
func wantCode(t *testing.T, what string, err error, code string, fields ...string) {
	t.Helper()
	if market.ErrorCode(err) != code {
		t.Fatalf("%s: %v (%s), want %s", what, err, market.ErrorCode(err), code)
	}
	if len(fields) == 0 {
		return
	}
	var me *market.Error
	errors.As(err, &me)
	var got []string
	for _, f := range me.Fields {
		got = append(got, f.Field)
	}
	if len(got) != len(fields) {
		t.Fatalf("%s: fields %v, want %v", what, got, fields)
	}
	for i := range got {
		if got[i] != fields[i] {
			t.Fatalf("%s: fields %v, want %v", what, got, fields)
		}
	}
}

func TestRegisterOrg(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		r := storetest.Registration(market.OrgEnterprise)
		r.Admin.Account = "  Boss@Example.COM "
		o, err := store.NewOrgService(db).Register(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if o.ID == "" || o.Verified || o.VerifiedAt != nil || o.Kind != market.OrgEnterprise || o.CreditCode != r.CreditCode {
			t.Fatalf("registered: %+v", o)
		}
		users, err := store.NewOrgService(db).ListUsers(storetest.Admin(), o.ID)
		if err != nil || len(users) != 1 {
			t.Fatalf("users: %v %v", users, err)
		}
		if u := users[0]; u.Account != "boss@example.com" || u.Role != market.RoleAdmin || u.OrgID != o.ID || u.PlatformAdmin {
			t.Fatalf("first admin: %+v", u)
		}
		// The password is kept as a slow hash, never in clear.
		cred, err := store.NewSessionService(db).FindCredentials(context.Background(), "boss@example.com")
		if err != nil || cred.PasswordHash == storetest.Password || len(cred.PasswordHash) < 50 {
			t.Fatalf("credentials: %+v %v", cred, err)
		}
		if n := storetest.Count(t, db, "audit_events", "entity = 'org' AND entity_id = ? AND action = 'register'", o.ID); n != 1 {
			t.Fatalf("%d register events", n)
		}
		got, err := store.NewOrgService(db).FindOrg(storetest.Admin(), o.ID)
		if err != nil || got.Name != r.Name || !got.CreatedAt.Equal(o.CreatedAt) {
			t.Fatalf("find: %+v %v", got, err)
		}

		// Operators and the bureau only through a platform admin, and then
		// verified at once.
		for _, kind := range []string{market.OrgOperator, market.OrgGovernment} {
			_, err := store.NewOrgService(db).Register(context.Background(), storetest.Registration(kind))
			wantCode(t, "public "+kind, err, market.EFORBIDDEN)
			made, err := store.NewOrgService(db).Register(storetest.Admin(), storetest.Registration(kind))
			if err != nil || !made.Verified || made.VerifiedAt == nil {
				t.Fatalf("%s by the admin: %+v %v", kind, made, err)
			}
		}
		// Invalid registrations store nothing.
		orgs, users0 := storetest.Count(t, db, "orgs", ""), storetest.Count(t, db, "users", "")
		bad := storetest.Registration(market.OrgEnterprise)
		bad.CreditCode, bad.Admin.Account = "91450200MA5KXXXXX0", "not an account"
		_, err = store.NewOrgService(db).Register(context.Background(), bad)
		wantCode(t, "invalid", err, market.EINVALID, "credit_code", "admin.account")
		if storetest.Count(t, db, "orgs", "") != orgs || storetest.Count(t, db, "users", "") != users0 {
			t.Fatal("an invalid registration stored something")
		}
	})
}

// A credit code or an admin account already taken is a conflict naming
// the body field, and the transaction leaves nothing behind.
func TestRegisterDuplicates(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		first := storetest.Registration(market.OrgEnterprise)
		if _, err := store.NewOrgService(db).Register(context.Background(), first); err != nil {
			t.Fatal(err)
		}
		orgs, users := storetest.Count(t, db, "orgs", ""), storetest.Count(t, db, "users", "")
		again := storetest.Registration(market.OrgUniversity)
		again.CreditCode = first.CreditCode
		_, err := store.NewOrgService(db).Register(context.Background(), again)
		wantCode(t, "same credit code", err, market.ECONFLICT, "credit_code")

		again = storetest.Registration(market.OrgUniversity)
		again.Admin.Account = "ADMIN" + first.Admin.Account[len("admin"):] // another case of the same email
		_, err = store.NewOrgService(db).Register(context.Background(), again)
		wantCode(t, "same account in capitals", err, market.ECONFLICT, "admin.account")
		if storetest.Count(t, db, "orgs", "") != orgs || storetest.Count(t, db, "users", "") != users {
			t.Fatal("a refused registration left rows behind")
		}
		// An account that happens to contain "credit_code" is still an
		// account conflict.
		odd := storetest.Registration(market.OrgEnterprise)
		odd.Admin.Account = "credit_code@example.com"
		if _, err := store.NewOrgService(db).Register(context.Background(), odd); err != nil {
			t.Fatal(err)
		}
		odd2 := storetest.Registration(market.OrgEnterprise)
		odd2.Admin.Account = "credit_code@example.com"
		_, err = store.NewOrgService(db).Register(context.Background(), odd2)
		wantCode(t, "account containing credit_code", err, market.ECONFLICT, "admin.account")
	})
}

// Many registrations of one credit code at once: exactly one wins.
func TestRegisterConcurrentCreditCode(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		code := storetest.Registration(market.OrgEnterprise).CreditCode
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := storetest.Registration(market.OrgEnterprise)
				r.CreditCode = code
				_, errs[i] = store.NewOrgService(db).Register(context.Background(), r)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch market.ErrorCode(err) {
			case "":
				won++
			case market.ECONFLICT:
			default:
				t.Fatalf("register: %v", err)
			}
		}
		if won != 1 || storetest.Count(t, db, "orgs", "credit_code = ?", code) != 1 || storetest.Count(t, db, "users", "") != 1 {
			t.Fatalf("%d registrations won, want 1", won)
		}
	})
}

func TestVerifyOrg(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		ent := storetest.MustCreateOrg(t, db, market.OrgEnterprise, false)
		other := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		_, err := store.NewOrgService(db).VerifyOrg(other.Ctx, ent.ID)
		wantCode(t, "verify by an enterprise", err, market.EFORBIDDEN)
		_, err = store.NewOrgService(db).VerifyOrg(ent.Ctx, ent.ID)
		wantCode(t, "verify itself", err, market.EFORBIDDEN)
		_, err = store.NewOrgService(db).VerifyOrg(context.Background(), ent.ID)
		wantCode(t, "anonymous", err, market.EFORBIDDEN)

		op := storetest.MustCreateOrg(t, db, market.OrgOperator, true)
		v, err := store.NewOrgService(db).VerifyOrg(op.Ctx, ent.ID)
		if err != nil || !v.Verified || v.VerifiedAt == nil || v.UpdatedAt.Before(ent.UpdatedAt) {
			t.Fatalf("verified: %+v %v", v, err)
		}
		_, err = store.NewOrgService(db).VerifyOrg(storetest.Admin(), ent.ID)
		wantCode(t, "verify twice", err, market.ECONFLICT)
		_, err = store.NewOrgService(db).VerifyOrg(storetest.Admin(), "01HZZZZZZZZZZZZZZZZZZZZZZZ")
		wantCode(t, "unknown org", err, market.ENOTFOUND)
		if n := storetest.Count(t, db, "audit_events", "entity = 'org' AND entity_id = ? AND action = 'verify'", ent.ID); n != 1 {
			t.Fatalf("%d verify events", n)
		}
		// The actor loaded after verification knows it.
		ctx := storetest.MustActAs(t, db, ent.Admin.ID)
		if a := market.ActorFrom(ctx); !a.OrgVerified || a.OrgID != ent.ID || a.OrgKind != market.OrgEnterprise || a.Role != market.RoleAdmin {
			t.Fatalf("actor: %+v", a)
		}

		// Listing: operators, the bureau and admins; filters hold.
		f := false
		page, err := store.NewOrgService(db).ListOrgs(op.Ctx, market.OrgFilter{Verified: &f, Page: market.PageRequest{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Items {
			if o.Verified {
				t.Fatalf("verified=false lists %s", o.ID)
			}
		}
		_, err = store.NewOrgService(db).ListOrgs(ent.Ctx, market.OrgFilter{Page: market.PageRequest{Limit: 10}})
		wantCode(t, "list by an enterprise", err, market.EFORBIDDEN)
		_, err = store.NewOrgService(db).FindOrg(other.Ctx, ent.ID)
		wantCode(t, "read another org", err, market.EFORBIDDEN)
	})
}

func TestUsersAndRoles(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		org := storetest.MustCreateOrg(t, db, market.OrgUniversity, true)
		other := storetest.MustCreateOrg(t, db, market.OrgUniversity, true)

		m, err := store.NewOrgService(db).AddUser(org.Ctx, org.ID, market.NewUser{Account: " 13877201234 ", Password: "pass-word-2", Name: " 成员 "})
		if err != nil || m.Role != market.RoleMember || m.Account != "13877201234" || m.Name != "成员" || m.OrgID != org.ID {
			t.Fatalf("member: %+v %v", m, err)
		}
		a2, err := store.NewOrgService(db).AddUser(org.Ctx, org.ID, market.NewUser{Account: "Second@Example.com", Password: "pass-word-2", Name: "副管理员", Role: market.RoleAdmin})
		if err != nil || a2.Role != market.RoleAdmin || a2.Account != "second@example.com" {
			t.Fatalf("second admin: %+v %v", a2, err)
		}
		// Only the org's own admins add users.
		member := storetest.MustActAs(t, db, m.ID)
		_, err = store.NewOrgService(db).AddUser(member, org.ID, market.NewUser{Account: "x@example.com", Password: "pass-word-2", Name: "某"})
		wantCode(t, "member adds", err, market.EFORBIDDEN)
		_, err = store.NewOrgService(db).AddUser(other.Ctx, org.ID, market.NewUser{Account: "x@example.com", Password: "pass-word-2", Name: "某"})
		wantCode(t, "another org's admin adds", err, market.EFORBIDDEN)
		_, err = store.NewOrgService(db).AddUser(storetest.Admin(), org.ID, market.NewUser{Account: "x@example.com", Password: "pass-word-2", Name: "某"})
		wantCode(t, "platform admin adds", err, market.EFORBIDDEN)
		// Taken accounts, in any case, and bad fields.
		users := storetest.Count(t, db, "users", "")
		_, err = store.NewOrgService(db).AddUser(org.Ctx, org.ID, market.NewUser{Account: "SECOND@example.com", Password: "pass-word-2", Name: "某"})
		wantCode(t, "duplicate account", err, market.ECONFLICT, "account")
		_, err = store.NewOrgService(db).AddUser(org.Ctx, org.ID, market.NewUser{Account: other.Admin.Account, Password: "pass-word-2", Name: "某"})
		wantCode(t, "account of another org", err, market.ECONFLICT, "account")
		_, err = store.NewOrgService(db).AddUser(org.Ctx, org.ID, market.NewUser{Account: "y@example.com", Password: "short", Name: "某", Role: "owner"})
		wantCode(t, "bad user", err, market.EINVALID, "password", "role")
		if storetest.Count(t, db, "users", "") != users {
			t.Fatal("refused users were stored")
		}

		list, err := store.NewOrgService(db).ListUsers(member, org.ID)
		if err != nil || len(list) != 3 || list[0].ID != org.Admin.ID {
			t.Fatalf("members list: %+v %v", list, err)
		}
		_, err = store.NewOrgService(db).ListUsers(other.Ctx, org.ID)
		wantCode(t, "list another org", err, market.EFORBIDDEN)
		if a := market.ActorFrom(member); a.Role != market.RoleMember || a.OrgID != org.ID || a.PlatformAdmin {
			t.Fatalf("member actor: %+v", a)
		}

		// Platform admins belong to no org.
		pa, err := store.NewOrgService(db).CreatePlatformAdmin(context.Background(), market.NewUser{Account: "Root@Example.com", Password: "root-pass-1", Name: "平台"})
		if err != nil || !pa.PlatformAdmin || pa.OrgID != "" || pa.Account != "root@example.com" {
			t.Fatalf("platform admin: %+v %v", pa, err)
		}
		_, err = store.NewOrgService(db).CreatePlatformAdmin(context.Background(), market.NewUser{Account: "ROOT@example.com", Password: "root-pass-1", Name: "平台"})
		wantCode(t, "duplicate platform admin", err, market.ECONFLICT, "account")
		if a := market.ActorFrom(storetest.MustActAs(t, db, pa.ID)); !a.PlatformAdmin || a.OrgID != "" {
			t.Fatalf("platform admin actor: %+v", a)
		}
		me, err := store.NewSessionService(db).Me(storetest.MustActAs(t, db, pa.ID))
		if err != nil || me.Org != nil || me.User.ID != pa.ID {
			t.Fatalf("me: %+v %v", me, err)
		}
	})
}

// Accounts compare exactly: the store finds the normalised spelling only,
// on MariaDB as on SQLite (the column is utf8mb4_bin there).
func TestAccountsCompareExactly(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		org := storetest.MustCreateOrg(t, db, market.OrgEnterprise, false)
		if _, err := store.NewSessionService(db).FindCredentials(context.Background(), org.Admin.Account); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"ADMIN" + org.Admin.Account[len("admin"):], " " + org.Admin.Account} {
			if _, err := store.NewSessionService(db).FindCredentials(context.Background(), v); market.ErrorCode(err) != market.ENOTFOUND {
				t.Fatalf("FindCredentials(%q): %v, want not found", v, err)
			}
		}
		if n := storetest.Count(t, db, "users", "account = ?", "ADMIN"+org.Admin.Account[len("admin"):]); n != 0 {
			t.Fatalf("the account column folds case on %s", dialect)
		}
		// Rows written behind the service's back in another case stay
		// apart from the normalised one: the unique index is exact too.
		_, err := db.SQL().Exec(`INSERT INTO users (id, org_id, account, password_hash, name, role, platform_admin, created_at, updated_at)
			VALUES ('01HZZZZZZZZZZZZZZZZZZZZZZZ', NULL, ?, 'x', 'x', 'admin', TRUE, ?, ?)`,
			"ADMIN"+org.Admin.Account[len("admin"):], org.CreatedAt, org.CreatedAt)
		if err != nil {
			t.Fatalf("insert a case variant: %v", err)
		}
	})
}
