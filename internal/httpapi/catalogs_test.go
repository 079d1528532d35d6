package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// catalogBody is a valid POST /catalogs body for demands.
func catalogBody() map[string]any {
	return map[string]any{
		"kind": "demand", "title": "2026年第四季度柳州市技术需求目录", "period": "2026-Q4",
		"filter": map[string]any{"industries": []string{"automotive", "machinery"}, "region_codes": []string{"450200"}},
	}
}

// demand returns a demand body with a title and changes applied.
func demand(title string, edit func(map[string]any)) map[string]any {
	d := apptest.Demand()
	d["title"] = title
	if edit != nil {
		edit(d)
	}
	return d
}

// exportDoc is the JSON export.
type exportDoc struct {
	Catalog map[string]any   `json:"catalog"`
	Items   []map[string]any `json:"items"`
}

// exports fetches the three exports of a catalog, checks their headers and
// parses them: the JSON document, the CSV rows (BOM stripped) and the XLSX
// data sheet's rows.
func exports(t *testing.T, e *apptest.Env, id, token string) (exportDoc, [][]string, [][]string) {
	t.Helper()
	path := "/api/v1/catalogs/" + id + "/export?format="
	var doc exportDoc
	r := e.Must(200, "GET", path+"json", token, nil)
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("json export: %v", err)
	}
	period := doc.Catalog["period"].(string)
	for format, ctype := range map[string]string{
		"json": "application/json", "csv": "text/csv; charset=utf-8",
		"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	} {
		h := e.Must(200, "GET", path+format, token, nil).Header
		cd := h.Get("Content-Disposition")
		if h.Get("Content-Type") != ctype || !strings.HasPrefix(cd, "attachment; ") ||
			!strings.Contains(cd, period+"."+format+`"`) || !strings.Contains(cd, "filename*=UTF-8''") {
			t.Fatalf("%s headers: %s; %s", format, h.Get("Content-Type"), cd)
		}
		// A draft is a live preview: no validator. A published catalog is
		// frozen: its export has one, and a client holding it gets a 304
		// with no body.
		tag := h.Get("ETag")
		if doc.Catalog["status"] != "published" {
			if tag != "" || h.Get("Cache-Control") != "no-store" {
				t.Fatalf("%s: a draft's export carries ETag %q, Cache-Control %q", format, tag, h.Get("Cache-Control"))
			}
			continue
		}
		if !strings.HasPrefix(tag, `W/"c`+id+".") || !strings.HasSuffix(tag, "."+format+`"`) {
			t.Fatalf("%s: published export's ETag %q", format, tag)
		}
		if r := e.Must(304, "GET", path+format, token, nil, "If-None-Match", tag); len(r.Body) != 0 {
			t.Fatalf("%s: 304 with a body of %d bytes", format, len(r.Body))
		}
		if r := e.Must(200, "GET", path+format, token, nil, "If-None-Match", `W/"c`+id+`.0.`+format+`"`); len(r.Body) == 0 {
			t.Fatalf("%s: another validator got an empty export", format)
		}
	}
	body := e.Must(200, "GET", path+"csv", token, nil).Body
	if !bytes.HasPrefix(body, []byte("\uFEFF")) {
		t.Fatal("csv export has no BOM")
	}
	csvRows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatalf("csv export: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(e.Must(200, "GET", path+"xlsx", token, nil).Body))
	if err != nil {
		t.Fatalf("xlsx export: %v", err)
	}
	defer f.Close()
	xlsxRows, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return doc, csvRows, xlsxRows
}

// yuanOf renders fen as the exports do.
func yuanOf(v any) string {
	fen := int64(v.(float64))
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

// regionName is the name GET /meta gives a region code ("" if none).
func regionName(code string) string {
	for _, r := range market.Regions {
		if r.Code == code {
			return r.Name
		}
	}
	return ""
}

// beijingDate is the date (UTC+8) of an RFC 3339 instant, "" when absent.
func beijingDate(v any) string {
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ""
	}
	return at.In(time.FixedZone("UTC+8", 8*3600)).Format(time.DateOnly)
}

