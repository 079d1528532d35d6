package bleve_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/search"
)

// synth generates Chinese listings from word lists, deterministically: the
// same seed gives the same documents, so benchmark runs compare.
type synth struct {
	r *rand.Rand
}

func newSynth(seed uint64) *synth { return &synth{r: rand.New(rand.NewPCG(seed, 20261126))} }

// industryWords are, per industry, the technologies and the things they
// work on.
var industryWords = map[string]struct{ techs, objects []string }{
	"automotive": {
		[]string{"轻量化", "热管理", "毫米波雷达", "电驱动", "电池管理系统", "混合动力", "车联网", "减振降噪", "热冲压", "激光焊接"},
		[]string{"白车身", "电池包", "底盘", "座椅骨架", "防撞梁", "内饰件", "驱动电机", "充电桩", "车门", "转向系统"},
	},
	"steel": {
		[]string{"超低排放", "连铸", "热轧", "冷轧", "氢冶金", "余热回收", "表面处理", "热处理", "废钢", "高炉"},
		[]string{"钢渣", "烧结烟气", "高强钢", "不锈钢板", "螺纹钢", "连铸坯", "转炉", "轧辊", "钢管", "焊丝"},
	},
	"machinery": {
		[]string{"数控机床", "液压系统", "故障诊断", "精密加工", "3D打印", "铸造", "模具", "减速器", "轴承", "齿轮传动"},
		[]string{"装载机", "挖掘机", "起重机", "叉车", "压路机", "发动机缸体", "变速箱", "主轴", "液压泵", "履带"},
	},
	"chemical": {
		[]string{"复合材料", "涂料", "胶粘剂", "催化剂", "改性塑料", "阻燃", "可降解", "石墨烯", "纳米材料", "精细化工"},
		[]string{"树脂", "聚丙烯", "橡胶制品", "洗涤剂", "化妆品", "碳纤维", "涂层", "表面活性剂", "薄膜", "粉体"},
	},
	"light_industry": {
		[]string{"杀菌", "发酵", "保鲜", "制糖", "印染", "近红外检测", "模塑", "干燥", "提取", "包装"},
		[]string{"螺蛳粉", "酸笋", "米粉", "蔗渣", "糖蜜", "六堡茶", "茶叶", "胶合板", "桉树", "纺织品"},
	},
	"high_end_equipment": {
		[]string{"机器视觉", "数字孪生", "工业机器人", "伺服", "PLC", "无损检测", "AGV", "传感器", "运动控制", "智能制造"},
		[]string{"产线", "焊装线", "装配线", "仓储", "检测设备", "轨道交通", "数控系统", "焊缝", "夹具", "料框"},
	},
	"electronic_info": {
		[]string{"5G", "物联网", "边缘计算", "芯片", "北斗", "大数据", "云计算", "区块链", "嵌入式", "网络安全"},
		[]string{"网关", "终端", "传感网络", "显示屏", "电路板", "功率模块", "定位终端", "数据平台", "通信模组", "服务器"},
	},
	"energy_environment": {
		[]string{"污水处理", "脱硫", "脱硝", "除尘", "光伏", "储能", "碳捕集", "VOCs", "资源化利用", "电池回收"},
		[]string{"废水", "固废", "烟气", "污泥", "微电网", "退役电池", "废气", "土壤", "余热", "垃圾"},
	},
	"bio_pharma": {
		[]string{"提取", "发酵", "体外诊断", "基因检测", "仿制药", "益生菌", "中药", "壮药", "纯化", "制剂"},
		[]string{"罗汉果", "试剂盒", "疫苗", "医疗器械", "保健食品", "中药材", "胶囊", "原料药", "酶", "抗体"},
	},
	"producer_services": {
		[]string{"工业设计", "检验检测", "知识产权", "供应链管理", "MES", "ERP", "电子商务", "物流", "技术咨询", "软件开发"},
		[]string{"中小企业", "生产排程", "质量追溯", "仓储管理", "产品外观", "专利布局", "检测报告", "订单", "数据治理", "培训"},
	},
	"future_industries": {
		[]string{"人工智能", "无人驾驶", "虚拟现实", "增强现实", "大模型", "无人机", "计算机视觉", "服务机器人", "自然语言处理", "低空经济"},
		[]string{"物流车", "巡检", "安全培训", "知识问答", "园区配送", "导览", "质检", "客服", "仿真", "航拍"},
	},
}

