// Package grafana holds IDV's Grafana dashboard, idv-dashboard.json; its test
// proves the dashboard parses, uses a Prometheus datasource variable, names
// only metrics the code registers, and has a panel for each metric family
// docs/operating.md's metrics table lists (API, stages, stage consumers' lag,
// outbox, webhooks, retention, breaches).
package grafana

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the module root, seen from this package's directory.
const repoRoot = "../.."

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int                       `json:"id"`
	Type        string                    `json:"type"`
	Title       string                    `json:"title"`
	Datasource  *datasource               `json:"datasource"`
	GridPos     *struct{ H, W, X, Y int } `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Thresholds *struct {
				Steps []struct {
					Color string   `json:"color"`
					Value *float64 `json:"value"`
				} `json:"steps"`
			} `json:"thresholds"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Options struct {
		ColorMode string `json:"colorMode"`
	} `json:"options"`
	Targets []struct {
		Expr       string      `json:"expr"`
		RefID      string      `json:"refId"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func load(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile("idv-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	var d dashboard
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("idv-dashboard.json: %v", err)
	}
	if dec.More() {
		t.Fatal("idv-dashboard.json: data after the dashboard object")
	}
	return d
}

// flatten returns every panel, including those inside collapsed rows.
func flatten(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

// TestDashboardShape checks what Grafana needs to import the dashboard on
// any instance: schema 39, a Prometheus datasource variable that every
// panel and target uses, unique panel ids and a position for each panel.
func TestDashboardShape(t *testing.T) {
	t.Parallel()
	d := load(t)
	if d.SchemaVersion != 39 {
		t.Errorf("schemaVersion %d, want 39", d.SchemaVersion)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	variable := ""
	for _, v := range d.Templating.List {
		if v.Type == "datasource" && v.Query == "prometheus" {
			variable = v.Name
		}
	}
	if variable == "" {
		t.Fatal("no datasource variable of type prometheus in templating")
	}
	want := "${" + variable + "}"
	ids := map[int]string{}
	for _, p := range flatten(d.Panels) {
		if prev, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("panel %q: id %d missing or shared with %q", p.Title, p.ID, prev)
		}
		ids[p.ID] = p.Title
		if p.Title == "" || p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 {
			t.Errorf("panel %d: needs a title and a gridPos", p.ID)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no targets", p.Title)
		}
		if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != want {
			t.Errorf("panel %q: datasource %+v, want prometheus %s", p.Title, p.Datasource, want)
		}
		for _, tg := range p.Targets {
			if tg.Expr == "" || tg.RefID == "" {
				t.Errorf("panel %q: a target without expr or refId", p.Title)
			}
			if tg.Datasource != nil && tg.Datasource.UID != want {
				t.Errorf("panel %q target %s: datasource %s, want %s", p.Title, tg.RefID, tg.Datasource.UID, want)
			}
		}
	}
}

// TestDashboardUsesExportedMetrics checks every idv_ metric in every target
// expression is registered by the code: a panel on a metric nobody exports
// stays empty and looks like quiet.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	t.Parallel()
	d := load(t)
	exported := exportedMetrics(t)
	ident := regexp.MustCompile(`\bidv_[a-z0-9_]+`)
	n := 0
	for _, p := range flatten(d.Panels) {
		for _, tg := range p.Targets {
			for _, name := range ident.FindAllString(tg.Expr, -1) {
				n++
				if base := baseName(name, exported); !exported[base] {
					t.Errorf("panel %q uses %s, which no code registers", p.Title, name)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no idv_ metric in any target")
	}
}

// documentedFamilies returns the metric families in docs/operating.md's
// metrics table ("| `idv_…` | type | labels | meaning |"), by name, with
// their type. The table stands for the exported registries: cmd/idv's
// TestPipelineEndToEnd/metrics_and_readiness (checkCatalogue) scrapes the
// running system and holds the table equal to what it exports, both ways.
func documentedFamilies(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operating.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if !strings.HasPrefix(line, "| `idv_") {
			continue
		}
		cols := strings.Split(line, "|")
		if len(cols) < 5 {
			t.Fatalf("docs/operating.md metrics row %q: want name, type, labels, meaning", line)
		}
		out[strings.Trim(strings.TrimSpace(cols[1]), "`")] = strings.TrimSpace(cols[2])
	}
	if len(out) < 20 {
		t.Fatalf("found %d rows in docs/operating.md's metrics table; the parser lost it", len(out))
	}
	return out
}

