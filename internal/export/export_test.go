package export

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

var published = time.Date(2026, 3, 31, 17, 30, 0, 0, time.UTC) // 2026-04-01 in China

func catalog(kind market.ItemKind, n int) *market.Catalog {
	return &market.Catalog{ID: "01JCATALOG", Kind: kind, Title: "2026年一季度/技术目录", Period: "2026-Q1",
		Status: market.CatalogPublished, Market: market.MarketLiuzhou, ItemCount: n, PublishedAt: &published,
		Filter: market.CatalogFilter{Industries: []string{"automotive"}, RegionCodes: []string{}}}
}

// synthetic yields n items of kind without holding them: each is built
// when asked for, as the store's batches are.
func synthetic(kind market.ItemKind, n int) Items {
	return func(yield func(*market.CatalogItem, error) bool) {
		var it market.CatalogItem
		for i := 1; i <= n; i++ {
			it = market.CatalogItem{Seq: i, ItemID: fmt.Sprintf("01J%023d", i), Kind: kind, OrgID: "01JORG",
				OrgName: "广西科技大学", Title: fmt.Sprintf("第%d项 汽车车身轻量化技术", i), Body: strings.Repeat("采用碳纤维增强复合材料替代钢制部件。", 8),
				Industry: market.Industries[i%len(market.Industries)].Code, Keywords: []string{"轻量化", "碳纤维"},
				Modes: []string{"transfer", "license"}, RegionCode: "450206", BudgetMinFen: int64(i) * 123456, BudgetMaxFen: int64(i)*123456 + 5,
				Deadline: "2030-12-31", Maturity: "pilot", AskingPriceFen: int64(i%3) * 1234567, PatentNumbers: []string{"ZL202310000001.X"},
				Inventors: []string{"李教授", "王工"}, PublishedAt: &published}
			if !yield(&it, nil) {
				return
			}
		}
	}
}

// tricky are items whose text needs escaping in one format or another.
func tricky(kind market.ItemKind) Items {
	items := []market.CatalogItem{
		{Seq: 1, ItemID: "A1", Kind: kind, Title: "=HYPERLINK(\"http://evil\")", Body: "多行\n描述, 带 \"引号\"", Industry: "automotive",
			RegionCode: "450205", Modes: []string{"equity"}, Maturity: "lab", OrgName: "+单位", Keywords: []string{"-负号", "@at"}},
		{Seq: 2, ItemID: "A2", Kind: kind, Title: "  前后空格  ", Body: "<tag>&amp;", Industry: "future_industries",
			RegionCode: "110101", Modes: []string{}, Maturity: "industrialized", AskingPriceFen: 1, BudgetMaxFen: 99},
	}
	return func(yield func(*market.CatalogItem, error) bool) {
		for i := range items {
			if !yield(&items[i], nil) {
				return
			}
		}
	}
}

func render(t testing.TB, f Format, c *market.Catalog, items Items) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f, c, items); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return b.Bytes()
}

// readCSV strips the BOM and parses the file.
func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(bom)) {
		t.Fatalf("no BOM: % x", b[:min(len(b), 8)])
	}
	rows, err := csv.NewReader(bytes.NewReader(b[len(bom):])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// readXLSX returns the data sheet's cells as text, amounts unformatted.
func readXLSX(t *testing.T, b []byte, kind market.ItemKind) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheetNames[kind], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// unescape undoes the CSV injection guard.
func unescape(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte("=+-@\t\r", s[1]) >= 0 {
		return s[1:]
	}
	return s
}

// sameCells compares CSV and XLSX rows cell by cell: amounts as numbers
// (XLSX keeps 12.3, CSV writes 12.30), text after the CSV guard.
func sameCells(t *testing.T, csvRows, xlsxRows [][]string) {
	t.Helper()
	if len(csvRows) != len(xlsxRows) {
		t.Fatalf("csv %d rows, xlsx %d rows", len(csvRows), len(xlsxRows))
	}
	header := csvRows[0]
	for r := range csvRows {
		x := xlsxRows[r]
		for len(x) < len(header) { // trailing empty cells are not stored
			x = append(x, "")
		}
		for i, want := range csvRows[r] {
			got := x[i]
			if strings.Contains(header[i], "_yuan") && r > 0 && want != negotiable {
				var a, b float64
				fmt.Sscan(want, &a)
				fmt.Sscan(got, &b)
				if a != b {
					t.Fatalf("row %d %s: csv %q, xlsx %q", r, header[i], want, got)
				}
				continue
			}
			if unescape(want) != got {
				t.Fatalf("row %d %s: csv %q, xlsx %q", r, header[i], want, got)
			}
		}
	}
}

// collect keeps copies of the items a source yields.
func collect(items Items) []market.CatalogItem {
	var out []market.CatalogItem
	for it, err := range items {
		if err != nil {
			panic(err)
		}
		out = append(out, *it)
	}
	return out
}

// jsonList reads a JSON list of strings.
func jsonList(t *testing.T, v any) []string {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("not a list: %#v", v)
	}
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = x.(string)
	}
	return out
}

