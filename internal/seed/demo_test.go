package seed

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// The code sets of the product spec ("Codes"), restated here so the data is
// checked against the contract rather than against itself.
var (
	industries = []string{"automotive", "steel", "machinery", "chemical", "light_industry",
		"high_end_equipment", "electronic_info", "energy_environment", "bio_pharma",
		"producer_services", "future_industries"}
	maturities = []string{"lab", "small_trial", "pilot", "industrialized"}
	modes      = []string{"transfer", "license", "equity", "joint_development", "service"}
	statuses   = []string{"draft", "pending_review", "published", "rejected", "closed"}
	orgKinds   = []string{"enterprise", "university", "institute", "operator", "government"}
	markets    = []string{"liuzhou", "guizhong"}
	// liuzhouRegions are the Liuzhou districts and counties listed in the spec.
	liuzhouRegions = []string{"450202", "450203", "450204", "450205", "450206",
		"450222", "450223", "450224", "450225", "450226"}
)

var (
	regionRE  = regexp.MustCompile(`^[1-8][0-9]{5}$`)
	phoneRE   = regexp.MustCompile(`^(0[0-9]{2,3}-[0-9]{7,8}|1[3-9][0-9]{9})$`)
	accountRE = regexp.MustCompile(`^(1[3-9][0-9]{9}|[a-z0-9.-]+@example\.com)$`)
	patentRE  = regexp.MustCompile(`^ZL([0-9]{12})\.([0-9X])$`)
)

func contains(set []string, v string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

func mustLoad(t *testing.T) Demo {
	t.Helper()
	d, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return d
}

// validRegion accepts the spec's Liuzhou codes and any other 6-digit code
// from outside Liuzhou; an unknown 4502xx code is a typo.
func validRegion(code string) bool {
	if !regionRE.MatchString(code) {
		return false
	}
	return contains(liuzhouRegions, code) || !strings.HasPrefix(code, "4502")
}

// patentCheck is the check digit of a 12-digit CN application number.
func patentCheck(digits string) byte {
	w := []int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5}
	sum := 0
	for i := 0; i < 12; i++ {
		sum += int(digits[i]-'0') * w[i]
	}
	if sum%11 == 10 {
		return 'X'
	}
	return byte('0' + sum%11)
}

func TestLoad(t *testing.T) {
	d := mustLoad(t)
	tests := []struct {
		name string
		got  int
		min  int
	}{
		{"orgs", len(d.Orgs), 25},
		{"demands", len(d.Demands), 80},
		{"achievements", len(d.Achievements), 80},
	}
	for _, tt := range tests {
		if tt.got < tt.min {
			t.Errorf("%d %s, want at least %d", tt.got, tt.name, tt.min)
		}
	}
	// Each call returns its own copy.
	d.Orgs[0].Name = "changed"
	if again := mustLoad(t); again.Orgs[0].Name == "changed" {
		t.Error("Load returned shared data")
	}
}

func TestOrgs(t *testing.T) {
	d := mustLoad(t)
	keys := map[string]bool{}
	codes := map[string]bool{}
	names := map[string]bool{}
	accounts := map[string]bool{}
	operators := map[string]int{}
	kinds := map[string]int{}
	for _, o := range d.Orgs {
		t.Run(o.Key, func(t *testing.T) {
			if o.Key == "" || keys[o.Key] {
				t.Errorf("key %q empty or duplicate", o.Key)
			}
			keys[o.Key] = true
			if !contains(orgKinds, o.Kind) {
				t.Errorf("kind %q", o.Kind)
			}
			kinds[o.Kind]++
			if !market.ValidCreditCode(o.CreditCode) {
				t.Errorf("credit code %q invalid", o.CreditCode)
			}
			if codes[o.CreditCode] {
				t.Errorf("credit code %q duplicate", o.CreditCode)
			}
			codes[o.CreditCode] = true
			if o.Name == "" || names[o.Name] {
				t.Errorf("name %q empty or duplicate", o.Name)
			}
			names[o.Name] = true
			if !validRegion(o.RegionCode) {
				t.Errorf("region %q", o.RegionCode)
			}
			if o.Kind == "operator" {
				if !contains(markets, o.Market) {
					t.Errorf("operator market %q", o.Market)
				}
				operators[o.Market]++
			} else if o.Market != "" {
				t.Errorf("market %q on a %s", o.Market, o.Kind)
			}
			if o.ContactName == "" || !phoneRE.MatchString(o.ContactPhone) {
				t.Errorf("contact %q %q", o.ContactName, o.ContactPhone)
			}
			if !accountRE.MatchString(o.AdminAccount) || accounts[o.AdminAccount] {
				t.Errorf("admin account %q malformed or duplicate", o.AdminAccount)
			}
			accounts[o.AdminAccount] = true
			if o.AdminName == "" {
				t.Error("admin name empty")
			}
		})
	}
	for _, m := range markets {
		if operators[m] != 1 {
			t.Errorf("%d operators for market %s, want 1", operators[m], m)
		}
	}
	if kinds["government"] < 1 || kinds["university"] < 3 || kinds["institute"] < 2 || kinds["enterprise"] < 15 {
		t.Errorf("org kinds %v: want government, universities, institutes and enterprises", kinds)
	}
}

