package blackbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Password is the password of every account this package creates.
const Password = "blackbox-pass-2026"

// Client sends requests to one or more instances of the service, in turn.
type Client struct {
	URLs []string // base URLs, e.g. http://127.0.0.1:8080
	HTTP *http.Client
	next atomic.Uint64
}

// NewClient returns a client for the base URLs, keeping up to conns
// connections open to each. Every URL must name a loopback host.
func NewClient(urls []string, conns int) (*Client, error) {
	if len(urls) == 0 {
		return nil, errors.New("no server URL")
	}
	for i, u := range urls {
		u = strings.TrimRight(strings.TrimSpace(u), "/")
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "http" && p.Scheme != "https" {
			return nil, fmt.Errorf("%q is not an http URL", u)
		}
		if err := checkLoopbackHost("tcp", p.Host); err != nil {
			return nil, err
		}
		urls[i] = u
	}
	return &Client{URLs: urls, HTTP: &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: conns * len(urls), MaxIdleConnsPerHost: conns, IdleConnTimeout: 90 * time.Second,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		},
	}}, nil
}

// checkLoopbackHost refuses any TCP address outside 127.0.0.0/8 and ::1:
// load and failure tests send traffic to this machine only.
func checkLoopbackHost(network, hostport string) error {
	if network == "unix" {
		return nil
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address: only 127.0.0.0/8, ::1 and localhost are allowed", hostport)
}

// Response is one answer, or the transport error in Err (Status 0).
type Response struct {
	Method, Path string
	Instance     int
	Status       int
	Header       http.Header
	Body         []byte
	Err          error
	Latency      time.Duration
}

// JSON decodes the body into a map.
func (r *Response) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Str returns a top-level string field of the body.
func (r *Response) Str(field string) string {
	s, _ := r.JSON()[field].(string)
	return s
}

// Items returns the "items" of a list answer.
func (r *Response) Items() []map[string]any {
	var m struct {
		Items []map[string]any `json:"items"`
	}
	_ = json.Unmarshal(r.Body, &m)
	return m.Items
}

// Replayed reports whether the answer is an Idempotency-Key replay.
func (r *Response) Replayed() bool { return r.Header.Get("Idempotent-Replayed") == "true" }

// NoRoute reports whether the answer is the service's 404 for a route it
// does not have (as opposed to a missing resource).
func (r *Response) NoRoute() bool {
	return r.Status == 404 && strings.Contains(string(r.Body), "no route")
}

// Expect returns an error unless the status is one of want.
func (r *Response) Expect(want ...int) error {
	for _, w := range want {
		if r.Status == w {
			return nil
		}
	}
	return fmt.Errorf("%s %s (instance %d): %s, want %v", r.Method, r.Path, r.Instance, r.Brief(), want)
}

// Brief is the status and the start of the body, for messages.
func (r *Response) Brief() string {
	if r.Err != nil {
		return "transport error: " + r.Err.Error()
	}
	b := string(r.Body)
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return fmt.Sprintf("%d %s", r.Status, b)
}

// Do sends a request to the next instance in turn. path starts with
// /api/v1 or is a root path such as /healthz. body may be nil, []byte
// (sent as is) or a value sent as JSON; headers are name, value pairs.
func (c *Client) Do(ctx context.Context, method, path, token string, body any, headers ...string) *Response {
	i := 0
	if len(c.URLs) > 1 {
		i = int((c.next.Add(1) - 1) % uint64(len(c.URLs)))
	}
	return c.DoAt(ctx, i, method, path, token, body, headers...)
}

// DoAt sends a request to instance i.
func (c *Client) DoAt(ctx context.Context, i int, method, path, token string, body any, headers ...string) *Response {
	r := &Response{Method: method, Path: path, Instance: i}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			r.Err = err
			return r
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URLs[i]+path, rd)
	if err != nil {
		r.Err = err
		return r
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k := 0; k+1 < len(headers); k += 2 {
		req.Header.Set(headers[k], headers[k+1])
	}
	start := time.Now()
	res, err := c.HTTP.Do(req)
	if err != nil {
		r.Err, r.Latency = err, time.Since(start)
		return r
	}
	r.Body, err = io.ReadAll(res.Body)
	res.Body.Close()
	r.Latency = time.Since(start)
	r.Status, r.Header = res.StatusCode, res.Header
	if err != nil {
		r.Err = err
	}
	return r
}

// Login signs in and returns the access and refresh tokens.
func (c *Client) Login(ctx context.Context, account, password string) (access, refresh string, err error) {
	r := c.Do(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"account": account, "password": password})
	if err := r.Expect(200); err != nil {
		return "", "", err
	}
	return r.Str("access_token"), r.Str("refresh_token"), nil
}

