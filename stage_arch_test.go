package idv_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A stage describes itself once, beside its handler: every idv.Stage
// literal in the repository's code is in consumers/<its name>/<its
// name>.go, the file of its handler, and no two name the same stage. (Tests may build
// their own.)
func TestStagesDescribeThemselvesInTheirFolder(t *testing.T) {
	t.Parallel()
	found := map[string]string{} // stage name → where
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		for _, lit := range stageLiterals(t, p) {
			where := filepath.ToSlash(p) + ":" + strconv.Itoa(lit.line)
			switch {
			case lit.name == "":
				t.Errorf("%s: an idv.Stage without a literal Name", where)
			case filepath.ToSlash(p) != path.Join("consumers", lit.name, lit.name+".go"):
				t.Errorf("%s: stage %q described here, want it in consumers/%s/%s.go", where, lit.name, lit.name, lit.name)
			case found[lit.name] != "":
				t.Errorf("%s: stage %q described again (first at %s)", where, lit.name, found[lit.name])
			default:
				found[lit.name] = where
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatal("no stage descriptions found: the test reads nothing")
	}
}

type stageLiteral struct {
	name string // the Name field's value; "" when it is not a string literal
	line int
}

// stageLiterals are the idv.Stage composite literals in the Go file at p
// (Stage in the root package itself), including those whose type is elided
// inside a slice, array or map of idv.Stage.
func stageLiterals(t *testing.T, p string) []stageLiteral {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	isStage := func(e ast.Expr) bool { return false }
	if f.Name.Name == "idv" && filepath.Dir(p) == "." {
		isStage = func(e ast.Expr) bool {
			id, ok := e.(*ast.Ident)
			return ok && id.Name == "Stage"
		}
	}
	for _, imp := range f.Imports {
		if imp.Path.Value != `"github.com/idv-oss/idv"` {
			continue
		}
		pkg := "idv"
		if imp.Name != nil {
			pkg = imp.Name.Name
		}
		if pkg == "." {
			isStage = func(e ast.Expr) bool {
				id, ok := e.(*ast.Ident)
				return ok && id.Name == "Stage"
			}
			continue
		}
		isStage = func(e ast.Expr) bool {
			sel, ok := e.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Stage" {
				return false
			}
			id, ok := sel.X.(*ast.Ident)
			return ok && id.Name == pkg
		}
	}
	var lits []stageLiteral
	add := func(lit *ast.CompositeLit) {
		lits = append(lits, stageLiteral{name: stageName(lit), line: fset.Position(lit.Pos()).Line})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if lit.Type != nil && isStage(lit.Type) {
			add(lit)
		}
		// Elements of []idv.Stage{{…}} or map[K]idv.Stage{k: {…}} leave
		// their type out.
		var elem ast.Expr
		switch typ := lit.Type.(type) {
		case *ast.ArrayType:
			elem = typ.Elt
		case *ast.MapType:
			elem = typ.Value
		}
		if elem != nil && isStage(elem) {
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					e = kv.Value
				}
				if inner, ok := e.(*ast.CompositeLit); ok && inner.Type == nil {
					add(inner)
				}
			}
		}
		return true
	})
	return lits
}

// stageName is the string literal lit gives as Name (by key, or first by
// position), or "".
func stageName(lit *ast.CompositeLit) string {
	var value ast.Expr
	for i, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			if i == 0 {
				value = e
			}
			break
		}
		if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "Name" {
			value = kv.Value
		}
	}
	if b, ok := value.(*ast.BasicLit); ok && b.Kind == token.STRING {
		if s, err := strconv.Unquote(b.Value); err == nil {
			return s
		}
	}
	return ""
}
