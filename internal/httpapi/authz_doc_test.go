package httpapi_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	matrixBegin = "<!-- authz-matrix:begin (generated from internal/httpapi/authz_matrix_test.go; TECHMARKET_UPDATE_DOCS=1 go test -run TestSecurityDocMatrix ./internal/httpapi rewrites it) -->"
	matrixEnd   = "<!-- authz-matrix:end -->"
)

// renderMatrix writes the authorization matrix as a Markdown table.
func renderMatrix() string {
	var b strings.Builder
	b.WriteString("| route | fixture | anon | unverified ent. | owner ent. | other ent. | university | operator liuzhou | operator guizhong | government | platform admin |\n")
	b.WriteString("| --- | --- |" + strings.Repeat(" :-: |", int(nRoles)) + "\n")
	for _, c := range authzCases() {
		fmt.Fprintf(&b, "| `%s %s` | %s |", c.method, c.route, c.variant)
		for _, want := range c.want {
			cell := fmt.Sprint(want)
			switch {
			case want == A:
				cell = "✓"
			case want == C:
				cell = "✓ (409)"
			case want == N && c.listed != "":
				cell = "not listed"
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// docs/security.md carries the matrix the test checks, cell for cell.
func TestSecurityDocMatrix(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "security.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, matrixBegin), strings.Index(s, matrixEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no matrix section (%q … %q)", path, matrixBegin, matrixEnd)
	}
	want := matrixBegin + "\n\n" + renderMatrix() + "\n"
	if s[i:j] == want {
		return
	}
	if os.Getenv("TECHMARKET_UPDATE_DOCS") != "" {
		if err := os.WriteFile(path, []byte(s[:i]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the matrix in %s", path)
		return
	}
	t.Errorf("the matrix in %s differs from authzCases(); run TECHMARKET_UPDATE_DOCS=1 go test -run TestSecurityDocMatrix ./internal/httpapi", path)
}