// Org is an org with its first admin signed in.
type Org struct {
	ID, Kind, Market, Account, Token string
}

var orgSeq atomic.Int64

// Registration returns a valid POST /orgs body; mkt is for operators.
func Registration(kind, mkt string) map[string]any {
	n := orgSeq.Add(1)
	reg := map[string]any{
		"kind": kind, "name": fmt.Sprintf("黑盒%s单位%d-%s", kind, n, RandHex(2)), "credit_code": CreditCode(),
		"region_code": "450206", "contact_name": "联系人", "contact_phone": "0772-1234567",
		"admin": map[string]any{"account": fmt.Sprintf("bb-%s-%d-%s@example.com", kind, n, RandHex(3)), "password": Password, "name": "管理员"},
	}
	if mkt != "" {
		reg["market"] = mkt
	}
	return reg
}

// NewOrg registers a verified org of kind (operators and the bureau
// through the platform admin, the others publicly and then verified by
// the admin) and signs its admin in.
func (c *Client) NewOrg(ctx context.Context, adminToken, kind, mkt string) (Org, error) {
	reg := Registration(kind, mkt)
	token := ""
	if kind == market.OrgOperator || kind == market.OrgGovernment {
		token = adminToken
	}
	r := c.Do(ctx, "POST", "/api/v1/orgs", token, reg)
	if err := r.Expect(201); err != nil {
		return Org{}, err
	}
	o := Org{ID: r.Str("id"), Kind: kind, Market: mkt, Account: reg["admin"].(map[string]any)["account"].(string)}
	if r.JSON()["verified"] != true {
		if err := c.Do(ctx, "POST", "/api/v1/orgs/"+o.ID+"/verify", adminToken, nil).Expect(200); err != nil {
			return Org{}, err
		}
	}
	var err error
	o.Token, _, err = c.Login(ctx, o.Account, Password)
	return o, err
}

// CreditCode returns a valid, random unified social credit code.
func CreditCode() string {
	const charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	for {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		body := []byte("91450200")
		for _, x := range b {
			body = append(body, charset[int(x)%len(charset)])
		}
		body = append(body, '0')
		if c, ok := market.CreditCodeCheckChar(string(body)); ok {
			return string(append(body, c))
		}
	}
}

// Topic is a technology theme of the made-up catalogue, in the words its
// users search for.
type Topic struct {
	Industry string
	Title    string
	Summary  string
	Keywords []string
}

// Topics covers every industry code, in Chinese.
var Topics = []Topic{
	{"automotive", "碳纤维复合材料车身轻量化技术", "采用碳纤维增强复合材料替代钢制部件，实现车身轻量化与碰撞安全兼顾。", []string{"轻量化", "碳纤维", "车身"}},
	{"automotive", "新能源汽车电池热管理系统", "液冷板与相变材料结合的动力电池热管理方案，延长电池寿命。", []string{"新能源汽车", "电池", "热管理"}},
	{"steel", "高强度汽车用钢连续退火工艺", "优化连续退火曲线，提升高强钢成形性能，降低能耗。", []string{"高强钢", "退火", "钢铁"}},
	{"machinery", "工程机械液压系统节能控制", "负载敏感与电液比例控制结合，挖掘机油耗降低百分之十五。", []string{"液压", "节能", "工程机械"}},
	{"chemical", "日化产品绿色表面活性剂合成", "以糖基原料合成可生物降解表面活性剂，用于洗涤剂配方。", []string{"表面活性剂", "日化", "绿色化工"}},
	{"light_industry", "螺蛳粉汤料标准化与保鲜技术", "螺蛳粉酸笋与汤料的工业化发酵、灭菌与保鲜工艺，延长货架期。", []string{"螺蛳粉", "保鲜", "食品"}},
	{"light_industry", "甘蔗制糖废蜜综合利用", "制糖副产物废蜜发酵生产酵母与有机肥，实现循环利用。", []string{"制糖", "甘蔗", "循环经济"}},
	{"high_end_equipment", "五轴数控机床误差补偿技术", "基于激光测量的五轴数控机床几何误差辨识与实时补偿。", []string{"数控机床", "误差补偿", "精密加工"}},
	{"electronic_info", "工业物联网边缘计算网关", "支持多协议接入的工业物联网网关，实现设备数据实时采集。", []string{"物联网", "边缘计算", "传感器"}},
	{"energy_environment", "工业废水膜生物反应器处理技术", "膜生物反应器处理高浓度工业废水，出水达到回用标准。", []string{"污水处理", "膜技术", "节能环保"}},
	{"bio_pharma", "壮瑶药有效成分提取与制剂", "广西特色中药材有效成分提取纯化与新型制剂开发。", []string{"中药", "生物医药", "提取"}},
	{"producer_services", "制造业供应链协同管理平台", "面向汽车零部件企业的供应链协同与质量追溯平台。", []string{"供应链", "质量追溯", "平台"}},
	{"future_industries", "无人驾驶环卫车感知与决策系统", "多传感器融合的低速无人驾驶环卫车，适用于园区道路。", []string{"无人驾驶", "人工智能", "激光雷达"}},
	{"future_industries", "工业机器人视觉引导装配", "基于深度学习的工业机器人视觉定位与柔性装配技术。", []string{"工业机器人", "机器视觉", "人工智能"}},
}

