package httpapi

import (
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// hitCommon is what every search hit carries, in the resource's own field
// names (SPEC "A search hit carries the resource's own field names").
// Contact details are not in the index, so they cannot leak here.
type hitCommon struct {
	ID          string            `json:"id"`
	Kind        search.Kind       `json:"kind"`
	Title       string            `json:"title"`
	Industry    string            `json:"industry"`
	Keywords    []string          `json:"keywords"`
	RegionCode  string            `json:"region_code"`
	OrgID       string            `json:"org_id"`
	OrgName     string            `json:"org_name"`
	PublishedAt time.Time         `json:"published_at"`
	Formatted   map[string]string `json:"_formatted"`
}

type achievementHit struct {
	hitCommon
	Summary        string   `json:"summary"`
	TransferModes  []string `json:"transfer_modes"`
	Maturity       string   `json:"maturity"`
	AskingPriceFen int64    `json:"asking_price_fen"`
}

type demandHit struct {
	hitCommon
	Description      string   `json:"description"`
	CooperationModes []string `json:"cooperation_modes"`
	BudgetMinFen     int64    `json:"budget_min_fen"`
	BudgetMaxFen     int64    `json:"budget_max_fen"`
	Deadline         *string  `json:"deadline"`
}

// hitJSON shapes one hit like the resource it is: summary, transfer_modes
// and asking_price_fen on an achievement; description, cooperation_modes,
// budgets and deadline on a demand. _formatted names the highlighted body
// the same way (summary or description) beside title.
func hitJSON(h search.Hit) any {
	body := "summary"
	if h.Kind == search.KindDemand {
		body = "description"
	}
	f := map[string]string{"title": h.Formatted["title"], body: h.Formatted["body"]}
	c := hitCommon{
		ID: h.ID, Kind: h.Kind, Title: h.Title, Industry: h.Industry, Keywords: nonNilStrings(h.Keywords),
		RegionCode: h.RegionCode, OrgID: h.OrgID, OrgName: h.OrgName, PublishedAt: h.PublishedAt, Formatted: f,
	}
	if h.Kind == search.KindDemand {
		var deadline *string
		if h.Deadline != "" {
			deadline = &h.Deadline
		}
		return demandHit{hitCommon: c, Description: h.Body, CooperationModes: nonNilStrings(h.Modes),
			BudgetMinFen: h.BudgetMinFen, BudgetMaxFen: h.BudgetMaxFen, Deadline: deadline}
	}
	return achievementHit{hitCommon: c, Summary: h.Body, TransferModes: nonNilStrings(h.Modes),
		Maturity: h.Maturity, AskingPriceFen: h.PriceFen}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
