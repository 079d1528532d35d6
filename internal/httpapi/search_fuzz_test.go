package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fuzzMaxTarget bounds the query sent: the request line and headers must
// fit Fiber's 4 KiB read buffer, or app.Test fails instead of answering.
const fuzzMaxTarget = 3500

// fuzzRequestTarget makes raw usable as the query of a request line:
// bytes that may not appear there (controls, space, '#', non-ASCII) are
// percent-encoded; everything else, '%', '&', '=' and ',' included, is
// left as the fuzzer wrote it.
func fuzzRequestTarget(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw) && b.Len() < fuzzMaxTarget; i++ {
		c := raw[i]
		if c <= ' ' || c >= 0x7f || c == '#' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// FuzzSearchQuery sends arbitrary query strings to both search routes of
// the real app, over an index holding published items, and checks: no
// 5xx; every 4xx a problem document with its status; a 200 an answer whose
// page and limit keep the documented bounds (page ≥ 1, 1 ≤ limit ≤ 100,
// page × limit ≤ 10000) with at most limit hits and a total of at least
// the hits shown.
func FuzzSearchQuery(f *testing.F) {
	fuzzShortMinimize()
	e := apptest.New(f, "sqlite", fuzzNoLimits)
	ent := e.NewOrg(market.OrgEnterprise, true)
	uni := e.NewOrg(market.OrgUniversity, true)
	op := e.NewOrg(market.OrgOperator, true)
	e.Publish("achievements", uni, op, apptest.Achievement())
	e.Publish("demands", ent, op, apptest.Demand())
	e.DrainOutbox()

	for _, s := range []string{
		"",
		"q=碳纤维",
		"q=%E8%BD%BB%E9%87%8F%E5%8C%96&industry=automotive&maturity=pilot&mode=transfer,license&region_code=450205",
		"q=汽车减重&sort=price_asc&page=1&limit=100&min_fen=0&max_fen=99999999",
		"sort=newest&page=500&limit=20",
		"page=501&limit=20",
		"page=0&limit=0",
		"page=-1&limit=-5",
		"page=1&limit=101",
		"page=99999999999999999999",
		"page=4611686018427387904&limit=4", // page × limit wraps to 0 in int64
		"page=9223372036854775807&limit=2",
		"limit=9223372036854775807",
		"min_fen=10&max_fen=9",
		"price_min_fen=abc&budget_max_fen=-1",
		"industry=bogus&mode=&region_code=0123456",
		"industry=steel&industry=steel&industry=,,,",
		"maturity=lab",
		"sort=relevance&sort=bogus",
		"q=" + strings.Repeat("a", 501),
		"q=" + strings.Repeat("字", 300),
		"q=%ZZ%&%%=%",
		"q=a+b+c&q=d",
		"&&&==&",
		"q=\x00\n\r\t #frag",
		"q=ＡＢＣ　ＢＭＳ&page=1",
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, raw string) {
		env := fuzzEnvFor(t, e)
		query := fuzzRequestTarget(raw)
		for _, kind := range []string{"achievements", "demands"} {
			path := "/api/v1/search/" + kind + "?" + query
			r := env.Do("GET", path, "", nil)
			fuzzCheckAnswer(t, "GET "+path, r, nil)
			if r.Status != 200 {
				continue
			}
			var res struct {
				Hits  []map[string]any `json:"hits"`
				Total int              `json:"total"`
				Page  int              `json:"page"`
				Limit int              `json:"limit"`
			}
			if err := json.Unmarshal(r.Body, &res); err != nil || res.Hits == nil {
				t.Fatalf("GET %s: 200 with %v: %s", path, err, r.Body)
			}
			if res.Page < 1 || res.Limit < 1 || res.Limit > 100 || res.Page > 10000/res.Limit {
				t.Fatalf("GET %s: page %d, limit %d outside the bounds", path, res.Page, res.Limit)
			}
			if len(res.Hits) > res.Limit || res.Total < len(res.Hits) {
				t.Fatalf("GET %s: %d hits, limit %d, total %d", path, len(res.Hits), res.Limit, res.Total)
			}
		}
	})
}
