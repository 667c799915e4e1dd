package idv_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// The enums of schemas/openapi.yaml against the code that emits their
// values (issue 18 point 5): every value the code can answer is in the
// contract, and the contract names no value the code never answers, so
// neither can fall behind the other. The code's lists are the schemas
// package's (Decisions, WipeReasons, …), or where a set is only constants,
// the constants themselves, read from the source.

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(schemas.OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// enumAt returns the non-null values of the enum at path: a component
// schema's name, then property names, "items" for an array's items; nil,
// and an error reported, when there is none.
func enumAt(t *testing.T, doc *openapi3.T, path string) []string {
	t.Helper()
	steps := strings.Split(path, ".")
	ref := doc.Components.Schemas[steps[0]]
	for _, step := range steps[1:] {
		if ref == nil || ref.Value == nil {
			break
		}
		if step == "items" {
			ref = ref.Value.Items
		} else {
			ref = ref.Value.Properties[step]
		}
	}
	if ref == nil || ref.Value == nil || len(ref.Value.Enum) == 0 {
		t.Errorf("openapi.yaml has no enum at %s", path)
		return nil
	}
	var out []string
	for _, v := range ref.Value.Enum {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// goFiles parses the non-test Go files of the package in dir.
func goFiles(t *testing.T, dir string) []*ast.File {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// constants returns the values of the string constants of the package in
// dir whose name and declared type (its name; "" when untyped) keep
// accepts. Constants defined as other constants are left out: their
// source is another package.
func constants(t *testing.T, dir string, keep func(name, typ string) bool) []string {
	t.Helper()
	var out []string
	for _, f := range goFiles(t, dir) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				typ := ""
				if id, ok := vs.Type.(*ast.Ident); ok {
					typ = id.Name
				}
				for i, name := range vs.Names {
					if i >= len(vs.Values) || !keep(name.Name, typ) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out = append(out, v)
					}
				}
			}
		}
	}
	return out
}

// set returns vs sorted, each once.
func set(vs ...[]string) []string {
	out := slices.Concat(vs...)
	slices.Sort(out)
	return slices.Compact(out)
}

func typed(typ string) func(string, string) bool {
	return func(_, t string) bool { return t == typ }
}

func prefixed(prefix string) func(string, string) bool {
	return func(name, _ string) bool { return strings.HasPrefix(name, prefix) }
}

// reasonCodes are the check reason codes: every string constant named
// Reason… in the module, but for the capture page's framing hints
// (face/presence, web/), which the browser shows and no check result holds.
func reasonCodes(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		switch base := d.Name(); {
		case path == "web" || path == filepath.Join("face", "presence") || base == "testdata" ||
			(path != "." && strings.HasPrefix(base, ".")):
			return filepath.SkipDir
		}
		if matches, _ := filepath.Glob(filepath.Join(path, "*.go")); len(matches) > 0 {
			out = append(out, constants(t, path, prefixed("Reason"))...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return set(out)
}

// apiErrorCodes are the codes the API answers errors with: the literal
// codes of producers/api's apiErr calls and of the core's RequestErrors.
func apiErrorCodes(t *testing.T) []string {
	t.Helper()
	var out []string
	lit := func(e ast.Expr) {
		if l, ok := e.(*ast.BasicLit); ok && l.Kind == token.STRING {
			v, _ := strconv.Unquote(l.Value)
			out = append(out, v)
		}
	}
	for _, f := range slices.Concat(goFiles(t, filepath.Join("producers", "api")), goFiles(t, ".")) {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "apiErr" && len(n.Args) >= 2 {
					lit(n.Args[1])
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "RequestError" {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "Code" {
							lit(kv.Value)
						}
					}
				}
			}
			return true
		})
	}
	return set(out)
}

