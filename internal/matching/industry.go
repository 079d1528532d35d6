package matching

// Chinese labels of the codes the reasons mention. They repeat the labels
// of GET /meta so that reasons read like the rest of the product.
var industryLabels = map[string]string{
	"automotive":         "汽车",
	"steel":              "钢铁",
	"machinery":          "机械",
	"chemical":           "化工及日化",
	"light_industry":     "轻工",
	"high_end_equipment": "高端装备制造",
	"electronic_info":    "新一代电子信息",
	"energy_environment": "节能环保",
	"bio_pharma":         "生物与制药",
	"producer_services":  "生产性服务业",
	"future_industries":  "未来产业",
}

var modeLabels = map[string]string{
	"transfer":          "技术转让",
	"license":           "技术许可",
	"equity":            "作价入股",
	"joint_development": "合作开发",
	"service":           "技术服务与咨询",
}

var maturityLabels = map[string]string{
	"lab":            "实验室",
	"small_trial":    "小试",
	"pilot":          "中试",
	"industrialized": "产业化",
}

// maturityScores prefers what an enterprise can put to work soon.
var maturityScores = map[string]float64{
	"industrialized": 1,
	"pilot":          0.85,
	"small_trial":    0.5,
	"lab":            0.3,
}

// affinity says how much an item of one industry is likely to serve the
// other, 0..1, symmetric. It encodes how technology moves between
// Liuzhou's industries: radar and chips (electronic_info) and autonomous
// driving (future_industries) go into cars, new materials (chemical) into
// cars and steel, steel's waste into energy_environment, and so on.
// Pairs not listed have no affinity.
var affinity = map[[2]string]float64{
	{"automotive", "steel"}:                     0.6,
	{"automotive", "machinery"}:                 0.6,
	{"automotive", "chemical"}:                  0.6,
	{"automotive", "electronic_info"}:           0.7,
	{"automotive", "future_industries"}:         0.7,
	{"automotive", "high_end_equipment"}:        0.6,
	{"automotive", "energy_environment"}:        0.5,
	{"steel", "machinery"}:                      0.5,
	{"steel", "chemical"}:                       0.5,
	{"steel", "energy_environment"}:             0.7,
	{"steel", "high_end_equipment"}:             0.5,
	{"machinery", "high_end_equipment"}:         0.8,
	{"machinery", "electronic_info"}:            0.5,
	{"machinery", "future_industries"}:          0.4,
	{"machinery", "energy_environment"}:         0.5,
	{"machinery", "chemical"}:                   0.4,
	{"chemical", "energy_environment"}:          0.6,
	{"chemical", "light_industry"}:              0.5,
	{"chemical", "bio_pharma"}:                  0.6,
	{"light_industry", "bio_pharma"}:            0.5,
	{"light_industry", "energy_environment"}:    0.5,
	{"light_industry", "electronic_info"}:       0.3,
	{"high_end_equipment", "electronic_info"}:   0.6,
	{"high_end_equipment", "future_industries"}: 0.6,
	{"electronic_info", "future_industries"}:    0.8,
	{"electronic_info", "energy_environment"}:   0.4,
	{"electronic_info", "producer_services"}:    0.5,
	{"producer_services", "future_industries"}:  0.4,
	{"producer_services", "high_end_equipment"}: 0.3,
	{"bio_pharma", "energy_environment"}:        0.3,
}

// industryAffinity returns 1 for the same industry, the table's value for
// related ones and 0 otherwise (also when either is unknown).
func industryAffinity(a, b string) float64 {
	if a == "" || b == "" {
		return 0
	}
	if a == b {
		return 1
	}
	if v, ok := affinity[[2]string{a, b}]; ok {
		return v
	}
	return affinity[[2]string{b, a}]
}

func label(labels map[string]string, code string) string {
	if l, ok := labels[code]; ok {
		return l
	}
	return code
}
