package retention_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/idv-oss/idv/producers/retention"
)

// repoRoot is the module root, seen from this package's directory.
const repoRoot = "../.."

// TestAlertsUseExportedMetrics guards infra/prometheus/alerts.yml, whose
// retention alerts are the proof that invariant 3 holds in production: an
// alert on a metric nobody exports never fires. Every metric name in an
// expression must be one that the code registers.
func TestAlertsUseExportedMetrics(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "infra/prometheus/alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}

	exported := exportedMetrics(t)
	ident := regexp.MustCompile(`\bidv_[a-z0-9_]+`)
	alerts := map[string]string{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" {
				t.Fatalf("group %s: a rule without alert or expr", g.Name)
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Fatalf("alert %s needs a severity, a summary and a description", r.Alert)
			}
			for _, name := range ident.FindAllString(r.Expr, -1) {
				base := name
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(name, suffix); ok && exported[b] {
						base = b
					}
				}
				if !exported[base] {
					t.Errorf("alert %s uses %s, which no code exports", r.Alert, name)
				}
			}
			alerts[r.Alert] = r.Expr + " for " + r.For
		}
	}
	for name, want := range map[string]string{
		"IDVRetentionOverdue":         "idv_retention_overdue_sessions",
		"IDVOldestPersonalDataTooOld": "28 * 86400 + 3600",
		"IDVWipeFailures":             `stage="wipe"`,
		"IDVOutboxLag":                "idv_outbox_lag_seconds",
	} {
		if !strings.Contains(alerts[name], want) {
			t.Errorf("alert %s: %q does not mention %s", name, alerts[name], want)
		}
	}
}

// exportedMetrics returns the names of the metrics this package registers
// and of every `Name: "idv_…"`, `NewDesc("idv_…"` and `metric.Counter(reg, "idv_…"` (any
// constructor of package metric) in the module's non-test Go code.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	reg := prometheus.NewRegistry()
	retention.NewMetrics(reg)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		names[f.GetName()] = true
	}
	decl := regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*|metric\.[A-Za-z]+\(\s*\w+,\s*)"(idv_[a-z0-9_]+)"`)
	err = filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
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
	for _, want := range []string{"idv_stage_messages_total", "idv_outbox_lag_seconds"} {
		if !names[want] {
			t.Fatalf("scan found no %s; found %v", want, names)
		}
	}
	return names
}