// jsonFen renders a JSON amount in fen as yuan with two decimals.
func jsonFen(t *testing.T, v any) string {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("not a number: %#v", v)
	}
	fen := int64(f)
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

// csvFromJSON is what each CSV column must hold for an item of the JSON
// export, worked out from the JSON fields alone (labels from GET /meta,
// region names from the region list, dates in Beijing time); it also
// returns the JSON fields that have no column.
func csvFromJSON(t *testing.T, kind market.ItemKind, it map[string]any) (cells map[string]string, extra []string) {
	t.Helper()
	str := func(k string) string {
		s, ok := it[k].(string)
		if !ok {
			t.Fatalf("json %s: %#v", k, it[k])
		}
		return s
	}
	labelled := func(codes []market.Code, k string) string {
		var out []string
		for _, v := range jsonList(t, it[k]) {
			out = append(out, market.Label(codes, v))
		}
		return strings.Join(out, "、")
	}
	region := ""
	for _, r := range market.Regions {
		if r.Code == str("region_code") {
			region = r.Name
		}
	}
	published := ""
	if v, ok := it["published_at"]; ok {
		at, err := time.Parse(time.RFC3339Nano, v.(string))
		if err != nil {
			t.Fatal(err)
		}
		published = at.In(time.FixedZone("UTC+8", 8*3600)).Format("2006-01-02")
	}
	org := "成果单位 org_name"
	if kind == market.KindDemand {
		org = "需求单位 org_name"
	}
	cells = map[string]string{
		"序号 seq": strconv.Itoa(int(it["seq"].(float64))), "编号 id": str("id"), "名称 title": str("title"),
		"行业 industry": market.Label(market.Industries, str("industry")), org: str("org_name"),
		"地区代码 region_code": str("region_code"), "地区 region_name": region,
		"关键词 keywords": strings.Join(jsonList(t, it["keywords"]), "、"), "发布日期 published_at": published,
	}
	if kind == market.KindDemand {
		deadline, _ := it["deadline"].(string) // omitted when empty
		cells["合作方式 cooperation_modes"] = labelled(market.Modes, "cooperation_modes")
		cells["预算下限（元） budget_min_yuan"] = jsonFen(t, it["budget_min_fen"])
		cells["预算上限（元） budget_max_yuan"] = jsonFen(t, it["budget_max_fen"])
		cells["截止日期 deadline"] = deadline
		cells["需求描述 description"] = str("description")
	} else {
		price := jsonFen(t, it["asking_price_fen"])
		if it["asking_price_fen"] == float64(0) {
			price = negotiable
		}
		cells["成熟度 maturity"] = market.Label(market.Maturities, str("maturity"))
		cells["转让方式 transfer_modes"] = labelled(market.Modes, "transfer_modes")
		cells["转让价格（元） asking_price_yuan"] = price
		cells["专利号 patent_numbers"] = strings.Join(jsonList(t, it["patent_numbers"]), "、")
		cells["发明人 inventors"] = strings.Join(jsonList(t, it["inventors"]), "、")
		cells["成果简介 summary"] = str("summary")
	}
	return cells, []string{"org_id"}
}

// jsonFields are the fields a JSON export item of kind carries: those SPEC
// gives the kind, as GET /demands/{id} and /achievements/{id} name them.
func jsonFields(kind market.ItemKind) []string {
	common := []string{"seq", "id", "org_id", "org_name", "title", "industry", "keywords", "region_code", "published_at"}
	if kind == market.KindDemand {
		return append(common, "description", "cooperation_modes", "budget_min_fen", "budget_max_fen", "deadline")
	}
	return append(common, "summary", "maturity", "transfer_modes", "asking_price_fen", "patent_numbers", "inventors")
}

