package export

import (
	"archive/zip"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Built-in number format "#,##0.00".
const numFmtMoney = 4

// sheetNames are the data sheet's name by kind; infoSheet describes the
// catalog itself.
var sheetNames = map[market.ItemKind]string{
	market.KindDemand:      "技术需求目录",
	market.KindAchievement: "科技成果目录",
}

const infoSheet = "目录信息"

// WriteXLSX writes a workbook with the items on the first sheet (a frozen
// header row, readable widths, Chinese labels, amounts as numbers) and the
// catalog's details on a second. Rows go through excelize's StreamWriter,
// which keeps at most 16 MiB of sheet XML in memory and spills the rest to a
// temporary file; the zip is written straight to w, not buffered.
func WriteXLSX(w io.Writer, c *market.Catalog, items Items) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	sheet := sheetNames[c.Kind]
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	headStyle, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	})
	if err != nil {
		return err
	}
	moneyStyle, err := f.NewStyle(&excelize.Style{NumFmt: numFmtMoney})
	if err != nil {
		return err
	}
	cols := columns(c.Kind)
	// excelize v2.11's StreamWriter puts each new width in front of those
	// set before (flatCols), and writes <cols> in that order. Excel wants
	// <col> elements in ascending order and offers to "repair" the file
	// otherwise, so set the widths from the last column to the first.
	// TestXLSXColumnsAscend reads the order back.
	for i := len(cols) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, cols[i].width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	row := make([]any, len(cols))
	for i, col := range cols {
		row[i] = excelize.Cell{StyleID: headStyle, Value: col.header}
	}
	if err := sw.SetRow("A1", row, excelize.RowOpts{Height: 32}); err != nil {
		return err
	}
	n := 1
	for it, err := range items {
		if err != nil {
			return err
		}
		n++
		for i, col := range cols {
			switch v := col.value(it).(type) {
			case yuan:
				// float64 holds every realistic amount in fen exactly.
				row[i] = excelize.Cell{StyleID: moneyStyle, Value: float64(v) / 100}
			default:
				row[i] = v
			}
		}
		if err := sw.SetRow("A"+strconv.Itoa(n), row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := writeInfo(f, c); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title: c.Title, Subject: c.Period, Creator: market.Label(market.Markets, c.Market), Language: "zh-CN",
	}); err != nil {
		return err
	}
	// SetZipWriter is excelize's hook for the archive writer: handing it
	// one on w makes WriteToBuffer stream the workbook instead of building
	// it in a buffer (which stays empty).
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	_, err = f.WriteToBuffer()
	return err
}

// writeInfo fills the sheet that says what the catalog is.
func writeInfo(f *excelize.File, c *market.Catalog) error {
	if _, err := f.NewSheet(infoSheet); err != nil {
		return err
	}
	kind := "科技成果"
	if c.Kind == market.KindDemand {
		kind = "技术需求"
	}
	status := "草稿（预览，未发布）"
	published := ""
	if c.PublishedAt != nil {
		status, published = "已发布", c.PublishedAt.In(chinaTime).Format(time.DateTime)
	}
	industries := labels(market.Industries, c.Filter.Industries)
	if industries == "" {
		industries = "全部"
	}
	regions := strings.Join(c.Filter.RegionCodes, listSep)
	if regions == "" {
		regions = "全部"
	}
	rows := [][2]any{
		{"目录名称 title", c.Title}, {"期次 period", c.Period}, {"类别 kind", kind},
		{"科技大市场 market", market.Label(market.Markets, c.Market)}, {"状态 status", status},
		{"条目数 item_count", c.ItemCount}, {"发布时间 published_at", published},
		{"行业 filter.industries", industries}, {"地区 filter.region_codes", regions}, {"目录编号 id", c.ID},
	}
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue(infoSheet, cell, v); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(infoSheet, "A", "A", 24); err != nil {
		return err
	}
	return f.SetColWidth(infoSheet, "B", "B", 60)
}
