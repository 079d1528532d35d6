package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
	"github.com/liuzhou-techmarket/techmarket/internal/subsidy"
)

// Services are what the seeder writes through. Going through the services
// rather than the tables means demo data is validated, audited and indexed
// like anything a user creates.
type Services struct {
	Orgs      market.OrgService
	Items     market.ItemService
	Subsidies subsidy.Service
	// Pricing, when set, adds notices and auctions to the demo.
	Pricing Pricing
	// Sharing, when set, loads the instruments, services, bookings and
	// orders of the demo set.
	Sharing *SharingServices
}

// Counts says what a seeding run created.
type Counts struct {
	Orgs, Demands, Achievements, SubsidyPolicies   int
	Notices, Auctions                              int
	Instruments, Bookings, Services, ServiceOrders int
}

// ErrAlreadyLoaded is returned when the demo orgs exist already.
var ErrAlreadyLoaded = market.Conflict("the demo data set is already loaded")

// Apply loads the demo set. Every org's admin gets password. Items reach
// their listed status through the real lifecycle (submit, review, close);
// subsidy policies are set by their government org.
func Apply(ctx context.Context, svc Services, d Demo, password string) (Counts, error) {
	var n Counts
	admin := market.WithActor(ctx, &market.Actor{PlatformAdmin: true, Role: market.RoleAdmin})
	orgs := map[string]*market.Org{}
	var operator *market.Org
	for _, o := range d.Orgs {
		org, err := svc.Orgs.Register(admin, market.Registration{
			Kind: o.Kind, Name: o.Name, CreditCode: o.CreditCode, RegionCode: o.RegionCode, Market: o.Market,
			ContactName: o.ContactName, ContactPhone: o.ContactPhone,
			Admin: market.NewUser{Account: o.AdminAccount, Password: password, Name: o.AdminName},
		})
		if market.ErrorCode(err) == market.ECONFLICT && n.Orgs == 0 {
			return n, ErrAlreadyLoaded
		}
		if err != nil {
			return n, fmt.Errorf("org %s: %w", o.Key, err)
		}
		orgs[o.Key] = org
		if o.Kind == market.OrgOperator && operator == nil {
			operator = org
		}
		n.Orgs++
	}
	if operator == nil {
		return n, fmt.Errorf("the demo set has no operator to review items")
	}
	reviewer := actorOf(ctx, operator)
	var published []pricedAchievement
	var enterprises []*market.Org
	for _, o := range d.Orgs {
		if o.Kind == market.OrgEnterprise {
			enterprises = append(enterprises, orgs[o.Key])
		}
	}
	for _, x := range d.Demands {
		in := market.DemandInput{Title: &x.Title, Description: &x.Description, Industry: &x.Industry,
			Keywords: &x.Keywords, CooperationModes: &x.CooperationModes, BudgetMinFen: &x.BudgetMinFen,
			BudgetMaxFen: &x.BudgetMaxFen, Deadline: &x.Deadline, RegionCode: &x.RegionCode,
			Contact: &market.Contact{Name: x.ContactName, Phone: x.ContactPhone}}
		if _, err := place(ctx, svc.Items, market.KindDemand, orgs[x.OrgKey], reviewer, in, x.Status, x.RejectionReason); err != nil {
			return n, fmt.Errorf("demand %q: %w", x.Title, err)
		}
		n.Demands++
	}
	for _, x := range d.Achievements {
		in := market.AchievementInput{Title: &x.Title, Summary: &x.Summary, Industry: &x.Industry,
			Keywords: &x.Keywords, Maturity: &x.Maturity, TransferModes: &x.TransferModes,
			AskingPriceFen: &x.AskingPriceFen, PatentNumbers: &x.PatentNumbers, Inventors: &x.Inventors,
			RegionCode: &x.RegionCode, Contact: &market.Contact{Name: x.ContactName, Phone: x.ContactPhone}}
		id, err := place(ctx, svc.Items, market.KindAchievement, orgs[x.OrgKey], reviewer, in, x.Status, x.RejectionReason)
		if err != nil {
			return n, fmt.Errorf("achievement %q: %w", x.Title, err)
		}
		if x.Status == market.StatusPublished && orgs[x.OrgKey].Kind != market.OrgEnterprise {
			published = append(published, pricedAchievement{id: id, owner: orgs[x.OrgKey], price: x.AskingPriceFen})
		}
		n.Achievements++
	}
	if len(d.SubsidyPolicies) > 0 && svc.Subsidies == nil {
		return n, fmt.Errorf("the demo set has subsidy policies but no subsidy service was given")
	}
	for _, x := range d.SubsidyPolicies {
		gov := orgs[x.OrgKey]
		if gov == nil || gov.Kind != market.OrgGovernment {
			return n, fmt.Errorf("subsidy policy %q: %q is not a government org of the demo set", deref(x.Name), x.OrgKey)
		}
		if _, err := svc.Subsidies.CreateSubsidyPolicy(actorOf(ctx, gov), x.SubsidyPolicyInput); err != nil {
			return n, fmt.Errorf("subsidy policy %q: %w", deref(x.Name), err)
		}
		n.SubsidyPolicies++
	}
	if svc.Pricing != nil {
		var err error
		if n.Notices, n.Auctions, err = applyPricing(ctx, svc.Pricing, published, enterprises, operator); err != nil {
			return n, err
		}
	}
	if err := applySharing(ctx, svc, d.Sharing, orgs, time.Now(), &n); err != nil {
		return n, fmt.Errorf("sharing: %w", err)
	}
	return n, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// actorOf acts as a verified member of org.
func actorOf(ctx context.Context, o *market.Org) context.Context {
	return market.WithActor(ctx, &market.Actor{OrgID: o.ID, OrgKind: o.Kind, OrgVerified: o.Verified,
		Market: o.Market, Role: market.RoleAdmin})
}

// place creates an item and walks it to status, and returns its id.
func place(ctx context.Context, items market.ItemService, kind market.ItemKind, owner *market.Org,
	reviewer context.Context, in market.ItemPatch, status, reason string) (string, error) {
	if owner == nil {
		return "", fmt.Errorf("unknown owner")
	}
	as := actorOf(ctx, owner)
	it, err := items.CreateItem(as, kind, in)
	if err != nil || status == market.StatusDraft {
		return idOf(it), err
	}
	if _, err := items.SubmitItem(as, kind, it.ID); err != nil || status == market.StatusPendingReview {
		return it.ID, err
	}
	review := market.Review{Decision: "approve"}
	if status == market.StatusRejected {
		review = market.Review{Decision: "reject", Reason: reason}
	}
	if _, err := items.ReviewItem(reviewer, kind, it.ID, review); err != nil {
		return it.ID, err
	}
	if status == market.StatusClosed {
		_, err = items.CloseItem(as, kind, it.ID)
	}
	return it.ID, err
}

func idOf(it *market.Item) string {
	if it == nil {
		return ""
	}
	return it.ID
}