// Queries are search texts users type, Chinese with the odd synonym the
// thesaurus should map (减重 → 轻量化).
var Queries = []string{"轻量化", "减重", "螺蛳粉", "碳纤维", "新能源汽车", "数控机床", "工业机器人", "人工智能",
	"无人驾驶", "污水处理", "中药", "制糖", "物联网", "液压 节能", "电池 热管理", "高强钢", "供应链", "表面活性剂"}

// Maturities and Modes are the code lists the bodies draw from.
var (
	Maturities = []string{"lab", "small_trial", "pilot", "industrialized"}
	Modes      = []string{"transfer", "license", "equity", "joint_development", "service"}
	Regions    = []string{"450202", "450203", "450204", "450205", "450206", "450222"}
)

// AchievementBody returns a valid POST /achievements body on topic n.
func AchievementBody(n int, tag string) map[string]any {
	t := Topics[n%len(Topics)]
	return map[string]any{
		"title": fmt.Sprintf("%s（%s-%d）", t.Title, tag, n), "summary": t.Summary,
		"industry": t.Industry, "keywords": t.Keywords, "maturity": Maturities[n%len(Maturities)],
		"transfer_modes": []string{Modes[n%len(Modes)], Modes[(n+2)%len(Modes)]}, "asking_price_fen": int64(n%20) * 5_000_000,
		"patent_numbers": []string{fmt.Sprintf("ZL2024%07d.X", n%10_000_000)}, "inventors": []string{"李教授", "王研究员"},
		"region_code": Regions[n%len(Regions)], "contact": map[string]string{"name": "李老师", "phone": "0772-2685000"},
	}
}

// DemandBody returns a valid POST /demands body on topic n.
func DemandBody(n int, tag string) map[string]any {
	t := Topics[(n+3)%len(Topics)]
	lo := int64(n%10+1) * 1_000_000
	return map[string]any{
		"title": fmt.Sprintf("求购%s（%s-%d）", t.Title, tag, n), "description": "我公司需要" + t.Summary + "希望与高校院所合作。",
		"industry": t.Industry, "keywords": t.Keywords, "cooperation_modes": []string{Modes[n%len(Modes)], "joint_development"},
		"budget_min_fen": lo, "budget_max_fen": lo * 5, "deadline": time.Now().AddDate(1, 0, 0).Format(time.DateOnly),
		"region_code": Regions[n%len(Regions)], "contact": map[string]string{"name": "王工", "phone": "13877200000"},
	}
}

// TransactionBody returns a valid POST /transactions body.
func TransactionBody(mkt, channel, contractNo, buyerID, sellerID string, contractFen, techFen int64, signedAt time.Time) map[string]any {
	return map[string]any{
		"market": mkt, "channel": channel, "contract_type": "transfer", "contract_no": contractNo,
		"title": "碳纤维车身轻量化技术转让合同", "buyer_org_id": buyerID, "seller_org_id": sellerID,
		"contract_amount_fen": contractFen, "tech_amount_fen": techFen,
		"signed_at": signedAt.UTC().Format(time.RFC3339),
	}
}
