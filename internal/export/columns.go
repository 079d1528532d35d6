package export

import (
	"strconv"
	"strings"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// column is one column of the CSV and XLSX exports, which share them: a
// header in Chinese followed by its code, a width for the spreadsheet and
// the cell value of an item.
type column struct {
	header string
	width  float64
	value  func(*market.CatalogItem) any // string, int or yuan
}

// yuan is an amount kept in fen and shown in yuan with two decimals.
type yuan int64

func (y yuan) String() string {
	sign, v := "", int64(y)
	if v < 0 {
		sign, v = "-", -v
	}
	return sign + strconv.FormatInt(v/100, 10) + "." + strconv.FormatInt(v%100/10, 10) + strconv.FormatInt(v%10, 10)
}

// negotiable is what an asking price of 0 reads as.
const negotiable = "面议"

// listSep joins list values the way Chinese text enumerates.
const listSep = "、"

// chinaTime is the zone dates are shown in (UTC+8, no daylight saving).
var chinaTime = time.FixedZone("CST", 8*60*60)

func labels(codes []market.Code, values []string) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = market.Label(codes, v)
	}
	return strings.Join(out, listSep)
}

func regionName(code string) string {
	for _, r := range market.Regions {
		if r.Code == code {
			return r.Name
		}
	}
	return ""
}

// columns returns the columns of a catalog of kind, in order.
func columns(kind market.ItemKind) []column {
	head := []column{
		{"序号 seq", 6, func(it *market.CatalogItem) any { return it.Seq }},
		{"编号 id", 29, func(it *market.CatalogItem) any { return it.ItemID }},
		{"名称 title", 40, func(it *market.CatalogItem) any { return it.Title }},
		{"行业 industry", 14, func(it *market.CatalogItem) any { return market.Label(market.Industries, it.Industry) }},
	}
	org := "成果单位 org_name"
	if kind == market.KindDemand {
		org = "需求单位 org_name"
	}
	head = append(head,
		column{org, 30, func(it *market.CatalogItem) any { return it.OrgName }},
		column{"地区代码 region_code", 10, func(it *market.CatalogItem) any { return it.RegionCode }},
		column{"地区 region_name", 16, func(it *market.CatalogItem) any { return regionName(it.RegionCode) }},
		column{"关键词 keywords", 24, func(it *market.CatalogItem) any { return strings.Join(it.Keywords, listSep) }},
	)
	var body []column
	if kind == market.KindDemand {
		body = []column{
			{"合作方式 cooperation_modes", 24, func(it *market.CatalogItem) any { return labels(market.Modes, it.Modes) }},
			{"预算下限（元） budget_min_yuan", 16, func(it *market.CatalogItem) any { return yuan(it.BudgetMinFen) }},
			{"预算上限（元） budget_max_yuan", 16, func(it *market.CatalogItem) any { return yuan(it.BudgetMaxFen) }},
			{"截止日期 deadline", 12, func(it *market.CatalogItem) any { return it.Deadline }},
			{"需求描述 description", 60, func(it *market.CatalogItem) any { return it.Body }},
		}
	} else {
		body = []column{
			{"成熟度 maturity", 10, func(it *market.CatalogItem) any { return market.Label(market.Maturities, it.Maturity) }},
			{"转让方式 transfer_modes", 24, func(it *market.CatalogItem) any { return labels(market.Modes, it.Modes) }},
			{"转让价格（元） asking_price_yuan", 16, func(it *market.CatalogItem) any {
				if it.AskingPriceFen == 0 {
					return negotiable
				}
				return yuan(it.AskingPriceFen)
			}},
			{"专利号 patent_numbers", 24, func(it *market.CatalogItem) any { return strings.Join(it.PatentNumbers, listSep) }},
			{"发明人 inventors", 20, func(it *market.CatalogItem) any { return strings.Join(it.Inventors, listSep) }},
			{"成果简介 summary", 60, func(it *market.CatalogItem) any { return it.Body }},
		}
	}
	tail := column{"发布日期 published_at", 12, func(it *market.CatalogItem) any {
		if it.PublishedAt == nil {
			return ""
		}
		return it.PublishedAt.In(chinaTime).Format(time.DateOnly)
	}}
	return append(append(head, body...), tail)
}