// checkExportsAgree checks that CSV and XLSX hold what the JSON export
// holds, in the same order, for a demand catalog.
func checkExportsAgree(t *testing.T, doc exportDoc, csvRows, xlsxRows [][]string) {
	t.Helper()
	if len(csvRows) != len(doc.Items)+1 || len(xlsxRows) != len(doc.Items)+1 {
		t.Fatalf("%d JSON items, %d CSV rows, %d XLSX rows (with header)", len(doc.Items), len(csvRows), len(xlsxRows))
	}
	col := map[string]int{}
	for i, h := range csvRows[0] {
		col[h] = i
		if xlsxRows[0][i] != h {
			t.Fatalf("header %d: csv %q, xlsx %q", i, h, xlsxRows[0][i])
		}
	}
	for i, it := range doc.Items {
		c, x := csvRows[i+1], xlsxRows[i+1]
		for len(x) < len(c) {
			x = append(x, "")
		}
		var modes []string
		for _, m := range it["cooperation_modes"].([]any) {
			modes = append(modes, market.Label(market.Modes, m.(string)))
		}
		var keywords []string
		for _, k := range it["keywords"].([]any) {
			keywords = append(keywords, k.(string))
		}
		want := map[string]string{
			"序号 seq": strconv.Itoa(int(it["seq"].(float64))), "编号 id": it["id"].(string), "名称 title": it["title"].(string),
			"行业 industry": market.Label(market.Industries, it["industry"].(string)), "需求单位 org_name": it["org_name"].(string),
			"地区代码 region_code": it["region_code"].(string), "关键词 keywords": strings.Join(keywords, "、"),
			"合作方式 cooperation_modes": strings.Join(modes, "、"), "预算下限（元） budget_min_yuan": yuanOf(it["budget_min_fen"]),
			"预算上限（元） budget_max_yuan": yuanOf(it["budget_max_fen"]), "截止日期 deadline": it["deadline"].(string),
			"需求描述 description": it["description"].(string),
			"地区 region_name":   regionName(it["region_code"].(string)), "发布日期 published_at": beijingDate(it["published_at"]),
		}
		if len(want) != len(csvRows[0]) {
			t.Fatalf("%d columns checked, the export has %q", len(want), csvRows[0])
		}
		for h, w := range want {
			j, ok := col[h]
			if !ok {
				t.Fatalf("no column %q in %q", h, csvRows[0])
			}
			got := strings.TrimPrefix(c[j], "'") // the CSV injection guard
			if got != w {
				t.Fatalf("item %d %s: csv %q, json %q", i, h, c[j], w)
			}
			xv := x[j]
			if strings.Contains(h, "_yuan") {
				f, _ := strconv.ParseFloat(xv, 64)
				xv = fmt.Sprintf("%.2f", f)
			}
			if xv != w {
				t.Fatalf("item %d %s: xlsx %q, json %q", i, h, xv, w)
			}
		}
	}
}