func TestContractEnumsMatchTheCode(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	captureKinds := constants(t, "schemas", typed("CaptureKind"))
	uploadable := slices.DeleteFunc(slices.Clone(captureKinds), func(k string) bool { return k == string(schemas.RedactedCopy) })
	tests := []struct {
		at   []string // where in openapi.yaml
		code []string // what the code can answer there
	}{
		{[]string{"Status"}, constants(t, ".", typed("Status"))},
		{[]string{"Session.decision", "CreatedSession.decision"}, schemas.Decisions},
		{[]string{"Session.wipe_reason", "CreatedSession.wipe_reason"}, schemas.WipeReasons},
		{[]string{"CheckResult.outcome"}, constants(t, "schemas", prefixed("Outcome"))},
		{[]string{"ReasonCode"}, reasonCodes(t)},
		{[]string{"Check"}, schemas.Checks},
		{[]string{"CaptureKind"}, uploadable},
		{[]string{"CaptureState.kind"}, captureKinds},
		{[]string{"Retake.capture"}, constants(t, "schemas", prefixed("Retake"))},
		{[]string{"Challenge.steps.items", "IssuedChallenge.steps.items"}, schemas.ChallengeSteps},
		{[]string{"LightSequence.sequence.items.colour"}, append([]string{schemas.LightBaseline}, schemas.LightPalette...)},
		{[]string{"Policy.fields.items"}, schemas.Fields},
		{[]string{"Policy.derived_claims.items"}, schemas.DerivedClaims},
		{[]string{"Policy.document_types.items"}, schemas.DocumentTypes},
		{[]string{"Policy.webhook_payload"}, []string{schemas.WebhookThin, schemas.WebhookFull}},
		{[]string{"Policy.minors"}, constants(t, "schemas", prefixed("Minors"))},
		{[]string{"APIKey.state"}, constants(t, ".", prefixed("APIKey"))},
		{[]string{"AuditEvent.action"}, constants(t, ".", prefixed("Audit"))},
		{[]string{"Webhook.last_refusal"}, idv.DeliveryRefusals},
		{[]string{"WebhookPayload.type"}, schemas.WebhookTypes},
		{[]string{"Error.error.code"}, apiErrorCodes(t)},
	}
	for _, tt := range tests {
		code := set(tt.code)
		if len(code) == 0 {
			t.Errorf("%v: found no values in the code", tt.at)
			continue
		}
		for _, at := range tt.at {
			contract := enumAt(t, doc, at)
			if contract == nil {
				continue
			}
			for _, v := range code {
				if !slices.Contains(contract, v) {
					t.Errorf("%s: the code can answer %q, which openapi.yaml's enum lacks", at, v)
				}
			}
			for _, v := range contract {
				if !slices.Contains(code, v) {
					t.Errorf("%s: openapi.yaml lists %q, which the code never answers", at, v)
				}
			}
		}
	}
	// The DSR kinds are inline, in the request and the answer.
	op := doc.Paths.Find("/v1/app/session/dsr").Post
	for name, ref := range map[string]*openapi3.SchemaRef{
		"request":  op.RequestBody.Value.Content.Get("application/json").Schema.Value.Properties["kind"],
		"response": op.Responses.Status(202).Value.Content.Get("application/json").Schema.Value.Properties["kind"],
	} {
		var got []string
		for _, v := range ref.Value.Enum {
			got = append(got, v.(string))
		}
		if !slices.Equal(set(got), set(schemas.DSRKinds)) {
			t.Errorf("DSR kind in the %s: openapi.yaml %v, code %v", name, set(got), set(schemas.DSRKinds))
		}
	}
}

// TestContractEnumsDescribed: every enum of more than one value in
// openapi.yaml says what each value means — its description (or, for an
// array's items, the array's) names each value in backticks.
func TestContractEnumsDescribed(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	seen := map[*openapi3.Schema]bool{}
	var visit func(where, context string, ref *openapi3.SchemaRef)
	visit = func(where, context string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil {
			return
		}
		s := ref.Value
		text := s.Description + "\n" + context
		if !seen[s] || context != "" {
			var values []string
			for _, v := range s.Enum {
				if v, ok := v.(string); ok {
					values = append(values, v)
				}
			}
			if len(values) > 1 {
				for _, v := range values {
					if !regexp.MustCompile("`" + regexp.QuoteMeta(v) + "`").MatchString(text) {
						t.Errorf("%s: the enum's value %q is not described (no `%s` in its description)", where, v, v)
					}
				}
			}
		}
		if seen[s] {
			return
		}
		seen[s] = true
		for name, p := range s.Properties {
			visit(where+"."+name, "", p)
		}
		visit(where+".items", s.Description, s.Items)
		for _, sub := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
			visit(where, "", sub)
		}
		if s.AdditionalProperties.Schema != nil {
			visit(where+".*", "", s.AdditionalProperties.Schema)
		}
	}
	for name, ref := range doc.Components.Schemas {
		visit(name, "", ref)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			for _, p := range op.Parameters {
				visit(where+" ?"+p.Value.Name, p.Value.Description, p.Value.Schema)
			}
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Value.Content {
					visit(where+" request", "", mt.Schema)
				}
			}
			for status, resp := range op.Responses.Map() {
				for _, mt := range resp.Value.Content {
					visit(where+" "+status, "", mt.Schema)
				}
			}
		}
	}
}