// The three formats hold the same catalog: XLSX cell by cell as CSV, and
// every CSV column as worked out from the JSON export's fields, with every
// JSON field accounted for.
func TestFormatsAgree(t *testing.T) {
	for _, kind := range []market.ItemKind{market.KindDemand, market.KindAchievement} {
		for name, src := range map[string]Items{"tricky": tricky(kind), "synthetic": synthetic(kind, 4)} {
			t.Run(string(kind)+"/"+name, func(t *testing.T) {
				source := collect(src)
				items := slices.Values(source)
				from := func(yield func(*market.CatalogItem, error) bool) {
					for it := range items {
						if !yield(&it, nil) {
							return
						}
					}
				}
				c := catalog(kind, len(source))
				csvRows := readCSV(t, render(t, CSV, c, from))
				xlsxRows := readXLSX(t, render(t, XLSX, c, from), kind)
				sameCells(t, csvRows, xlsxRows)
				var doc struct {
					Catalog market.Catalog   `json:"catalog"`
					Items   []map[string]any `json:"items"`
				}
				if err := json.Unmarshal(render(t, JSON, c, from), &doc); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(doc.Catalog, *c) || len(doc.Items) != len(source) || len(csvRows) != len(source)+1 {
					t.Fatalf("json catalog %+v, %d items, %d csv rows; want %+v and %d", doc.Catalog, len(doc.Items), len(csvRows), *c, len(source))
				}
				header := csvRows[0]
				for i, it := range doc.Items {
					fields := jsonFields(kind)
					for k := range it {
						if !slices.Contains(fields, k) {
							t.Fatalf("item %d: json field %q not expected", i, k)
						}
					}
					for _, k := range fields {
						if _, ok := it[k]; !ok && k != "published_at" && k != "deadline" { // omitted when empty
							t.Fatalf("item %d: json lacks %q: %v", i, k, it)
						}
					}
					want, extra := csvFromJSON(t, kind, it)
					if len(want) != len(header) {
						t.Fatalf("%d columns worked out from JSON, %d in the CSV header %q", len(want), len(header), header)
					}
					for j, h := range header {
						w, ok := want[h]
						if !ok {
							t.Fatalf("CSV column %q has no JSON counterpart", h)
						}
						if got := unescape(csvRows[i+1][j]); got != w {
							t.Fatalf("item %d %s: csv %q, from json %q", i, h, got, w)
						}
					}
					for _, k := range extra {
						if k == "org_id" && it[k] != source[i].OrgID {
							t.Fatalf("item %d org_id: json %v, source %q", i, it[k], source[i].OrgID)
						}
					}
				}
				// The guard: a formula-like title is text in CSV, raw in JSON.
				if name == "tricky" && (csvRows[1][2] != `'=HYPERLINK("http://evil")` || doc.Items[0]["title"] != `=HYPERLINK("http://evil")`) {
					t.Fatalf("formula guard: csv %q json %q", csvRows[1][2], doc.Items[0]["title"])
				}
			})
		}
	}
}

func TestCSVLayout(t *testing.T) {
	b := render(t, CSV, catalog(market.KindAchievement, 3), synthetic(market.KindAchievement, 3))
	rows := readCSV(t, b)
	want := []string{"序号 seq", "编号 id", "名称 title", "行业 industry", "成果单位 org_name", "地区代码 region_code",
		"地区 region_name", "关键词 keywords", "成熟度 maturity", "转让方式 transfer_modes", "转让价格（元） asking_price_yuan",
		"专利号 patent_numbers", "发明人 inventors", "成果简介 summary", "发布日期 published_at"}
	if !reflect.DeepEqual(rows[0], want) {
		t.Fatalf("header %q", rows[0])
	}
	// Seq 3: industry index 3 (化工及日化), asking price 0 (面议).
	got := rows[3]
	if got[0] != "3" || got[3] != "化工及日化" || got[6] != "柳江区" || got[8] != "中试" || got[9] != "转让、许可" ||
		got[10] != negotiable || got[12] != "李教授、王工" || got[14] != "2026-04-01" {
		t.Fatalf("row %q", got)
	}
	if rows[1][10] != "12345.67" {
		t.Fatalf("price %q", rows[1][10])
	}
	if !bytes.Contains(b, []byte("\r\n")) {
		t.Fatal("lines do not end in CRLF")
	}
}

func TestXLSXLayout(t *testing.T) {
	c := catalog(market.KindDemand, 5)
	f, err := excelize.OpenReader(bytes.NewReader(render(t, XLSX, c, synthetic(market.KindDemand, 5))))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"技术需求目录", infoSheet}) {
		t.Fatalf("sheets %v", got)
	}
	if w, _ := f.GetColWidth("技术需求目录", "C"); w != 40 {
		t.Fatalf("title column width %v", w)
	}
	panes, err := f.GetPanes("技术需求目录")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Fatalf("header not frozen: %+v %v", panes, err)
	}
	// Amounts are numbers shown with two decimals.
	if v, _ := f.GetCellValue("技术需求目录", "J2"); v != "1,234.56" {
		t.Fatalf("budget cell %q", v)
	}
	if typ, _ := f.GetCellType("技术需求目录", "J2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Fatalf("budget cell type %v", typ)
	}
	if v, _ := f.GetCellValue(infoSheet, "B1"); v != c.Title {
		t.Fatalf("info title %q", v)
	}
	if v, _ := f.GetCellValue(infoSheet, "B6"); v != "5" {
		t.Fatalf("info item count %q", v)
	}
}