func TestCatalogSnapshot(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		uni := e.NewOrg(market.OrgUniversity, true)
		op := e.NewOrg(market.OrgOperator, true)

		// Three demands match (automotive or machinery, in Liuzhou); one
		// from Beijing, one of another industry, a draft and an
		// achievement do not.
		auto1 := e.Publish("demands", ent, op, demand("发动机缸体铸造工艺改进", nil))
		mach := e.Publish("demands", ent, op, demand("数控机床主轴精度提升", func(d map[string]any) {
			d["industry"], d["region_code"] = "machinery", "450204"
		}))
		auto2 := e.Publish("demands", ent, op, demand("=HYPERLINK(\"x\") 车灯模具", func(d map[string]any) {
			d["keywords"] = []string{"模具", "车灯"}
		}))
		e.Publish("demands", ent, op, demand("北京的汽车需求", func(d map[string]any) { d["region_code"] = "110101" }))
		e.Publish("demands", ent, op, demand("螺蛳粉保鲜工艺", func(d map[string]any) { d["industry"] = "light_industry" }))
		e.Must(201, "POST", "/api/v1/demands", ent.Token, demand("汽车草稿需求", nil))
		e.Publish("achievements", uni, op, apptest.Achievement())

		cat := e.Must(201, "POST", "/api/v1/catalogs", op.Token, catalogBody()).JSON()
		id := cat["id"].(string)
		if cat["status"] != "draft" || cat["market"] != "liuzhou" || cat["org_id"] != op.ID || cat["item_count"] != float64(3) {
			t.Fatalf("created catalog: %v", cat)
		}
		// The draft previews the items it would freeze, industry by
		// industry in the order of GET /meta, then by id.
		preview := e.Must(200, "GET", "/api/v1/catalogs/"+id+"/items", op.Token, nil).Items()
		var order []string
		for _, it := range preview {
			order = append(order, it["id"].(string))
		}
		if want := []string{auto1, auto2, mach}; strings.Join(order, ",") != strings.Join(want, ",") {
			t.Fatalf("preview order %v, want %v", order, want)
		}
		if preview[0]["contact"] != nil || preview[0]["seq"] != float64(1) {
			t.Fatalf("preview item: %v", preview[0])
		}

		pub := e.Must(200, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, nil).JSON()
		if pub["status"] != "published" || pub["item_count"] != float64(3) || pub["published_at"] == nil {
			t.Fatalf("published catalog: %v", pub)
		}
		e.Must(409, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, "{}")
		e.Must(409, "PATCH", "/api/v1/catalogs/"+id, op.Token, map[string]any{"title": "改名后的目录"})
		before, beforeCSV, beforeXLSX := exports(t, e, id, "")
		checkExportsAgree(t, before, beforeCSV, beforeXLSX)

		// Items change after publication: one is renamed, one closed, a
		// new matching one appears. The catalog does not change.
		e.Must(200, "PATCH", "/api/v1/demands/"+auto1, ent.Token, map[string]any{"title": "改过的标题", "description": "改过的描述，长度足够十个字。"})
		e.Must(200, "POST", "/api/v1/demands/"+mach+"/close", ent.Token, nil)
		e.Publish("demands", ent, op, demand("发布后才有的汽车需求", nil))

		got := e.Must(200, "GET", "/api/v1/catalogs/"+id, "", nil).JSON()
		if got["item_count"] != float64(3) || got["status"] != "published" {
			t.Fatalf("catalog after item changes: %v", got)
		}
		items := e.Must(200, "GET", "/api/v1/catalogs/"+id+"/items", "", nil).Items()
		if len(items) != 3 || items[0]["title"] != "发动机缸体铸造工艺改进" || items[2]["id"] != mach {
			t.Fatalf("frozen items: %v", items)
		}
		after, afterCSV, afterXLSX := exports(t, e, id, "")
		checkExportsAgree(t, after, afterCSV, afterXLSX)
		if !equalJSON(before.Items, after.Items) || !equalJSON(before.Catalog, after.Catalog) {
			t.Fatalf("JSON export changed:\nbefore %v\nafter  %v", before.Items, after.Items)
		}
		if fmt.Sprint(beforeCSV) != fmt.Sprint(afterCSV) || fmt.Sprint(beforeXLSX) != fmt.Sprint(afterXLSX) {
			t.Fatal("CSV or XLSX export changed after the items did")
		}
		for _, b := range [][]byte{e.Must(200, "GET", "/api/v1/catalogs/"+id+"/export?format=csv", "", nil).Body} {
			if bytes.Contains(b, []byte("改过的标题")) || !bytes.Contains(b, []byte("'=HYPERLINK")) {
				t.Fatal("CSV export shows the new title or an unguarded formula")
			}
		}

		// Exports are never compressed, even for a client that accepts gzip:
		// the gzip wrapper would end a failed stream as if it were complete
		// (TestExportFailureIsNotComplete). The file is the same.
		r := e.Must(200, "GET", "/api/v1/catalogs/"+id+"/export?format=csv", "", nil, "Accept-Encoding", "gzip")
		if ce := r.Header.Get("Content-Encoding"); ce != "" {
			t.Fatalf("csv export sent with Content-Encoding %q", ce)
		}
		if !bytes.Equal(r.Body, e.Must(200, "GET", "/api/v1/catalogs/"+id+"/export?format=csv", "", nil).Body) {
			t.Fatal("export differs when gzip is accepted")
		}
		// Routing ignores case and a trailing slash; so does the exemption.
		for _, path := range []string{"/API/V1/CATALOGS/" + id + "/EXPORT?format=csv", "/api/v1/Catalogs/" + id + "/Export/?format=csv"} {
			r := e.Must(200, "GET", path, "", nil, "Accept-Encoding", "gzip")
			// The ETag is the publication's (exportTag), never a hash of the body.
			if ce, tag := r.Header.Get("Content-Encoding"), r.Header.Get("ETag"); ce != "" || !strings.HasPrefix(tag, `W/"c`+id+".") || !strings.HasSuffix(tag, `.csv"`) {
				t.Fatalf("%s: Content-Encoding %q, ETag %q on an export", path, ce, tag)
			}
		}

		// Created and published, both in the audit trail; the chain holds.
		ev := e.Must(200, "GET", "/api/v1/audit?entity=catalog&entity_id="+id, e.AdminToken, nil).Items()
		if len(ev) != 2 || ev[0]["action"] != "create" || ev[1]["action"] != "publish" {
			t.Fatalf("audit: %v", ev)
		}
		if v := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).JSON(); v["ok"] != true {
			t.Fatalf("audit verify: %v", v)
		}
	})
}

