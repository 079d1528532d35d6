package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// bufSize is the write buffer of the text formats.
const bufSize = 32 << 10

// bom makes Excel read the CSV as UTF-8 rather than the local code page.
const bom = "\uFEFF"

// WriteCSV writes a UTF-8 CSV with a byte order mark, a header row and one
// row per item, lines ending in CRLF (RFC 4180).
func WriteCSV(w io.Writer, c *market.Catalog, items Items) error {
	bw := bufio.NewWriterSize(w, bufSize)
	if _, err := bw.WriteString(bom); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	cols := columns(c.Kind)
	rec := make([]string, len(cols))
	for i, col := range cols {
		rec[i] = col.header
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for it, err := range items {
		if err != nil {
			return err
		}
		for i, col := range cols {
			rec[i] = csvCell(col.value(it))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// csvCell renders a value. Text a spreadsheet would take for a formula
// (=, +, -, @, tab, CR first) gets a leading apostrophe, as OWASP advises
// against CSV injection: titles and names come from the public.
func csvCell(v any) string {
	switch v := v.(type) {
	case string:
		if v != "" && strings.IndexByte("=+-@\t\r", v[0]) >= 0 {
			return "'" + v
		}
		return v
	case int:
		return strconv.Itoa(v)
	case yuan:
		return v.String()
	}
	return fmt.Sprint(v)
}

// WriteJSON writes {"catalog": {...}, "items": [...]}, one item per line,
// items as GET /catalogs/{id}/items shows them.
func WriteJSON(w io.Writer, c *market.Catalog, items Items) error {
	bw := bufio.NewWriterSize(w, bufSize)
	head, err := json.Marshal(c)
	if err != nil {
		return err
	}
	bw.WriteString(`{"catalog":`)
	bw.Write(head)
	bw.WriteString(`,"items":[`)
	sep := "\n"
	for it, err := range items {
		if err != nil {
			return err
		}
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		bw.WriteString(sep)
		if _, err := bw.Write(b); err != nil {
			return err
		}
		sep = ",\n"
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}
