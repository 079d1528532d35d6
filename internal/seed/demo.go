// Package seed holds the demo data set loaded by `techmarket seed --demo`:
// organisations of both markets with their first admin accounts,
// technology demands and achievements in every lifecycle state, and the
// bureau's subsidy policy.
//
// The data lives in demo.json, embedded in the binary. All organisations,
// people, credit codes and patent numbers in it are invented; the credit
// codes carry valid GB 32100-2015 check characters so that they pass the
// same validation as real registrations.
package seed

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

//go:embed demo.json
var demoJSON []byte

// Demo is the demo data set.
type Demo struct {
	Orgs         []Org         `json:"orgs"`
	Demands      []Demand      `json:"demands"`
	Achievements []Achievement `json:"achievements"`
	// SubsidyPolicies are created by the government org named by OrgKey.
	SubsidyPolicies []SubsidyPolicy `json:"subsidy_policies"`
	// Sharing is instrument sharing and testing services (sharing.go).
	Sharing Sharing `json:"sharing"`
}

// SubsidyPolicy is a demo subsidy policy set by the org named by OrgKey,
// written as the body of POST /subsidy-policies.
type SubsidyPolicy struct {
	OrgKey string `json:"org_key"`
	market.SubsidyPolicyInput
}

// Org is a demo organisation and its first admin user. The seeder chooses
// the admin's password.
type Org struct {
	Key          string `json:"key"`  // stable handle used by items, e.g. "gxust"
	Kind         string `json:"kind"` // enterprise|university|institute|operator|government
	Name         string `json:"name"`
	CreditCode   string `json:"credit_code"`
	RegionCode   string `json:"region_code"`
	Market       string `json:"market,omitempty"` // operators only: liuzhou|guizhong
	ContactName  string `json:"contact_name"`
	ContactPhone string `json:"contact_phone"`
	AdminAccount string `json:"admin_account"` // phone number or e-mail address
	AdminName    string `json:"admin_name"`
}

// Demand is a demo technology demand (技术需求) of the org named by OrgKey.
type Demand struct {
	OrgKey           string   `json:"org_key"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Industry         string   `json:"industry"`
	Keywords         []string `json:"keywords"`
	CooperationModes []string `json:"cooperation_modes"`
	BudgetMinFen     int64    `json:"budget_min_fen"`
	BudgetMaxFen     int64    `json:"budget_max_fen"`
	Deadline         string   `json:"deadline"` // YYYY-MM-DD
	RegionCode       string   `json:"region_code"`
	ContactName      string   `json:"contact_name"`
	ContactPhone     string   `json:"contact_phone"`
	Status           string   `json:"status"`                     // draft|pending_review|published|rejected|closed
	RejectionReason  string   `json:"rejection_reason,omitempty"` // set when Status is rejected
}

// Achievement is a demo technology achievement (科技成果) of the org named
// by OrgKey. AskingPriceFen 0 means negotiable.
type Achievement struct {
	OrgKey          string   `json:"org_key"`
	Title           string   `json:"title"`
	Summary         string   `json:"summary"`
	Industry        string   `json:"industry"`
	Keywords        []string `json:"keywords"`
	TransferModes   []string `json:"transfer_modes"`
	Maturity        string   `json:"maturity"`
	AskingPriceFen  int64    `json:"asking_price_fen"`
	PatentNumbers   []string `json:"patent_numbers"`
	Inventors       []string `json:"inventors"`
	RegionCode      string   `json:"region_code"`
	ContactName     string   `json:"contact_name"`
	ContactPhone    string   `json:"contact_phone"`
	Status          string   `json:"status"`                     // draft|pending_review|published|rejected|closed
	RejectionReason string   `json:"rejection_reason,omitempty"` // set when Status is rejected
}

// Load parses the embedded demo data. Each call returns a fresh copy that
// the caller may modify. Unknown fields in the file are an error, so a typo
// in the data cannot silently drop a value.
func Load() (Demo, error) {
	var d Demo
	dec := json.NewDecoder(bytes.NewReader(demoJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Demo{}, fmt.Errorf("seed: parse demo.json: %w", err)
	}
	return d, nil
}