// A catalog's updated_at is one instant everywhere: the answer of an edit
// or a publish, the audit event, the database and later reads.
func TestCatalogTimesMatch(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		e.Publish("demands", ent, op, demand("发动机缸体铸造工艺改进", nil))
		id := e.Must(201, "POST", "/api/v1/catalogs", op.Token, catalogBody()).Str("id")
		same := func(what string, answered map[string]any, action string) {
			t.Helper()
			at, err := time.Parse(time.RFC3339Nano, answered["updated_at"].(string))
			if err != nil {
				t.Fatalf("%s: updated_at %v", what, answered["updated_at"])
			}
			var stored time.Time
			if err := e.Sys.DB.SQL().QueryRow("SELECT updated_at FROM catalogs WHERE id = ?", id).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			read := e.Must(200, "GET", "/api/v1/catalogs/"+id, op.Token, nil).Str("updated_at")
			var audited string
			for _, ev := range e.Must(200, "GET", "/api/v1/audit?entity=catalog&entity_id="+id, e.AdminToken, nil).Items() {
				if ev["action"] == action {
					audited, _ = ev["after"].(map[string]any)["updated_at"].(string)
				}
			}
			if !stored.Equal(at) || read != answered["updated_at"] || audited != answered["updated_at"] {
				t.Fatalf("%s: answered %v, stored %s, read back %s, audited %s", what, answered["updated_at"],
					stored.UTC().Format(time.RFC3339Nano), read, audited)
			}
		}
		same("edit", e.Must(200, "PATCH", "/api/v1/catalogs/"+id, op.Token, map[string]any{"title": "改过名字的技术需求目录"}).JSON(), "edit")
		same("publish", e.Must(200, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, nil).JSON(), "publish")
	})
}