// TestDashboardCoversFamilies checks there is a panel for every metric
// family docs/operating.md lists (and so every family the code exports),
// read the way its type needs: a counter as a rate (or increase), a
// histogram as a quantile of its buckets, a gauge as its value; and, for the
// figures operators asked for, with the aggregation that makes them readable.
func TestDashboardCoversFamilies(t *testing.T) {
	t.Parallel()
	d := load(t)
	families := documentedFamilies(t)
	exported := exportedMetrics(t)
	// readable adds, for some families, what must appear in the same
	// expression besides the family's type's own reading.
	readable := map[string][]string{
		"idv_api_requests_total":           {"route"},
		"idv_api_request_duration_seconds": {"histogram_quantile(0.95", "route"},
		"idv_stage_messages_total":         {"stage", "outcome"},
		"idv_stage_duration_seconds":       {"histogram_quantile(0.95", "stage"},
		"idv_stage_redeliveries_total":     {"stage"},
		"idv_stage_in_flight":              {"stage"},
		"idv_stage_consumer_pending":       {"max by (stage)"},
		"idv_stage_consumer_ack_pending":   {"max by (stage)"},
		"idv_stage_consumer_redelivered":   {"max by (stage)"},
		"idv_stage_exhausted_total":        {"stage"},
		"idv_webhook_deliveries_total":     {"outcome"},
		"idv_webhook_events_refused_total": {"reason"},
	}
	for metric := range readable {
		if _, ok := families[metric]; !ok {
			t.Errorf("readable names %s, which docs/operating.md does not list", metric)
		}
	}
	ident := regexp.MustCompile(`\bidv_[a-z0-9_]+`)
	for metric, kind := range families {
		if !exported[metric] {
			t.Errorf("docs/operating.md lists %s, which no code registers", metric)
		}
		var want [][]string // any one alternative, all of it in one expression
		switch kind {
		case "counter":
			want = [][]string{{"rate("}, {"increase("}}
		case "histogram":
			want = [][]string{{"histogram_quantile(", "_bucket", "le"}}
		case "gauge":
			want = [][]string{nil}
		default:
			t.Errorf("docs/operating.md: %s has type %q, want counter, gauge or histogram", metric, kind)
			continue
		}
		for i := range want {
			want[i] = append(want[i], readable[metric]...)
		}
		found := false
		for _, p := range flatten(d.Panels) {
			for _, tg := range p.Targets {
				uses := false
				for _, name := range ident.FindAllString(tg.Expr, -1) {
					uses = uses || baseName(name, exported) == metric
				}
				if !uses {
					continue
				}
				for _, alt := range want {
					ok := true
					for _, w := range alt {
						ok = ok && strings.Contains(tg.Expr, w)
					}
					found = found || ok
				}
			}
		}
		if !found {
			t.Errorf("no panel shows %s %s with any of %q", kind, metric, want)
		}
	}

	// The overdue figure is the proof of docs/design.md invariant 3: a big stat that
	// turns red as soon as it is above 0.
	var overdue *panel
	for _, p := range flatten(d.Panels) {
		for _, tg := range p.Targets {
			if strings.Contains(tg.Expr, "idv_retention_overdue_sessions") && p.Type == "stat" {
				overdue = &p
			}
		}
	}
	if overdue == nil {
		t.Fatal("idv_retention_overdue_sessions is not shown by a stat panel")
	}
	th := overdue.FieldConfig.Defaults.Thresholds
	if th == nil || len(th.Steps) < 2 || th.Steps[0].Value != nil || th.Steps[0].Color == "red" {
		t.Fatalf("overdue stat: thresholds %+v, want a non-red base step and a red step above 0", th)
	}
	red := false
	for _, s := range th.Steps[1:] {
		if s.Value == nil {
			t.Fatal("overdue stat: only the base threshold step may have no value")
		}
		if *s.Value > 0 && *s.Value <= 1 {
			red = s.Color == "red"
		}
	}
	if !red {
		t.Errorf("overdue stat: a value of 1 is not red: %+v", th.Steps)
	}
	if overdue.Options.ColorMode != "background" && overdue.Options.ColorMode != "value" {
		t.Errorf("overdue stat: colorMode %q shows no threshold colour", overdue.Options.ColorMode)
	}
}

// baseName strips a histogram series suffix when what remains is registered.
func baseName(name string, exported map[string]bool) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if b, ok := strings.CutSuffix(name, suffix); ok && exported[b] {
			return b
		}
	}
	return name
}

// exportedMetrics returns every `Name: "idv_…"`, `NewDesc("idv_…"` and
// `metric.Counter(reg, "idv_…"` (any constructor of package metric) in
// the module's non-test Go code, as producers/retention's alert test does.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	decl := regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*|metric\.[A-Za-z]+\(\s*\w+,\s*)"(idv_[a-z0-9_]+)"`)
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != repoRoot && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(src, -1) {
			names[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"idv_stage_messages_total", "idv_retention_overdue_sessions", "idv_api_requests_total"} {
		if !names[want] {
			t.Fatalf("scan found no %s; found %v", want, names)
		}
	}
	return names
}
