package searchtest

import (
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// yuan converts yuan to fen.
func yuan(y int64) int64 { return y * 100 }

// Achievements is the achievement fixture. Its texts are chosen so each
// assertion has one clear answer: only a1 says 轻量化 (and nobody says 减重),
// only a2 says 杀菌/保鲜 (and nobody says 灭菌), only a5 says PLC.
func Achievements() []search.Document {
	return []search.Document{
		{
			ID: "a1", Kind: search.KindAchievement, OrgID: "u1", OrgName: "广西科技大学",
			Title:    "新能源汽车车身轻量化铝合金材料",
			Keywords: []string{"轻量化", "铝合金", "车身"},
			Body:     "采用高强度铝合金挤压型材替代传统钢制结构，白车身质量降低百分之三十，已在柳州整车厂完成中试验证。",
			Industry: "automotive", Maturity: "pilot", Modes: []string{"transfer", "license"},
			RegionCode: "450204", PriceFen: yuan(3_000_000), PublishedAt: day("2026-01-10"),
		},
		{
			ID: "a2", Kind: search.KindAchievement, OrgID: "u2", OrgName: "柳州职业技术学院",
			Title:    "柳州螺蛳粉常温保鲜杀菌工艺",
			Keywords: []string{"螺蛳粉", "杀菌", "常温"},
			Body:     "针对袋装米粉与酸笋包，采用梯度热处理与栅栏技术，货架期延长至六个月。",
			Industry: "light_industry", Maturity: "industrialized", Modes: []string{"transfer"},
			RegionCode: "450202", PriceFen: yuan(800_000), PublishedAt: day("2026-03-01"),
		},
		{
			ID: "a3", Kind: search.KindAchievement, OrgID: "u1", OrgName: "广西科技大学",
			Title:    "基于5G的AGV智能调度系统",
			Keywords: []string{"5G", "AGV", "调度"},
			Body:     "面向汽车总装车间的移动机器人集群调度平台，低时延通信保障多车协同。",
			Industry: "high_end_equipment", Maturity: "small_trial", Modes: []string{"joint_development"},
			RegionCode: "450205", PriceFen: 0, PublishedAt: day("2026-02-15"),
		},
		{
			ID: "a4", Kind: search.KindAchievement, OrgID: "u3", OrgName: "柳钢技术中心",
			Title:    "高强钢热冲压成形技术",
			Keywords: []string{"高强钢", "热冲压"},
			Body:     "1500兆帕级热成形钢板的加热、冲压与淬火一体化工艺，适用于汽车防撞梁。",
			Industry: "steel", Maturity: "industrialized", Modes: []string{"license", "service"},
			RegionCode: "450203", PriceFen: yuan(1_500_000), PublishedAt: day("2025-12-01"),
		},
		{
			ID: "a5", Kind: search.KindAchievement, OrgID: "u4", OrgName: "深圳某研究院",
			Title:    "PLC控制的污水处理自动化系统",
			Keywords: []string{"PLC", "污水处理"},
			Body:     "基于可编程控制器与在线水质监测，实现曝气量自动调节，吨水电耗下降百分之十五。",
			Industry: "energy_environment", Maturity: "pilot", Modes: []string{"service"},
			RegionCode: "440305", PriceFen: yuan(300_000), PublishedAt: day("2026-04-01"),
		},
		{
			ID: "a6", Kind: search.KindAchievement, OrgID: "u1", OrgName: "广西科技大学",
			Title:    "碳纤维复合材料电池包壳体",
			Keywords: []string{"碳纤维", "电池包", "复合材料"},
			Body:     "以碳纤维增强环氧树脂替代钢制电池托盘，兼顾碰撞安全与阻燃性能。",
			Industry: "automotive", Maturity: "lab", Modes: []string{"joint_development", "equity"},
			RegionCode: "450204", PriceFen: yuan(10_000_000), PublishedAt: day("2026-05-01"),
		},
	}
}

// Demands is the demand fixture.
func Demands() []search.Document {
	return []search.Document{
		{
			ID: "d1", Kind: search.KindDemand, OrgID: "e1", OrgName: "柳州某汽车零部件公司",
			Title:    "汽车零部件减重技术需求",
			Keywords: []string{"减重", "汽车零部件"},
			Body:     "寻求可降低整车质量的新材料或结构优化方案，目标单件减重百分之十五。",
			Industry: "automotive", Modes: []string{"transfer", "joint_development"},
			RegionCode: "450206", BudgetMinFen: yuan(1_000_000), BudgetMaxFen: yuan(3_000_000),
			PublishedAt: day("2026-02-01"),
		},
		{
			ID: "d2", Kind: search.KindDemand, OrgID: "e2", OrgName: "柳州某食品公司",
			Title:    "螺蛳粉生产线自动化改造",
			Keywords: []string{"螺蛳粉", "自动化生产线"},
			Body:     "希望实现米粉煮制、包装与装箱环节的自动化，减少人工。",
			Industry: "light_industry", Modes: []string{"service"},
			RegionCode: "450202", BudgetMinFen: yuan(5_000_000), BudgetMaxFen: yuan(8_000_000),
			PublishedAt: day("2026-03-10"),
		},
		{
			ID: "d3", Kind: search.KindDemand, OrgID: "e3", OrgName: "融安某茶厂",
			Title:    "茶叶加工品质检测",
			Keywords: []string{"茶叶", "品质"},
			Body:     "需要快速判断毛茶含水率与香气等级的方法。",
			Industry: "light_industry", Modes: []string{"service"},
			RegionCode: "450224", BudgetMinFen: 0, BudgetMaxFen: yuan(500_000),
			PublishedAt: day("2026-01-20"),
		},
	}
}

// Ranking is a small fixture for MatchAny and field weights: r1 holds all
// three query terms, r2 the first two, r3 the first; r4 has 柔性显示 in
// its title and r5 only in its body.
func Ranking() []search.Document {
	doc := func(id, title, body string) search.Document {
		return search.Document{
			ID: id, Kind: search.KindAchievement, Title: title, Body: body,
			Industry: "chemical", Maturity: "lab", RegionCode: "450205",
			PublishedAt: day("2026-06-01"),
		}
	}
	return []search.Document{
		doc("r1", "石墨烯导热散热膜", "用于手机与电池的高效热扩散。"),
		doc("r2", "石墨烯导热涂层", "涂覆于金属表面。"),
		doc("r3", "石墨烯电极材料", "提高超级电容器容量。"),
		doc("r4", "柔性显示基板", "聚酰亚胺薄膜。"),
		doc("r5", "透明聚酰亚胺薄膜", "可用于柔性显示与触控面板。"),
	}
}