// The publish event records the digest of the frozen items, so an edit of
// catalog_items made behind the API's back is caught by /audit/verify and
// named by that event; putting the text back makes the trail whole again.
func TestCatalogSnapshotTamper(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		for i := range 3 {
			e.Publish("demands", ent, op, demand(fmt.Sprintf("汽车需求第%d项", i+1), nil))
		}
		id := e.Must(201, "POST", "/api/v1/catalogs", op.Token, catalogBody()).Str("id")
		e.Must(200, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, nil)
		// Another catalog, published later, stays untouched.
		other := e.Must(201, "POST", "/api/v1/catalogs", op.Token, catalogBody()).Str("id")
		e.Must(200, "POST", "/api/v1/catalogs/"+other+"/publish", op.Token, nil)

		var publishID, digest string
		for _, ev := range e.Must(200, "GET", "/api/v1/audit?entity=catalog&entity_id="+id, e.AdminToken, nil).Items() {
			if ev["action"] == "publish" {
				publishID = ev["id"].(string)
				digest, _ = ev["after"].(map[string]any)["snapshot_sha256"].(string)
			}
		}
		if len(digest) != 64 {
			t.Fatalf("publish event %s records no snapshot digest: %q", publishID, digest)
		}
		verify := func() map[string]any {
			t.Helper()
			r := e.Must(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil)
			v := r.JSON()
			if _, ok := v["first_broken_id"]; !ok {
				t.Fatalf("verify omits first_broken_id: %s", r.Body)
			}
			return v
		}
		if v := verify(); v["ok"] != true || v["first_broken_id"] != nil || v["problem"] != nil {
			t.Fatalf("untouched: %v", v)
		}

		var title string
		if err := e.Sys.DB.SQL().QueryRow("SELECT title FROM catalog_items WHERE catalog_id = ? AND seq = 2", id).Scan(&title); err != nil {
			t.Fatal(err)
		}
		for _, tamper := range []struct{ name, sql, undo string }{
			{"title edited", "UPDATE catalog_items SET title = '偷改的标题' WHERE catalog_id = ? AND seq = 2",
				"UPDATE catalog_items SET title = '" + title + "' WHERE catalog_id = ? AND seq = 2"},
			{"keyword added", `UPDATE catalog_items SET keywords = '["减重","车身","偷加"]' WHERE catalog_id = ? AND seq = 1`,
				`UPDATE catalog_items SET keywords = '["减重","车身"]' WHERE catalog_id = ? AND seq = 1`},
			{"budget changed", "UPDATE catalog_items SET budget_max_fen = budget_max_fen + 1 WHERE catalog_id = ? AND seq = 3",
				"UPDATE catalog_items SET budget_max_fen = budget_max_fen - 1 WHERE catalog_id = ? AND seq = 3"},
			{"item removed", "DELETE FROM catalog_items WHERE catalog_id = ? AND seq = 3", ""},
		} {
			if _, err := e.Sys.DB.SQL().Exec(tamper.sql, id); err != nil {
				t.Fatal(err)
			}
			v := verify()
			if v["ok"] != false || v["first_broken_id"] != publishID || v["problem"] != "catalog_snapshot" {
				t.Fatalf("%s: verify %v, want the publish event %s", tamper.name, v, publishID)
			}
			if tamper.undo == "" {
				continue
			}
			if _, err := e.Sys.DB.SQL().Exec(tamper.undo, id); err != nil {
				t.Fatal(err)
			}
			if v := verify(); v["ok"] != true {
				t.Fatalf("%s, then put back: %v", tamper.name, v)
			}
		}
	})
}

