package store_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sqlMethods take SQL text as their first argument (GORM's query builder
// and database/sql).
var sqlMethods = map[string]bool{
	"Raw": true, "Exec": true, "ExecContext": true, "Query": true, "QueryContext": true, "QueryRow": true,
	"QueryRowContext": true, "Where": true, "Or": true, "Not": true, "Having": true, "Joins": true,
	"Order": true, "Group": true, "Select": true, "Distinct": true, "Table": true,
}

// inlineCondMethods take GORM's inline conditions after the destination:
// a lone string there is raw SQL, so it must be a literal (with ?
// placeholders and arguments after it) or an integer primary key.
var inlineCondMethods = map[string]bool{"First": true, "Take": true, "Last": true, "Find": true, "Delete": true}

var sqlKeyword = regexp.MustCompile(`(?i)\b(select|insert\s+into|update|delete\s+from|where|order\s+by|group\s+by)\b`)

// TestSQLIsParameterised reads every non-test Go file under internal/ and
// fails when SQL text is formatted rather than parameterised: an SQL
// method whose text comes from fmt.Sprint*/Sprintf (directly or through a
// variable of the same function), a fmt format string that reads as SQL,
// or a GORM inline condition that is a lone non-literal. Concatenation of
// constants and code-chosen column names is allowed and reviewed by hand
// (docs/security.md lists the places).
func TestSQLIsParameterised(t *testing.T) {
	root := filepath.Join("..")
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		for _, problem := range sqlFindings(fset, f) {
			t.Error(problem)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("read only %d files under %s", files, root)
	}
}

// sqlFindings lists what TestSQLIsParameterised refuses in one file.
func sqlFindings(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		// Variables of this function holding formatted text.
		formatted := map[string]bool{}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if as, ok := n.(*ast.AssignStmt); ok {
				for i, rhs := range as.Rhs {
					if i < len(as.Lhs) && containsSprint(rhs) {
						if id, ok := as.Lhs[i].(*ast.Ident); ok {
							formatted[id.Name] = true
						}
					}
				}
			}
			return true
		})
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pos := fset.Position(call.Pos())
			name := sel.Sel.Name
			if isFmtSprint(sel) && len(call.Args) > 0 {
				if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, _ := strconv.Unquote(lit.Value); sqlKeyword.MatchString(s) {
						report("%s: fmt.%s formats SQL %q: use ? placeholders", pos, name, s)
					}
				}
			}
			if sqlMethods[name] && len(call.Args) > 0 {
				arg := call.Args[0]
				if containsSprint(arg) {
					report("%s: %s(...) gets SQL text built by fmt: use ? placeholders", pos, name)
				}
				ast.Inspect(arg, func(n ast.Node) bool {
					if id, ok := n.(*ast.Ident); ok && formatted[id.Name] {
						report("%s: %s(...) gets SQL text from %s, built by fmt: use ? placeholders", pos, name, id.Name)
					}
					return true
				})
			}
			if inlineCondMethods[name] && len(call.Args) == 2 {
				if lit, ok := call.Args[1].(*ast.BasicLit); !ok || lit.Kind != token.INT {
					report("%s: %s(dest, cond) with a lone condition: pass \"col = ?\", value", pos, name)
				}
			}
			return true
		})
	}
	return out
}

// The checker itself finds what it is meant to find.
func TestSQLCheckerFindsFormattedSQL(t *testing.T) {
	const src = `package x
func f(db *gorm.DB, id, name string) {
	db.Raw(fmt.Sprintf("SELECT * FROM users WHERE id = '%s'", id))
	q := fmt.Sprintf("name = '%s'", name)
	db.Where(q).Find(&rows)
	db.First(&row, id)
	_ = fmt.Sprintf("DELETE FROM sessions WHERE id = %q", id)
	db.Where("id = ?", id).First(&row)
	db.First(&row, "id = ?", id)
	db.First(&head, 1)
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := sqlFindings(fset, f)
	if len(got) != 5 {
		t.Fatalf("%d findings, want 5 (Raw+Sprintf, Sprintf SQL format twice, Where(q), First(&row, id)):\n%s", len(got), strings.Join(got, "\n"))
	}
}

func isFmtSprint(sel *ast.SelectorExpr) bool {
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "fmt" && strings.HasPrefix(sel.Sel.Name, "Sprint")
}

// containsSprint reports whether e calls fmt.Sprint, Sprintf or Sprintln.
func containsSprint(e ast.Node) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && isFmtSprint(sel) {
				found = true
			}
		}
		return !found
	})
	return found
}
