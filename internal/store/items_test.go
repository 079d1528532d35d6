package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/store"
	"github.com/liuzhou-techmarket/techmarket/internal/store/storetest"
)

func TestCreateItem(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		ent := storetest.MustCreateOrg(t, db, market.OrgEnterprise, false)
		uni := storetest.MustCreateOrg(t, db, market.OrgUniversity, true)

		d := storetest.MustCreateItem(t, db, ent.Ctx, market.KindDemand, storetest.Demand())
		if d.Status != market.StatusDraft || d.OrgID != ent.ID || d.OrgName != ent.Name || d.Contact == nil ||
			d.Kind != market.KindDemand || d.BudgetMaxFen != 50_000_000 || !slices.Equal(d.Modes, []string{"transfer", "joint_development"}) {
			t.Fatalf("demand: %+v", d)
		}
		got, err := store.NewItemService(db).FindItem(ent.Ctx, market.KindDemand, d.ID)
		if err != nil || got.Title != d.Title || !got.CreatedAt.Equal(d.CreatedAt) || !slices.Equal(got.Keywords, d.Keywords) {
			t.Fatalf("find: %+v %v", got, err)
		}
		// A demand is not an achievement.
		_, err = store.NewItemService(db).FindItem(ent.Ctx, market.KindAchievement, d.ID)
		wantCode(t, "find under the other kind", err, market.ENOTFOUND)
		if n := storetest.Count(t, db, "audit_events", "entity = 'demand' AND entity_id = ? AND action = 'create'", d.ID); n != 1 {
			t.Fatalf("%d create events", n)
		}
		// Drafts are not indexed.
		if n := storetest.Count(t, db, "search_outbox", "item_id = ?", d.ID); n != 0 {
			t.Fatal("a draft was queued for the search index")
		}
		storetest.MustCreateItem(t, db, uni.Ctx, market.KindAchievement, storetest.Achievement())
		storetest.MustCreateItem(t, db, ent.Ctx, market.KindAchievement, storetest.Achievement())

		items := storetest.Count(t, db, "items", "")
		_, err = store.NewItemService(db).CreateItem(uni.Ctx, market.KindDemand, storetest.Demand())
		wantCode(t, "university posts a demand", err, market.EFORBIDDEN)
		_, err = store.NewItemService(db).CreateItem(context.Background(), market.KindDemand, storetest.Demand())
		wantCode(t, "anonymous", err, market.EFORBIDDEN)
		_, err = store.NewItemService(db).CreateItem(storetest.Admin(), market.KindDemand, storetest.Demand())
		wantCode(t, "platform admin", err, market.EFORBIDDEN)
		bad := storetest.Demand()
		lo, hi, empty := int64(500), int64(100), ""
		bad.BudgetMinFen, bad.BudgetMaxFen, bad.Title = &lo, &hi, &empty
		_, err = store.NewItemService(db).CreateItem(ent.Ctx, market.KindDemand, bad)
		wantCode(t, "invalid demand", err, market.EINVALID, "title", "budget_max_fen")
		if storetest.Count(t, db, "items", "") != items {
			t.Fatal("a refused create stored an item")
		}
	})
}

