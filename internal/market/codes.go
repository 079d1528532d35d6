package market

import "slices"

// Code is one enum value with its Chinese label, as served by GET /meta.
type Code struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// Region is one GB/T 2260 administrative division.
type Region struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Org kinds.
const (
	OrgEnterprise = "enterprise"
	OrgUniversity = "university"
	OrgInstitute  = "institute"
	OrgOperator   = "operator"
	OrgGovernment = "government"
)

// Markets.
const (
	MarketLiuzhou  = "liuzhou"
	MarketGuizhong = "guizhong"
)

// Enumerations, in the order clients show them.
var (
	Industries = []Code{
		{"automotive", "汽车"}, {"steel", "钢铁"}, {"machinery", "机械"},
		{"chemical", "化工及日化"}, {"light_industry", "轻工"},
		{"high_end_equipment", "高端装备制造"}, {"electronic_info", "新一代电子信息"},
		{"energy_environment", "节能环保"}, {"bio_pharma", "生物与制药"},
		{"producer_services", "生产性服务业"}, {"future_industries", "未来产业"},
	}
	Maturities = []Code{
		{"lab", "实验室"}, {"small_trial", "小试"}, {"pilot", "中试"}, {"industrialized", "产业化"},
	}
	Modes = []Code{
		{"transfer", "转让"}, {"license", "许可"}, {"equity", "作价入股"},
		{"joint_development", "合作开发"}, {"service", "技术服务与咨询"},
	}
	ContractTypes = []Code{
		{"development", "技术开发"}, {"transfer", "技术转让"}, {"license", "技术许可"},
		{"consulting", "技术咨询"}, {"service", "技术服务"},
	}
	Markets = []Code{
		{MarketLiuzhou, "柳州科技大市场"}, {MarketGuizhong, "桂中科技大市场"},
	}
	Channels = []Code{{"online", "线上"}, {"offline", "线下"}}
	OrgKinds = []Code{
		{OrgEnterprise, "企业"}, {OrgUniversity, "高校"}, {OrgInstitute, "科研院所"},
		{OrgOperator, "科技大市场运营方"}, {OrgGovernment, "市科技局"},
	}
	// Regions lists Liuzhou's divisions; orgs elsewhere carry their own
	// six-digit code, which is accepted by shape.
	Regions = []Region{
		{"450202", "城中区"}, {"450203", "鱼峰区"}, {"450204", "柳南区"}, {"450205", "柳北区"},
		{"450206", "柳江区"}, {"450222", "柳城县"}, {"450223", "鹿寨县"}, {"450224", "融安县"},
		{"450225", "融水苗族自治县"}, {"450226", "三江侗族自治县"},
	}
)

// HasCode reports whether code is one of codes.
func HasCode(codes []Code, code string) bool {
	return slices.ContainsFunc(codes, func(c Code) bool { return c.Code == code })
}

// Label returns the Chinese label of code, or code itself when unknown.
func Label(codes []Code, code string) string {
	for _, c := range codes {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// ValidRegionCode reports whether s has the shape of a GB/T 2260 county
// level code: six digits, not starting with 0.
func ValidRegionCode(s string) bool {
	if len(s) != 6 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsLiuzhouRegion reports whether a region code lies in Liuzhou (4502xx).
func IsLiuzhouRegion(s string) bool { return len(s) == 6 && s[:4] == "4502" }
