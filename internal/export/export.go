// Package export writes a catalog as CSV, XLSX or JSON. The writers are
// pure: they take the catalog and an iterator over its items and write to
// an io.Writer as they read, so a catalog of any size is exported in
// bounded memory. Which bytes they write is this package's whole concern;
// where the items come from and where the bytes go is the caller's.
package export

import (
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// Format is an export file format.
type Format string

// The formats of GET /catalogs/{id}/export?format=.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
	JSON Format = "json"
)

// ParseFormat reads the format query parameter.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX, JSON:
		return f, nil
	case "":
		return "", market.Invalid("format", "is required: csv, xlsx or json")
	}
	return "", market.Invalid("format", "must be csv, xlsx or json")
}

// ContentType is the media type of the format.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/json"
}

// Items yields a catalog's items in catalog order, or an error that ends
// the export.
type Items = iter.Seq2[*market.CatalogItem, error]

// Write writes the catalog and its items in format f.
func Write(w io.Writer, f Format, c *market.Catalog, items Items) error {
	switch f {
	case CSV:
		return WriteCSV(w, c, items)
	case XLSX:
		return WriteXLSX(w, c, items)
	case JSON:
		return WriteJSON(w, c, items)
	}
	return fmt.Errorf("export: unknown format %q", f)
}

// Filename is the download name: the catalog's title and period, e.g.
// "2026年第四季度技术需求目录_2026-Q4.xlsx". Characters that file systems
// refuse become "_".
func Filename(c *market.Catalog, f Format) string {
	title := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`\/:*?"<>|`, r) {
			return '_'
		}
		return r
	}, c.Title)
	return title + "_" + c.Period + "." + string(f)
}

// ContentDisposition makes the attachment header: an ASCII filename for
// old clients and the real one as an RFC 5987 filename* (UTF-8,
// percent-encoded) for all others.
func ContentDisposition(c *market.Catalog, f Format) string {
	ascii := "catalog-" + string(c.Kind) + "-" + c.Period + "." + string(f)
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + pctEncode(Filename(c, f))
}

// pctEncode encodes s as an RFC 5987 value-chars: attr-chars stay, every
// other byte becomes %XX.
func pctEncode(s string) string {
	const attrChars = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte(attrChars, ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}