// item is what demands and achievements have in common, so one set of
// checks covers both.
type item struct {
	orgKey, title, text, industry, region, status, reason string
	contactName, contactPhone                             string
	keywords, modes                                       []string
}

func (d Demo) items() map[string][]item {
	out := map[string][]item{}
	for _, x := range d.Demands {
		out["demands"] = append(out["demands"], item{x.OrgKey, x.Title, x.Description, x.Industry,
			x.RegionCode, x.Status, x.RejectionReason, x.ContactName, x.ContactPhone, x.Keywords, x.CooperationModes})
	}
	for _, x := range d.Achievements {
		out["achievements"] = append(out["achievements"], item{x.OrgKey, x.Title, x.Summary, x.Industry,
			x.RegionCode, x.Status, x.RejectionReason, x.ContactName, x.ContactPhone, x.Keywords, x.TransferModes})
	}
	return out
}

func TestItemsCommon(t *testing.T) {
	d := mustLoad(t)
	orgs := map[string]Org{}
	for _, o := range d.Orgs {
		orgs[o.Key] = o
	}
	for kind, items := range d.items() {
		t.Run(kind, func(t *testing.T) {
			titles := map[string]bool{}
			for i, it := range items {
				if _, ok := orgs[it.orgKey]; !ok {
					t.Errorf("%d %s: org_key %q does not resolve", i, it.title, it.orgKey)
				}
				if it.title == "" || titles[it.title] {
					t.Errorf("%d: title %q empty or duplicate", i, it.title)
				}
				titles[it.title] = true
				if n := utf8.RuneCountInString(it.text); n < 60 || n > 200 {
					t.Errorf("%s: text is %d characters, want 60-200", it.title, n)
				}
				if !contains(industries, it.industry) {
					t.Errorf("%s: industry %q", it.title, it.industry)
				}
				if !validRegion(it.region) {
					t.Errorf("%s: region %q", it.title, it.region)
				}
				if !contains(statuses, it.status) {
					t.Errorf("%s: status %q", it.title, it.status)
				}
				if (it.status == "rejected") != (it.reason != "") {
					t.Errorf("%s: status %q with rejection reason %q", it.title, it.status, it.reason)
				}
				if it.contactName == "" || !phoneRE.MatchString(it.contactPhone) {
					t.Errorf("%s: contact %q %q", it.title, it.contactName, it.contactPhone)
				}
				if n := len(it.keywords); n < 3 || n > 6 {
					t.Errorf("%s: %d keywords, want 3-6", it.title, n)
				}
				seen := map[string]bool{}
				for _, k := range it.keywords {
					if k == "" || seen[k] {
						t.Errorf("%s: keyword %q empty or repeated", it.title, k)
					}
					seen[k] = true
				}
				if len(it.modes) == 0 {
					t.Errorf("%s: no modes", it.title)
				}
				seen = map[string]bool{}
				for _, m := range it.modes {
					if !contains(modes, m) || seen[m] {
						t.Errorf("%s: mode %q unknown or repeated", it.title, m)
					}
					seen[m] = true
				}
			}
		})
	}
}

