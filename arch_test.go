package idv_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/idv-oss/idv"

// layer names where a package of the module stands in the direction the
// core's doc comment gives: producers and consumers use the core; infra
// implements it; cmd wires them; schemas holds the contracts; the
// plain libraries (the recognisers under document/ and face/, credential)
// serve them all.
func layer(pkg string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	switch top, _, _ := strings.Cut(rel, "/"); top {
	case "":
		return "core"
	case "schemas", "producers", "consumers", "infra", "cmd":
		return top
	default: // document, face, credential: plain libraries named for what they do
		return "library"
	}
}

// allowed says which layers a layer may import, besides itself.
var allowed = map[string][]string{
	"schemas":   {},
	"core":      {"schemas"},
	"library":   {"core", "schemas"},
	"infra":     {"core", "schemas", "library"},
	"producers": {"core", "schemas", "library"},
	"consumers": {"core", "schemas", "library"},
	"cmd":       {"core", "schemas", "library", "infra", "producers", "consumers"},
}

// stageImport: stages never import one another (they meet only through
// events); they share only the consume loop (consumers/stage) and what every
// check stage does around its recogniser (consumers/check).
func stageImport(from, to string) bool {
	return layer(from) == "consumers" && layer(to) == "consumers" &&
		to != module+"/consumers/stage" && to != module+"/consumers/check"
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		from := fields[0]
		for _, to := range fields[1:] {
			if to != module && !strings.HasPrefix(to, module+"/") {
				continue
			}
			lf, lt := layer(from), layer(to)
			if lf != lt && !slices.Contains(allowed[lf], lt) || stageImport(from, to) {
				t.Errorf("%s (%s) imports %s (%s): against the direction", from, lf, to, lt)
			}
		}
	}
}

// The core imports no driver: only the standard library, uuid and schemas.
func TestCoreImportsNoDriver(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, module).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for imp := range strings.Lines(string(out)) {
		imp = strings.TrimSpace(imp)
		if strings.Contains(imp, ".") && imp != "github.com/google/uuid" && imp != module+"/schemas" {
			t.Errorf("the core imports %s", imp)
		}
	}
}

// The adapters build no events: no file of infra/ calls an event constructor
// of the core or writes an idv.Event literal. The services build events and
// hand them to the store methods that append them.
func TestAdaptersBuildNoEvents(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}`, module+"/infra/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	fset := token.NewFileSet()
	for path := range strings.Lines(string(out)) {
		path = strings.TrimSpace(path)
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		core, contracts := importName(f, module, "idv"), importName(f, module+"/schemas", "schemas")
		ast.Inspect(f, func(n ast.Node) bool {
			var sel *ast.SelectorExpr
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, _ = n.Fun.(*ast.SelectorExpr)
			case *ast.CompositeLit:
				sel, _ = n.Type.(*ast.SelectorExpr)
			}
			if sel == nil {
				return true
			}
			x, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			_, lit := n.(*ast.CompositeLit)
			switch {
			case x.Name == core && (sel.Sel.Name == "Event" || strings.HasSuffix(sel.Sel.Name, "Event") && sel.Sel.Name != "AuditEvent"),
				x.Name == contracts && lit && eventBodies[sel.Sel.Name]:
				t.Errorf("%s: builds an event (%s.%s): the services build events", fset.Position(n.Pos()), x.Name, sel.Sel.Name)
			}
			return true
		})
	}
}

// No driver below the adapters: the core, the libraries, producers and
// consumers reach PostgreSQL, S3 and NATS only through the core's
// interfaces. The consume loop (consumers/stage) is the one place that
// speaks JetStream's consumer API.
func TestNoDriverOutsideAdapters(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	drivers := []string{"github.com/lib/pq", "github.com/jmoiron/sqlx", "github.com/minio/", "github.com/nats-io/",
		"github.com/versity/", "github.com/aws/"}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		from := fields[0]
		if l := layer(from); l == "infra" || l == "cmd" || from == module+"/consumers/stage" {
			continue
		}
		for _, to := range fields[1:] {
			for _, d := range drivers {
				if strings.HasPrefix(to, d) {
					t.Errorf("%s (%s) imports the driver %s", from, layer(from), to)
				}
			}
		}
	}
}

// eventBodies are the event bodies of schemas: an adapter writes none.
var eventBodies = map[string]bool{"SessionSubmitted": true, "CheckCompleted": true, "SessionDecided": true,
	"SessionExpired": true, "SessionDeleted": true, "BreachNotified": true, "SubprocessorAnnounced": true, "DSRReceived": true}

// importName is the name file f uses for the package path, or "" when it
// does not import it.
func importName(f *ast.File, path, name string) string {
	for _, imp := range f.Imports {
		if strings.Trim(imp.Path.Value, `"`) == path {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return name
		}
	}
	return ""
}
