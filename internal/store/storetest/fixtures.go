package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/blackbox"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
)

// Password is the password of every user the fixtures create.
const Password = "pass-word-1"

var seq atomic.Int64

// Admin returns a context acting as a platform admin.
func Admin() context.Context {
	return market.WithActor(context.Background(), &market.Actor{UserID: "platform-admin", PlatformAdmin: true, Role: market.RoleAdmin})
}

// Registration returns a valid registration of kind with a fresh credit
// code and admin account.
func Registration(kind string) market.Registration {
	n := seq.Add(1)
	r := market.Registration{Kind: kind, Name: fmt.Sprintf("测试%s单位%d", kind, n), CreditCode: blackbox.CreditCode(),
		RegionCode: "450206", ContactName: "联系人", ContactPhone: "0772-1234567",
		Admin: market.NewUser{Account: fmt.Sprintf("admin%d@example.com", n), Password: Password, Name: "管理员"}}
	if kind == market.OrgOperator {
		r.Market = market.MarketLiuzhou
	}
	return r
}

// Org is a stored org and a context acting as its first admin, as the
// server would build it from a token.
type Org struct {
	*market.Org
	Admin market.User
	Ctx   context.Context
}

// MustCreateOrg registers an org of kind (operators and the bureau through
// a platform admin), verifies it when verified is true, and signs its
// admin in.
func MustCreateOrg(tb testing.TB, db *store.DB, kind string, verified bool) Org {
	tb.Helper()
	ctx := context.Background()
	if kind == market.OrgOperator || kind == market.OrgGovernment {
		ctx = Admin()
	}
	o, err := store.NewOrgService(db).Register(ctx, Registration(kind))
	if err != nil {
		tb.Fatalf("register %s: %v", kind, err)
	}
	if verified && !o.Verified {
		if o, err = store.NewOrgService(db).VerifyOrg(Admin(), o.ID); err != nil {
			tb.Fatalf("verify %s: %v", kind, err)
		}
	}
	users, err := store.NewOrgService(db).ListUsers(Admin(), o.ID)
	if err != nil || len(users) != 1 {
		tb.Fatalf("users of %s: %v %v", o.ID, users, err)
	}
	return Org{Org: o, Admin: users[0], Ctx: MustActAs(tb, db, users[0].ID)}
}

// MustActAs returns a context acting as the user, loaded as a token check
// loads it.
func MustActAs(tb testing.TB, db *store.DB, userID string) context.Context {
	tb.Helper()
	a, err := store.NewSessionService(db).LoadActor(context.Background(), userID, "test-session")
	if err != nil {
		tb.Fatalf("load actor %s: %v", userID, err)
	}
	return market.WithActor(context.Background(), a)
}

// Demand returns a valid demand input.
func Demand() market.DemandInput {
	title, desc, ind, region := "汽车车身轻量化技术需求", "我公司需要降低整备质量的车身减重方案，目标减重百分之十以上。", "automotive", "450206"
	modes, keywords := []string{"transfer", "joint_development"}, []string{"减重", "车身"}
	lo, hi := int64(10_000_000), int64(50_000_000)
	return market.DemandInput{Title: &title, Description: &desc, Industry: &ind, Keywords: &keywords,
		CooperationModes: &modes, BudgetMinFen: &lo, BudgetMaxFen: &hi, RegionCode: &region,
		Contact: &market.Contact{Name: "王工", Phone: "13877200000"}}
}

// Achievement returns a valid achievement input.
func Achievement() market.AchievementInput {
	title, summary, ind, region, maturity := "碳纤维复合材料车身轻量化技术", "采用碳纤维增强复合材料替代钢制部件，实现车身轻量化。", "automotive", "450205", "pilot"
	modes, keywords := []string{"transfer", "license"}, []string{"轻量化", "碳纤维"}
	price := int64(30_000_000)
	return market.AchievementInput{Title: &title, Summary: &summary, Industry: &ind, Keywords: &keywords,
		Maturity: &maturity, TransferModes: &modes, AskingPriceFen: &price, RegionCode: &region,
		Contact: &market.Contact{Name: "李老师", Phone: "0772-2685000"}}
}

// MustCreateItem creates a draft of kind owned by the org ctx acts for.
func MustCreateItem(tb testing.TB, db *store.DB, ctx context.Context, kind market.ItemKind, in market.ItemPatch) *market.Item {
	tb.Helper()
	it, err := store.NewItemService(db).CreateItem(ctx, kind, in)
	if err != nil {
		tb.Fatalf("create %s: %v", kind, err)
	}
	return it
}

// MustPublish creates an item of kind for owner, submits it and has
// reviewer approve it.
func MustPublish(tb testing.TB, db *store.DB, owner, reviewer context.Context, kind market.ItemKind, in market.ItemPatch) *market.Item {
	tb.Helper()
	id := MustCreateItem(tb, db, owner, kind, in).ID
	if _, err := store.NewItemService(db).SubmitItem(owner, kind, id); err != nil {
		tb.Fatalf("submit %s: %v", id, err)
	}
	it, err := store.NewItemService(db).ReviewItem(reviewer, kind, id, market.Review{Decision: "approve"})
	if err != nil {
		tb.Fatalf("approve %s: %v", id, err)
	}
	return it
}

// Count counts the rows of table matching where (may be empty).
func Count(tb testing.TB, db *store.DB, table, where string, args ...any) int {
	tb.Helper()
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}