func TestDemands(t *testing.T) {
	d := mustLoad(t)
	orgs := map[string]Org{}
	for _, o := range d.Orgs {
		orgs[o.Key] = o
	}
	for _, x := range d.Demands {
		if k := orgs[x.OrgKey].Kind; k != "enterprise" {
			t.Errorf("%s: owned by a %s, want enterprise", x.Title, k)
		}
		if x.BudgetMinFen <= 0 || x.BudgetMinFen > x.BudgetMaxFen {
			t.Errorf("%s: budget %d..%d", x.Title, x.BudgetMinFen, x.BudgetMaxFen)
		}
		deadline, err := time.Parse(time.DateOnly, x.Deadline)
		if err != nil || deadline.Year() != 2027 {
			t.Errorf("%s: deadline %q, want a 2027 date", x.Title, x.Deadline)
		}
	}
}

func TestAchievements(t *testing.T) {
	d := mustLoad(t)
	orgs := map[string]Org{}
	for _, o := range d.Orgs {
		orgs[o.Key] = o
	}
	patents := map[string]bool{}
	fromEnterprises, negotiable := 0, 0
	for _, x := range d.Achievements {
		switch k := orgs[x.OrgKey].Kind; k {
		case "university", "institute":
		case "enterprise":
			fromEnterprises++
		default:
			t.Errorf("%s: owned by a %s", x.Title, k)
		}
		if !contains(maturities, x.Maturity) {
			t.Errorf("%s: maturity %q", x.Title, x.Maturity)
		}
		if x.AskingPriceFen < 0 {
			t.Errorf("%s: asking price %d", x.Title, x.AskingPriceFen)
		}
		if x.AskingPriceFen == 0 {
			negotiable++
		}
		if len(x.Inventors) == 0 {
			t.Errorf("%s: no inventors", x.Title)
		}
		for _, p := range x.PatentNumbers {
			m := patentRE.FindStringSubmatch(p)
			if m == nil || m[2][0] != patentCheck(m[1]) {
				t.Errorf("%s: patent number %q malformed or wrong check digit", x.Title, p)
				continue
			}
			if patents[p] {
				t.Errorf("%s: patent number %q listed twice", x.Title, p)
			}
			patents[p] = true
		}
	}
	if fromEnterprises == 0 || fromEnterprises*5 > len(d.Achievements) {
		t.Errorf("%d achievements from enterprises, want a few", fromEnterprises)
	}
	if negotiable == 0 {
		t.Error("no achievement with a negotiable (0) price")
	}
}

// TestCoverage checks the data set exercises every code and both markets,
// so search facets, matching and catalogs have something to show.
func TestCoverage(t *testing.T) {
	d := mustLoad(t)
	got := map[string]map[string]bool{} // set name → values present
	add := func(set, v string) {
		if got[set] == nil {
			got[set] = map[string]bool{}
		}
		got[set][v] = true
	}
	for _, x := range d.Demands {
		add("demand industry", x.Industry)
		add("demand status", x.Status)
		add("demand region", x.RegionCode)
		for _, m := range x.CooperationModes {
			add("demand mode", m)
		}
	}
	for _, x := range d.Achievements {
		add("achievement industry", x.Industry)
		add("achievement status", x.Status)
		add("achievement maturity", x.Maturity)
		add("achievement region", x.RegionCode)
		for _, m := range x.TransferModes {
			add("achievement mode", m)
		}
	}
	tests := []struct {
		set  string
		want []string
	}{
		{"demand industry", industries},
		{"achievement industry", industries},
		{"demand status", statuses},
		{"achievement status", statuses},
		{"demand mode", modes},
		{"achievement mode", modes},
		{"achievement maturity", maturities},
	}
	for _, tt := range tests {
		for _, v := range tt.want {
			if !got[tt.set][v] {
				t.Errorf("%s: no item with %q", tt.set, v)
			}
		}
	}

	// Items from the district of each market's operator, and from outside Liuzhou.
	for _, o := range d.Orgs {
		if o.Kind != "operator" {
			continue
		}
		if !got["demand region"][o.RegionCode] && !got["achievement region"][o.RegionCode] {
			t.Errorf("market %s: no item from its district %s", o.Market, o.RegionCode)
		}
	}
	outside := 0
	for _, set := range []string{"demand region", "achievement region"} {
		for r := range got[set] {
			if !strings.HasPrefix(r, "4502") {
				outside++
			}
		}
	}
	if outside == 0 {
		t.Error("no item from outside Liuzhou")
	}
}