// The lifecycle table holds in storage: each action from the states it
// allows, a conflict from any other, and published changes queued for the
// index in the same transaction.
func TestItemLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		ent := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		unverified := storetest.MustCreateOrg(t, db, market.OrgEnterprise, false)
		op := storetest.MustCreateOrg(t, db, market.OrgOperator, true)
		other := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		k := market.KindDemand
		approve, reject := market.Review{Decision: "approve"}, market.Review{Decision: "reject", Reason: "预算不明确"}

		d := storetest.MustCreateItem(t, db, ent.Ctx, k, storetest.Demand())
		// A draft stays with its owner: to the operator it does not exist.
		_, err := store.NewItemService(db).ReviewItem(op.Ctx, k, d.ID, approve)
		wantCode(t, "approve a draft", err, market.ENOTFOUND)
		_, err = store.NewItemService(db).SubmitItem(other.Ctx, k, d.ID)
		wantCode(t, "another org submits a draft it cannot see", err, market.ENOTFOUND)
		u := storetest.MustCreateItem(t, db, unverified.Ctx, k, storetest.Demand())
		_, err = store.NewItemService(db).SubmitItem(unverified.Ctx, k, u.ID)
		wantCode(t, "unverified org submits", err, market.EFORBIDDEN)

		s, err := store.NewItemService(db).SubmitItem(ent.Ctx, k, d.ID)
		if err != nil || s.Status != market.StatusPendingReview || s.SubmittedAt == nil {
			t.Fatalf("submit: %+v %v", s, err)
		}
		_, err = store.NewItemService(db).SubmitItem(ent.Ctx, k, d.ID)
		wantCode(t, "submit twice", err, market.ECONFLICT)
		title := "改过的标题"
		_, err = store.NewItemService(db).UpdateItem(ent.Ctx, k, d.ID, market.DemandInput{Title: &title})
		wantCode(t, "edit under review", err, market.ECONFLICT)
		_, err = store.NewItemService(db).ReviewItem(ent.Ctx, k, d.ID, approve)
		wantCode(t, "owner approves", err, market.EFORBIDDEN)
		_, err = store.NewItemService(db).ReviewItem(op.Ctx, k, d.ID, market.Review{Decision: "reject"})
		wantCode(t, "reject without a reason", err, market.EINVALID, "reason")

		r, err := store.NewItemService(db).ReviewItem(op.Ctx, k, d.ID, reject)
		if err != nil || r.Status != market.StatusRejected || r.RejectionReason != "预算不明确" {
			t.Fatalf("reject: %+v %v", r, err)
		}
		// Rejected: the owner edits and resubmits; then it is approved.
		if e, err := store.NewItemService(db).UpdateItem(ent.Ctx, k, d.ID, market.DemandInput{Title: &title}); err != nil || e.Status != market.StatusRejected || e.Title != title {
			t.Fatalf("edit rejected: %+v %v", e, err)
		}
		if _, err := store.NewItemService(db).SubmitItem(ent.Ctx, k, d.ID); err != nil {
			t.Fatal(err)
		}
		p, err := store.NewItemService(db).ReviewItem(op.Ctx, k, d.ID, approve)
		if err != nil || p.Status != market.StatusPublished || p.PublishedAt == nil || p.RejectionReason != "" {
			t.Fatalf("approve: %+v %v", p, err)
		}
		if n := storetest.Count(t, db, "search_outbox", "item_id = ?", d.ID); n != 1 {
			t.Fatalf("%d outbox rows after publishing, want 1", n)
		}
		_, err = store.NewItemService(db).ReviewItem(op.Ctx, k, d.ID, reject)
		wantCode(t, "reject a published item", err, market.ECONFLICT)

		// Published: only the owner edits, and it stays published.
		_, err = store.NewItemService(db).UpdateItem(other.Ctx, k, d.ID, market.DemandInput{Title: &title})
		wantCode(t, "another org edits", err, market.EFORBIDDEN)
		_, err = store.NewItemService(db).UpdateItem(op.Ctx, k, d.ID, market.DemandInput{Title: &title})
		wantCode(t, "operator edits", err, market.EFORBIDDEN)
		_, err = store.NewItemService(db).UpdateItem(context.Background(), k, d.ID, market.DemandInput{Title: &title})
		wantCode(t, "anonymous edits", err, market.EFORBIDDEN)
		t2 := "再改一次标题"
		if e, err := store.NewItemService(db).UpdateItem(ent.Ctx, k, d.ID, market.DemandInput{Title: &t2}); err != nil || e.Status != market.StatusPublished || e.Title != t2 {
			t.Fatalf("edit published: %+v %v", e, err)
		}
		_, err = store.NewItemService(db).CloseItem(other.Ctx, k, d.ID)
		wantCode(t, "another org closes", err, market.EFORBIDDEN)
		c, err := store.NewItemService(db).CloseItem(op.Ctx, k, d.ID) // operators may close
		if err != nil || c.Status != market.StatusClosed || c.ClosedAt == nil {
			t.Fatalf("close: %+v %v", c, err)
		}
		_, err = store.NewItemService(db).CloseItem(ent.Ctx, k, d.ID)
		wantCode(t, "close twice", err, market.ECONFLICT)
		_, err = store.NewItemService(db).UpdateItem(ent.Ctx, k, d.ID, market.DemandInput{Title: &title})
		wantCode(t, "edit closed", err, market.ECONFLICT)
		_, err = store.NewItemService(db).SubmitItem(ent.Ctx, k, d.ID)
		wantCode(t, "submit closed", err, market.ECONFLICT)
		// Publish, edit and close each queued an index update.
		if n := storetest.Count(t, db, "search_outbox", "item_id = ?", d.ID); n != 3 {
			t.Fatalf("%d outbox rows, want 3", n)
		}
		// Every change is in the audit trail (create, submit, reject, edit,
		// submit, approve, edit, close; refusals write nothing), and the
		// chain holds.
		if n := storetest.Count(t, db, "audit_events", "entity_id = ?", d.ID); n != 8 {
			t.Fatalf("%d audit events for the demand, want 8", n)
		}
		if v, err := store.NewAuditService(db).VerifyAudit(storetest.Admin()); err != nil || !v.OK {
			t.Fatalf("audit: %+v %v", v, err)
		}
		// The owner closes a draft too.
		if c, err := store.NewItemService(db).CloseItem(unverified.Ctx, k, u.ID); err != nil || c.Status != market.StatusClosed {
			t.Fatalf("close draft: %+v %v", c, err)
		}
	})
}