// TestCatalogPublishOnce races publishes of one catalog: exactly one wins,
// and the snapshot and its audit event exist once.
func TestCatalogPublishOnce(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		for i := range 3 {
			e.Publish("demands", ent, op, demand(fmt.Sprintf("汽车需求第%d项", i+1), nil))
		}
		id := e.Must(201, "POST", "/api/v1/catalogs", op.Token, catalogBody()).Str("id")
		statuses := make([]int, 8)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Go(func() { statuses[i] = e.Do("POST", "/api/v1/catalogs/"+id+"/publish", op.Token, nil).Status })
		}
		wg.Wait()
		won := 0
		for _, st := range statuses {
			switch st {
			case 200:
				won++
			case 409:
			default:
				t.Fatalf("statuses %v", statuses)
			}
		}
		if won != 1 {
			t.Fatalf("%d publishes succeeded: %v", won, statuses)
		}
		if n := count(t, e, "catalog_items", "catalog_id = ?", id); n != 3 {
			t.Fatalf("%d catalog items, want 3", n)
		}
		if n := count(t, e, "audit_events", "entity = 'catalog' AND action = 'publish'"); n != 1 {
			t.Fatalf("%d publish events, want 1", n)
		}
	})
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestCatalogBadInput(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		gz := e.NewOrg(market.OrgOperator, true, func(m map[string]any) { m["market"] = market.MarketGuizhong })
		gov := e.NewOrg(market.OrgGovernment, true)
		e.Publish("demands", ent, op, demand("发动机缸体铸造工艺改进", nil))
		audit := count(t, e, "audit_events", "")

		e.Must(401, "POST", "/api/v1/catalogs", "", catalogBody())
		for _, who := range []apptest.Org{ent, gov} {
			e.Must(403, "POST", "/api/v1/catalogs", who.Token, catalogBody())
		}
		cases := []struct {
			name  string
			edit  func(map[string]any)
			field string
		}{
			{"unknown field", func(m map[string]any) { m["market"] = "guizhong" }, "market"},
			{"unknown filter field", func(m map[string]any) { m["filter"] = map[string]any{"maturity": "pilot"} }, "filter.maturity"},
			{"bad period", func(m map[string]any) { m["period"] = "2026-Q5" }, "period"},
			{"period as text", func(m map[string]any) { m["period"] = "今年" }, "period"},
			{"missing period", func(m map[string]any) { delete(m, "period") }, "period"},
			{"bad kind", func(m map[string]any) { m["kind"] = "patent" }, "kind"},
			{"short title", func(m map[string]any) { m["title"] = "目" }, "title"},
			{"bad industry", func(m map[string]any) {
				m["filter"] = map[string]any{"industries": []string{"automotive", "mining"}}
			}, "filter.industries[1]"},
			{"bad region", func(m map[string]any) { m["filter"] = map[string]any{"region_codes": []string{"4502"}} }, "filter.region_codes[0]"},
			{"wrong type", func(m map[string]any) { m["filter"] = []string{"automotive"} }, "filter"},
		}
		for _, c := range cases {
			body := catalogBody()
			c.edit(body)
			r := e.Do("POST", "/api/v1/catalogs", op.Token, body)
			if r.Status != 422 || r.Header.Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			}
		}
		e.Must(400, "POST", "/api/v1/catalogs", op.Token, "{not json")
		if n := count(t, e, "catalogs", ""); n != 0 {
			t.Fatalf("refused bodies stored %d catalogs", n)
		}
		if n := count(t, e, "audit_events", ""); n != audit {
			t.Fatalf("refused bodies audited: %d events, want %d", n, audit)
		}

		// A filter that matches nothing cannot be published.
		empty := catalogBody()
		empty["filter"] = map[string]any{"industries": []string{"bio_pharma"}}
		id := e.Must(201, "POST", "/api/v1/catalogs", op.Token, empty).Str("id")
		audit = count(t, e, "audit_events", "")
		r := e.Must(409, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, nil)
		if !strings.Contains(string(r.Body), `"field":"filter"`) || !strings.Contains(r.Str("detail"), "nothing to publish") {
			t.Fatalf("empty publish: %s", r.Body)
		}
		// Only operators of the catalog's market change it.
		e.Must(403, "POST", "/api/v1/catalogs/"+id+"/publish", gz.Token, nil)
		e.Must(403, "PATCH", "/api/v1/catalogs/"+id, gz.Token, map[string]any{"title": "别人的目录"})
		e.Must(404, "POST", "/api/v1/catalogs/"+id+"/publish", ent.Token, nil)
		e.Must(422, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, `{"force":true}`)
		e.Must(422, "PATCH", "/api/v1/catalogs/"+id, op.Token, map[string]any{"period": "2026Q4"})
		e.Must(404, "POST", "/api/v1/catalogs/nope/publish", op.Token, nil)
		var status string
		if err := e.Sys.DB.SQL().QueryRow("SELECT status FROM catalogs WHERE id = ?", id).Scan(&status); err != nil || status != "draft" {
			t.Fatalf("status %q after refused publishes (%v)", status, err)
		}
		if n := count(t, e, "catalog_items", ""); n != 0 {
			t.Fatalf("refused publishes left %d catalog items", n)
		}
		if n := count(t, e, "audit_events", ""); n != audit {
			t.Fatalf("refused publishes audited: %d events, want %d", n, audit)
		}

		// Editing the draft widens the filter; then it publishes.
		ed := e.Must(200, "PATCH", "/api/v1/catalogs/"+id, op.Token, map[string]any{"filter": map[string]any{"industries": []string{}}}).JSON()
		if ed["item_count"] != float64(1) || ed["status"] != "draft" {
			t.Fatalf("edited draft: %v", ed)
		}
		e.Must(200, "POST", "/api/v1/catalogs/"+id+"/publish", op.Token, "{}")

		// Export and list parameters.
		for _, q := range []string{"?format=pdf", "?format=", ""} {
			r := e.Must(422, "GET", "/api/v1/catalogs/"+id+"/export"+q, "", nil)
			if !strings.Contains(string(r.Body), `"field":"format"`) {
				t.Fatalf("export%s: %s", q, r.Body)
			}
		}
		e.Must(404, "GET", "/api/v1/catalogs/nope/export?format=csv", "", nil)
		for _, q := range []string{"kind=patent", "period=Q4", "market=nanning", "status=closed", "limit=101", "cursor=%25%25"} {
			e.Must(422, "GET", "/api/v1/catalogs?"+q, "", nil)
		}
		e.Must(422, "GET", "/api/v1/catalogs/"+id+"/items?limit=0", "", nil)
		e.Must(422, "GET", "/api/v1/catalogs/"+id+"/items?cursor=Zm9v", "", nil)
	})
}