var (
	industries = func() []string {
		out := make([]string, 0, len(industryWords))
		for k := range industryWords {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}()
	maturities = []string{"lab", "small_trial", "pilot", "industrialized"}
	modes      = []string{"transfer", "license", "equity", "joint_development", "service"}
	regions    = []string{"450202", "450203", "450204", "450205", "450206", "450222", "450223", "450224", "450225", "450226", "450103", "440305"}
	prefixes   = []string{"高效", "新型", "低成本", "绿色", "智能化", "高可靠", "一体化", "柔性", "快速", "精密"}
	suffixes   = []string{"技术", "工艺", "系统", "装置", "方法", "平台", "关键技术", "成套装备"}
	problems   = []string{"能耗高", "效率低", "成本高", "质量不稳定", "排放超标", "寿命短", "依赖进口", "人工多", "精度不足", "良品率低"}
	metrics    = []string{"效率", "良品率", "寿命", "强度", "精度", "产能", "回收率", "收率"}
	places     = []string{"柳州", "鹿寨", "柳江", "来宾", "南宁", "桂林", "玉林"}
	stages     = []string{"实验室验证", "小试", "中试", "示范应用", "批量生产"}
)

func (s *synth) pick(list []string) string { return list[s.r.IntN(len(list))] }

func (s *synth) some(list []string, n int) []string {
	out := make([]string, 0, n)
	for _, i := range s.r.Perm(len(list))[:n] {
		out = append(out, list[i])
	}
	return out
}

// achievement returns the i-th synthetic achievement.
func (s *synth) achievement(i int) search.Document {
	ind := s.pick(industries)
	w := industryWords[ind]
	tech, tech2, obj := s.pick(w.techs), s.pick(w.techs), s.pick(w.objects)
	title := s.pick(prefixes) + obj + tech + s.pick(suffixes)
	body := fmt.Sprintf("本成果针对%s%s的问题，采用%s与%s相结合的方法，使%s提高%d%%，已在%s完成%s。%s",
		obj, s.pick(problems), tech, tech2, s.pick(metrics), 5+s.r.IntN(60), s.pick(places), s.pick(stages),
		strings.Repeat("相关工艺参数经过多轮试验优化，具备推广条件。", 1+s.r.IntN(3)))
	price := int64(0)
	if s.r.IntN(5) > 0 {
		price = int64(1+s.r.IntN(500)) * 10_000 * 100
	}
	return search.Document{
		ID: fmt.Sprintf("a%06d", i), Kind: search.KindAchievement, OrgID: fmt.Sprintf("u%03d", s.r.IntN(300)),
		Title: title, Keywords: []string{tech, obj, tech2}, Body: body, Industry: ind,
		Maturity: s.pick(maturities), Modes: s.some(modes, 1+s.r.IntN(2)), RegionCode: s.pick(regions),
		PriceFen:    price,
		PublishedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.r.IntN(1000*24)) * time.Hour),
	}
}

// demand returns the i-th synthetic demand, worded as an enterprise would.
func (s *synth) demand(i int) search.Document {
	ind := s.pick(industries)
	w := industryWords[ind]
	tech, obj := s.pick(w.techs), s.pick(w.objects)
	lo := int64(10+s.r.IntN(200)) * 10_000 * 100
	return search.Document{
		ID: fmt.Sprintf("d%06d", i), Kind: search.KindDemand, OrgID: fmt.Sprintf("e%03d", s.r.IntN(300)),
		Title:    obj + s.pick(problems) + "，寻求" + tech + "方案",
		Keywords: []string{obj, tech},
		Body:     fmt.Sprintf("我公司%s环节%s，希望引入%s相关技术，预算可商议。", obj, s.pick(problems), tech),
		Industry: ind, Modes: s.some(modes, 1+s.r.IntN(2)), RegionCode: s.pick(regions),
		BudgetMinFen: lo, BudgetMaxFen: lo * 3,
		PublishedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.r.IntN(600*24)) * time.Hour),
	}
}

// query returns a varied user query: text of one or two terms or none,
// sometimes filters, a sort, a page.
func (s *synth) query() search.Query {
	q := search.Query{Kind: search.KindAchievement, Limit: 20, Page: 1}
	ind := s.pick(industries)
	w := industryWords[ind]
	switch s.r.IntN(10) {
	case 0: // browse
	case 1, 2, 3:
		q.Text = s.pick(w.techs)
	case 4, 5, 6:
		q.Text = s.pick(w.techs) + " " + s.pick(w.objects)
	case 7:
		q.Text = s.pick(w.objects) + s.pick(w.techs) // one word, cut by the thesaurus
	default:
		q.Text = s.pick(prefixes) + s.pick(w.objects)
	}
	if s.r.IntN(3) == 0 {
		q.Industries = []string{ind}
	}
	if s.r.IntN(4) == 0 {
		q.Maturities = []string{"pilot", "industrialized"}
	}
	if s.r.IntN(5) == 0 {
		lo, hi := int64(100_000_000), int64(1_000_000_000)
		q.MinFen, q.MaxFen = &lo, &hi
	}
	q.Sort = []string{"", "", "", "newest", "price_asc", "price_desc"}[s.r.IntN(6)]
	if s.r.IntN(5) == 0 {
		q.Page = 2 + s.r.IntN(4)
	}
	return q
}