// A refused change leaves the row as it was.
func TestRefusedEditChangesNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		ent := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		d := storetest.MustCreateItem(t, db, ent.Ctx, market.KindDemand, storetest.Demand())
		title, bad := "不该保存的标题", "不是行业"
		_, err := store.NewItemService(db).UpdateItem(ent.Ctx, market.KindDemand, d.ID, market.DemandInput{Title: &title, Industry: &bad})
		wantCode(t, "bad industry", err, market.EINVALID, "industry")
		got, err := store.NewItemService(db).FindItem(ent.Ctx, market.KindDemand, d.ID)
		if err != nil || got.Title != d.Title || got.Industry != d.Industry || !got.UpdatedAt.Equal(d.UpdatedAt) {
			t.Fatalf("after a refused edit: %+v %v", got, err)
		}
		if n := storetest.Count(t, db, "audit_events", "entity_id = ?", d.ID); n != 1 {
			t.Fatalf("%d audit events, want the create only", n)
		}
	})
}

// A demand's deadline is checked when set or changed, against the date in
// Beijing; a published demand whose deadline has passed stays editable.
func TestItemDeadline(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		// 2 June 01:00 in Beijing, still 1 June in UTC.
		clk := newClock(time.Date(2026, 6, 1, 17, 0, 0, 0, time.UTC))
		db := storetest.OpenWith(t, dialect, store.Options{Now: clk.now})
		ent := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		op := storetest.MustCreateOrg(t, db, market.OrgOperator, true)
		in := storetest.Demand()
		yesterday := "2026-06-01"
		in.Deadline = &yesterday
		_, err := store.NewItemService(db).CreateItem(ent.Ctx, market.KindDemand, in)
		wantCode(t, "deadline of yesterday in Beijing", err, market.EINVALID, "deadline")
		deadline := "2026-06-10"
		in.Deadline = &deadline
		d := storetest.MustPublish(t, db, ent.Ctx, op.Ctx, market.KindDemand, in)

		clk.advance(30 * 24 * time.Hour) // the deadline has passed
		title := "已过截止日期仍可修改"
		e, err := store.NewItemService(db).UpdateItem(ent.Ctx, market.KindDemand, d.ID, market.DemandInput{Title: &title, Deadline: &deadline})
		if err != nil || e.Title != title || e.Deadline != deadline || e.Status != market.StatusPublished {
			t.Fatalf("edit past the deadline: %+v %v", e, err)
		}
		moved := "2026-06-20"
		_, err = store.NewItemService(db).UpdateItem(ent.Ctx, market.KindDemand, d.ID, market.DemandInput{Deadline: &moved})
		wantCode(t, "move the deadline to another past date", err, market.EINVALID, "deadline")
		later := "2026-12-31"
		if e, err := store.NewItemService(db).UpdateItem(ent.Ctx, market.KindDemand, d.ID, market.DemandInput{Deadline: &later}); err != nil || e.Deadline != later {
			t.Fatalf("move the deadline ahead: %+v %v", e, err)
		}
	})
}

