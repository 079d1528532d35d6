package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
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

func TestFormatsAgree(t *testing.T) {
	for _, kind := range []market.ItemKind{market.KindDemand, market.KindAchievement} {
		t.Run(string(kind), func(t *testing.T) {
			c := catalog(kind, 2)
			csvRows := readCSV(t, render(t, CSV, c, tricky(kind)))
			xlsxRows := readXLSX(t, render(t, XLSX, c, tricky(kind)), kind)
			sameCells(t, csvRows, xlsxRows)

			var doc struct {
				Catalog market.Catalog   `json:"catalog"`
				Items   []map[string]any `json:"items"`
			}
			if err := json.Unmarshal(render(t, JSON, c, tricky(kind)), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Catalog.ID != c.ID || len(doc.Items) != 2 {
				t.Fatalf("json: %+v", doc)
			}
			for i, it := range doc.Items {
				row := csvRows[i+1]
				if unescape(row[2]) != it["title"] || row[1] != it["id"] || row[3] != market.Label(market.Industries, it["industry"].(string)) {
					t.Fatalf("row %d: csv %q, json %v", i, row, it)
				}
			}
			// The guard: a formula-like title is text in CSV, raw in JSON.
			if csvRows[1][2] != `'=HYPERLINK("http://evil")` || doc.Items[0]["title"] != `=HYPERLINK("http://evil")` {
				t.Fatalf("formula guard: csv %q json %q", csvRows[1][2], doc.Items[0]["title"])
			}
		})
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