func TestCatalogDraftsArePrivate(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		ent := e.NewOrg(market.OrgEnterprise, true)
		op := e.NewOrg(market.OrgOperator, true)
		other := e.NewOrg(market.OrgOperator, true, func(m map[string]any) { m["market"] = market.MarketGuizhong })
		for i := range 7 {
			e.Publish("demands", ent, op, demand(fmt.Sprintf("汽车需求第%d项", i+1), nil))
		}
		draft := e.Must(201, "POST", "/api/v1/catalogs", op.Token, catalogBody()).Str("id")
		pubBody := catalogBody()
		pubBody["period"], pubBody["title"] = "2026-H1", "2026年上半年技术需求目录"
		pub := e.Must(201, "POST", "/api/v1/catalogs", op.Token, pubBody).Str("id")
		e.Must(200, "POST", "/api/v1/catalogs/"+pub+"/publish", op.Token, nil)

		// The public and ordinary orgs see the published catalog only.
		for _, token := range []string{"", ent.Token} {
			list := e.Must(200, "GET", "/api/v1/catalogs", token, nil).Items()
			if len(list) != 1 || list[0]["id"] != pub {
				t.Fatalf("public list: %v", list)
			}
			if l := e.Must(200, "GET", "/api/v1/catalogs?status=draft", token, nil).Items(); len(l) != 0 {
				t.Fatalf("public list of drafts: %v", l)
			}
			e.Must(404, "GET", "/api/v1/catalogs/"+draft, token, nil)
			e.Must(404, "GET", "/api/v1/catalogs/"+draft+"/items", token, nil)
			e.Must(404, "GET", "/api/v1/catalogs/"+draft+"/export?format=csv", token, nil)
		}
		// Operators, of any market, see drafts and may export a preview.
		if l := e.Must(200, "GET", "/api/v1/catalogs?status=draft", other.Token, nil).Items(); len(l) != 1 || l[0]["item_count"] != float64(7) {
			t.Fatalf("operator list of drafts: %v", l)
		}
		doc, csvRows, xlsxRows := exports(t, e, draft, op.Token)
		checkExportsAgree(t, doc, csvRows, xlsxRows)
		if len(doc.Items) != 7 || doc.Catalog["status"] != "draft" {
			t.Fatalf("draft export: %v", doc.Catalog)
		}
		if cc := e.Must(200, "GET", "/api/v1/catalogs/"+draft+"/export?format=json", op.Token, nil).Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("draft export Cache-Control %q", cc)
		}
		// Filters.
		if l := e.Must(200, "GET", "/api/v1/catalogs?period=2026-h1&kind=demand&market=liuzhou", "", nil).Items(); len(l) != 1 {
			t.Fatalf("filtered list: %v", l)
		}
		if l := e.Must(200, "GET", "/api/v1/catalogs?kind=achievement", "", nil).Items(); len(l) != 0 {
			t.Fatalf("achievement catalogs: %v", l)
		}

		// Items page in catalog order, draft and published alike.
		for _, id := range []string{draft, pub} {
			var seqs []int
			cursor, pages := "", 0
			for {
				r := e.Must(200, "GET", "/api/v1/catalogs/"+id+"/items?limit=3&cursor="+cursor, op.Token, nil)
				for _, it := range r.Items() {
					seqs = append(seqs, int(it["seq"].(float64)))
				}
				pages++
				if cursor = r.Str("next_cursor"); cursor == "" {
					break
				}
			}
			if pages != 3 || fmt.Sprint(seqs) != "[1 2 3 4 5 6 7]" {
				t.Fatalf("catalog %s: %d pages, seqs %v", id, pages, seqs)
			}
		}
	})
}