// Lists: filters, newest first, cursor pages without gaps or repeats, and
// what each caller may see.
func TestListItems(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		ent := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		ent2 := storetest.MustCreateOrg(t, db, market.OrgEnterprise, true)
		op := storetest.MustCreateOrg(t, db, market.OrgOperator, true)
		gov := storetest.MustCreateOrg(t, db, market.OrgGovernment, true)
		k := market.KindDemand

		var published []string
		for i := range 7 {
			in := storetest.Demand()
			if i%2 == 1 {
				ind, region := "machinery", "450204"
				in.Industry, in.RegionCode = &ind, &region
			}
			owner := ent.Ctx
			if i >= 5 {
				owner = ent2.Ctx
			}
			published = append(published, storetest.MustPublish(t, db, owner, op.Ctx, k, in).ID)
		}
		draft := storetest.MustCreateItem(t, db, ent.Ctx, k, storetest.Demand()).ID
		pending := storetest.MustCreateItem(t, db, ent2.Ctx, k, storetest.Demand()).ID
		if _, err := store.NewItemService(db).SubmitItem(ent2.Ctx, k, pending); err != nil {
			t.Fatal(err)
		}
		storetest.MustCreateItem(t, db, ent.Ctx, market.KindAchievement, storetest.Achievement())

		ids := func(ctx context.Context, f market.ItemFilter) []string {
			t.Helper()
			f.Kind = k
			if f.Page.Limit == 0 {
				f.Page.Limit = 100
			}
			p, err := store.NewItemService(db).ListItems(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range p.Items {
				out = append(out, it.ID)
			}
			return out
		}
		newestFirst := func(s []string) []string {
			out := slices.Clone(s)
			slices.Sort(out)
			slices.Reverse(out)
			return out
		}
		all := newestFirst(published)

		// Anonymous callers see published items only, newest first, with
		// no contact details.
		if got := ids(context.Background(), market.ItemFilter{}); !slices.Equal(got, all) {
			t.Fatalf("anonymous list %v, want %v", got, all)
		}
		p, _ := store.NewItemService(db).ListItems(context.Background(), market.ItemFilter{Kind: k, Page: market.PageRequest{Limit: 1}})
		if p.Items[0].Contact != nil || p.Items[0].OrgName == "" {
			t.Fatalf("anonymous sees %+v", p.Items[0])
		}
		_, err := store.NewItemService(db).FindItem(context.Background(), k, draft)
		wantCode(t, "anonymous reads a draft", err, market.ENOTFOUND)
		_, err = store.NewItemService(db).FindItem(ent2.Ctx, k, draft)
		wantCode(t, "another org reads a draft", err, market.ENOTFOUND)
		// An org sees published items and its own.
		if got := ids(ent.Ctx, market.ItemFilter{}); !slices.Equal(got, newestFirst(append(slices.Clone(published), draft))) {
			t.Fatalf("owner list %v", got)
		}
		if got := ids(ent.Ctx, market.ItemFilter{OrgID: ent.ID, Status: market.StatusDraft}); !slices.Equal(got, []string{draft}) {
			t.Fatalf("own drafts %v", got)
		}
		if got := ids(ent2.Ctx, market.ItemFilter{OrgID: ent.ID, Status: market.StatusDraft}); len(got) != 0 {
			t.Fatalf("another org's drafts %v", got)
		}
		// Operators, the bureau and admins see every state from
		// pending_review on; other orgs' drafts stay with their owner.
		everything := newestFirst(append(slices.Clone(published), pending))
		for _, ctx := range []context.Context{op.Ctx, gov.Ctx, storetest.Admin()} {
			if got := ids(ctx, market.ItemFilter{}); !slices.Equal(got, everything) {
				t.Fatalf("full list %v, want %v", got, everything)
			}
			if got := ids(ctx, market.ItemFilter{OrgID: ent.ID, Status: market.StatusDraft}); len(got) != 0 {
				t.Fatalf("staff list another org's drafts: %v", got)
			}
			if _, err := store.NewItemService(db).FindItem(ctx, k, draft); market.ErrorCode(err) != market.ENOTFOUND {
				t.Fatalf("staff read another org's draft: %v", err)
			}
		}
		if got := ids(op.Ctx, market.ItemFilter{Status: market.StatusPendingReview}); !slices.Equal(got, []string{pending}) {
			t.Fatalf("review queue %v", got)
		}

		// Filters.
		var machinery, ent2Items []string
		for i, id := range published {
			if i%2 == 1 {
				machinery = append(machinery, id)
			}
			if i >= 5 {
				ent2Items = append(ent2Items, id)
			}
		}
		if got := ids(context.Background(), market.ItemFilter{Industry: "machinery"}); !slices.Equal(got, newestFirst(machinery)) {
			t.Fatalf("industry filter %v", got)
		}
		if got := ids(context.Background(), market.ItemFilter{RegionCode: "450204"}); !slices.Equal(got, newestFirst(machinery)) {
			t.Fatalf("region filter %v", got)
		}
		if got := ids(context.Background(), market.ItemFilter{OrgID: ent2.ID}); !slices.Equal(got, newestFirst(ent2Items)) {
			t.Fatalf("org filter %v", got)
		}
		if got := ids(context.Background(), market.ItemFilter{Industry: "machinery", RegionCode: "450206"}); len(got) != 0 {
			t.Fatalf("contradicting filters %v", got)
		}

		// Cursor pages of 3: 3 + 3 + 1, in order, the last without a cursor.
		var paged []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatal("paging does not end")
			}
			pr, err := market.ParsePage(cursor, "3")
			if err != nil {
				t.Fatal(err)
			}
			p, err := store.NewItemService(db).ListItems(context.Background(), market.ItemFilter{Kind: k, Page: pr})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				paged = append(paged, it.ID)
			}
			if p.NextCursor == "" {
				if len(p.Items) != 1 {
					t.Fatalf("last page holds %d items", len(p.Items))
				}
				break
			}
			if len(p.Items) != 3 {
				t.Fatalf("a page holds %d items", len(p.Items))
			}
			cursor = p.NextCursor
		}
		if !slices.Equal(paged, all) {
			t.Fatalf("paged %v, want %v", paged, all)
		}
		// A page may end exactly at the end.
		pr, _ := market.ParsePage("", "7")
		if p, _ := store.NewItemService(db).ListItems(context.Background(), market.ItemFilter{Kind: k, Page: pr}); len(p.Items) != 7 || p.NextCursor != "" {
			t.Fatalf("a page of exactly all items: %d items, cursor %q", len(p.Items), p.NextCursor)
		}
		if _, err := market.ParsePage("", "101"); market.ErrorCode(err) != market.EINVALID {
			t.Fatalf("limit 101: %v", err)
		}
	})
}