// The data sheet's <col> elements come in ascending order, one per column
// with its width: Excel offers to repair a sheet whose columns run
// backwards. Read from the sheet XML itself, since excelize's reader
// accepts either order.
func TestXLSXColumnsAscend(t *testing.T) {
	for _, kind := range []market.ItemKind{market.KindDemand, market.KindAchievement} {
		b := render(t, XLSX, catalog(kind, 3), synthetic(kind, 3))
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := zr.Open("xl/worksheets/sheet1.xml")
		if err != nil {
			t.Fatal(err)
		}
		type col struct {
			Min   int     `xml:"min,attr"`
			Max   int     `xml:"max,attr"`
			Width float64 `xml:"width,attr"`
		}
		var got []col
		dec := xml.NewDecoder(f)
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "col" {
				var c col
				if err := dec.DecodeElement(&c, &se); err != nil {
					t.Fatal(err)
				}
				got = append(got, c)
			}
		}
		f.Close()
		want := columns(kind)
		if len(got) != len(want) {
			t.Fatalf("%s: %d <col> elements, want %d: %+v", kind, len(got), len(want), got)
		}
		for i, c := range got {
			if c.Min != i+1 || c.Max != i+1 || c.Width != want[i].width {
				t.Fatalf("%s: <col> %d is %+v, want min=max=%d width %v (all: %+v)", kind, i, c, i+1, want[i].width, got)
			}
		}
	}
}

func TestEmptyCatalog(t *testing.T) {
	none := synthetic(market.KindDemand, 0)
	c := catalog(market.KindDemand, 0)
	if rows := readCSV(t, render(t, CSV, c, none)); len(rows) != 1 {
		t.Fatalf("csv rows %d", len(rows))
	}
	if rows := readXLSX(t, render(t, XLSX, c, none), market.KindDemand); len(rows) != 1 {
		t.Fatalf("xlsx rows %d", len(rows))
	}
	var doc struct{ Items []any }
	if err := json.Unmarshal(render(t, JSON, c, none), &doc); err != nil || doc.Items == nil || len(doc.Items) != 0 {
		t.Fatalf("json items %v %v", doc.Items, err)
	}
}

// TestErrorsEndTheExport checks that a failing source or destination
// stops every writer with that error.
func TestErrorsEndTheExport(t *testing.T) {
	boom := errors.New("database went away")
	failing := func(yield func(*market.CatalogItem, error) bool) {
		for it := range synthetic(market.KindDemand, 1000) {
			if it.Seq == 700 {
				yield(nil, boom)
				return
			}
			if !yield(it, nil) {
				return
			}
		}
	}
	for _, f := range []Format{CSV, XLSX, JSON} {
		if err := Write(io.Discard, f, catalog(market.KindDemand, 1000), failing); !errors.Is(err, boom) {
			t.Errorf("%s with a failing source: %v", f, err)
		}
		pr, pw := io.Pipe()
		pr.Close() // the client went away
		if err := Write(pw, f, catalog(market.KindDemand, 1000), synthetic(market.KindDemand, 1000)); !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("%s to a closed pipe: %v", f, err)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"csv": CSV, "XLSX": XLSX, " json ": JSON} {
		if f, err := ParseFormat(in); err != nil || f != want {
			t.Errorf("%q: %v %v", in, f, err)
		}
	}
	for _, in := range []string{"", "pdf", "xls"} {
		_, err := ParseFormat(in)
		var e *market.Error
		if !errors.As(err, &e) || e.Code != market.EINVALID || e.Fields[0].Field != "format" {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	got := ContentDisposition(catalog(market.KindDemand, 0), XLSX)
	want := `attachment; filename="catalog-demand-2026-Q1.xlsx"; filename*=UTF-8''` +
		`2026%E5%B9%B4%E4%B8%80%E5%AD%A3%E5%BA%A6_%E6%8A%80%E6%9C%AF%E7%9B%AE%E5%BD%95_2026-Q1.xlsx`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

var _ iter.Seq2[*market.CatalogItem, error] = synthetic(market.KindDemand, 0)

// BenchmarkWrite measures the writers alone on 20,000 synthetic demands
// (the store and HTTP are measured by scripts/exportbench).
func BenchmarkWrite(b *testing.B) {
	const n = 20000
	c := catalog(market.KindDemand, n)
	for _, f := range []Format{CSV, XLSX, JSON} {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			var size countingWriter
			for b.Loop() {
				size = 0
				if err := Write(&size, f, c, synthetic(market.KindDemand, n)); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(size))
		})
	}
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}
