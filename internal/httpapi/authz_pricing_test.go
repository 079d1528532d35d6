package httpapi_test

// The price-discovery rows of the authorization matrix: notices, their
// objections and applications, auctions, registrations, deposits, bids.

import (
	"strings"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// pricingFixtures are the shared notice and auction fixtures: an active
// listing of the university with an objection of the other enterprise
// and an application of the owner enterprise; an open auction of the
// university where the owner enterprise is registered with its deposit
// paid and the other enterprise registered without; a cancelled auction
// (its feed ends at once); and a published achievement with neither.
type pricingFixtures struct {
	notice, objection, noticeApp string
	auction, registration        string
	closedAuction, achFree       string
}

func (f *authzFixtures) newPricingFixtures() {
	f.t.Helper()
	p := &f.pricing
	p.achFree = f.published("achievements", univ)
	p.notice = f.freshNotice()
	p.objection = f.freshObjection(p.notice)
	p.noticeApp = f.must(201, "POST", "/api/v1/notices/"+p.notice+"/applications", own, map[string]any{"message": "愿受让"}).Str("id")
	p.auction = f.freshAuction(own)
	p.registration = f.freshRegistration(p.auction)
	p.closedAuction = f.freshAuction()
	f.must(200, "POST", "/api/v1/auctions/"+p.closedAuction+"/cancel", univ, nil)
}

func (f *authzFixtures) freshNotice() string {
	f.t.Helper()
	return f.must(201, "POST", "/api/v1/notices", univ,
		noticeBody(f.published("achievements", univ), market.NoticeListing, "", time.Now(), 15)).Str("id")
}

// freshObjection is the other enterprise's open objection to notice.
func (f *authzFixtures) freshObjection(notice string) string {
	f.t.Helper()
	return notice + "/" + f.must(201, "POST", "/api/v1/notices/"+notice+"/objections", other, map[string]any{"reason": "挂牌价偏低"}).Str("id")
}

// freshAuction is an open auction of a fresh achievement of the
// university, with the paid registrations of bidders.
func (f *authzFixtures) freshAuction(bidders ...role) string {
	f.t.Helper()
	id := f.must(201, "POST", "/api/v1/auctions", univ, auctionBody(f.published("achievements", univ), time.Now(), time.Hour)).Str("id")
	for _, b := range bidders {
		rid := f.must(201, "POST", "/api/v1/auctions/"+id+"/registrations", b, nil).Str("id")
		f.must(200, "POST", "/api/v1/auctions/"+id+"/registrations/"+rid+"/deposit", opL, map[string]any{"voucher_no": uniqueNo("BZJ")})
	}
	return id
}

// freshRegistration is the other enterprise's unpaid registration on
// auction, as "auction/registration".
func (f *authzFixtures) freshRegistration(auction string) string {
	f.t.Helper()
	return auction + "/" + f.must(201, "POST", "/api/v1/auctions/"+auction+"/registrations", other, nil).Str("id")
}

// pricingID returns a shared pricing fixture, or a fresh one.
func (f *authzFixtures) pricingID(name string, fresh bool) (string, bool) {
	p := &f.pricing
	switch name {
	case "achFree":
		if fresh {
			return f.published("achievements", univ), true
		}
		return p.achFree, true
	case "notice":
		if fresh {
			return f.freshNotice(), true
		}
		return p.notice, true
	case "objection":
		if fresh {
			return f.freshObjection(f.freshNotice()), true
		}
		return p.objection, true
	case "objectionID":
		_, id, _ := strings.Cut(p.objection, "/")
		return id, true
	case "noticeApp":
		return p.noticeApp, true
	case "auction":
		if fresh {
			return f.freshAuction(own), true
		}
		return p.auction, true
	case "auctionBare": // a fresh one without registrations
		if fresh {
			return f.freshAuction(), true
		}
		return p.auction, true
	case "registration":
		if fresh {
			return f.freshRegistration(f.freshAuction()), true
		}
		return p.registration, true
	case "registrationID":
		_, id, _ := strings.Cut(p.registration, "/")
		return id, true
	case "closedAuction":
		return p.closedAuction, true
	}
	return "", false
}

// pair acts on a fixture held as "parent/child": format takes both.
func pair(format, fixture string, body func(f *authzFixtures, r role, id string) any) reqFunc {
	return func(f *authzFixtures, r role, fresh bool) authzReq {
		id, _ := f.pricingID(fixture, fresh)
		parent, child, _ := strings.Cut(id, "/")
		req := authzReq{path: strings.Replace(strings.Replace(format, "%s", parent, 1), "%s", child, 1)}
		if body != nil {
			req.body = body(f, r, id)
		}
		return req
	}
}

func noticeReq(f *authzFixtures, _ role, ach string) any {
	return noticeBody(ach, market.NoticeListing, "", time.Now(), 15)
}

func auctionReq(f *authzFixtures, _ role, ach string) any {
	return auctionBody(ach, time.Now(), time.Hour)
}

func objectionBody(*authzFixtures, role, string) any {
	return map[string]any{"reason": "价格明显偏低"}
}
func dismiss(*authzFixtures, role, string) any {
	return map[string]any{"upheld": false, "note": "合理"}
}
func bidBody(*authzFixtures, role, string) any { return map[string]any{"amount_fen": 100_000} }
func voucher(*authzFixtures, role, string) any { return map[string]any{"voucher_no": uniqueNo("BZJ")} }

// pricingCases are the matrix rows of price discovery, from SPEC's
// "Price discovery" section and the rules of market/notice.go and
// market/auction.go.
func pricingCases() []authzCase {
	all := w{A, A, A, A, A, A, A, A, A}
	return []authzCase{
		// Notices: the achievement's owner gives notice; anyone reads.
		{"POST", "/api/v1/notices", "", w{U, F, F, F, A, F, F, F, F}, true, on("/api/v1/notices", "achFree", noticeReq), ""},
		{"GET", "/api/v1/notices", "notice listed", all, false, fixed("/api/v1/notices?limit=100", nil), "notice"},
		{"GET", "/api/v1/notices/:id", "", all, false, on("/api/v1/notices/%s", "notice", nil), ""},
		{"POST", "/api/v1/notices/:id/cancel", "", w{U, F, F, F, A, F, F, F, F}, true, on("/api/v1/notices/%s/cancel", "notice", nil), ""},
		// Any verified org but the seller objects; operators resolve.
		{"POST", "/api/v1/notices/:id/objections", "", w{U, F, A, A, F, A, A, A, F}, true, on("/api/v1/notices/%s/objections", "notice", objectionBody), ""},
		{"GET", "/api/v1/notices/:id/objections", "objection listed", w{U, N, N, A, A, A, A, N, F}, false, on("/api/v1/notices/%s/objections", "notice", nil), "objectionID"},
		{"POST", "/api/v1/notices/:id/objections/:objection_id/resolve", "", w{U, F, F, F, F, A, A, F, F}, true, pair("/api/v1/notices/%s/objections/%s/resolve", "objection", dismiss), ""},
		// Verified enterprises apply to take a listing.
		{"POST", "/api/v1/notices/:id/applications", "", w{U, F, A, A, F, F, F, F, F}, true, on("/api/v1/notices/%s/applications", "notice", nil), ""},
		{"GET", "/api/v1/notices/:id/applications", "application listed", w{U, N, A, N, A, A, A, N, F}, false, on("/api/v1/notices/%s/applications", "notice", nil), "noticeApp"},

		// Auctions: the owner or an operator; anyone reads.
		{"POST", "/api/v1/auctions", "", w{U, F, F, F, A, A, A, F, F}, true, on("/api/v1/auctions", "achFree", auctionReq), ""},
		{"GET", "/api/v1/auctions", "auction listed", all, false, fixed("/api/v1/auctions?limit=100", nil), "auction"},
		{"GET", "/api/v1/auctions/:id", "", all, false, on("/api/v1/auctions/%s", "auction", nil), ""},
		{"GET", "/api/v1/auctions/:id/bids", "", all, false, on("/api/v1/auctions/%s/bids", "auction", nil), ""},
		{"GET", "/api/v1/auctions/:id/events", "cancelled", all, false, on("/api/v1/auctions/%s/events", "closedAuction", nil), ""},
		// The seller or an operator cancels (before the first bid).
		{"POST", "/api/v1/auctions/:id/cancel", "", w{U, F, F, F, A, A, A, F, F}, true, on("/api/v1/auctions/%s/cancel", "auction", nil), ""},
		// Verified enterprises and institutes register; operators record
		// deposits; registered bidders with a deposit bid.
		{"POST", "/api/v1/auctions/:id/registrations", "", w{U, F, A, A, F, F, F, F, F}, true, on("/api/v1/auctions/%s/registrations", "auctionBare", nil), ""},
		{"GET", "/api/v1/auctions/:id/registrations", "registration listed", w{U, N, N, A, A, A, A, N, F}, false, on("/api/v1/auctions/%s/registrations", "auction", nil), "registrationID"},
		{"POST", "/api/v1/auctions/:id/registrations/:registration_id/deposit", "", w{U, F, F, F, F, A, A, F, F}, true, pair("/api/v1/auctions/%s/registrations/%s/deposit", "registration", voucher), ""},
		{"POST", "/api/v1/auctions/:id/bids", "", w{U, F, A, F, F, F, F, F, F}, true, on("/api/v1/auctions/%s/bids", "auction", bidBody), ""},
	}
}
