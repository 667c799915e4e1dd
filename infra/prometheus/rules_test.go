package prometheus

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestPromtool checks the rules and runs their unit tests with promtool.
// Without IDV_PROMTOOL it skips, unless IDV_REQUIRE_PROMTOOL=1 (as `go tool
// task test` sets) makes the missing tool a failure.
func TestPromtool(t *testing.T) {
	t.Parallel()
	promtool := os.Getenv("IDV_PROMTOOL")
	if promtool == "" {
		if os.Getenv("IDV_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("IDV_REQUIRE_PROMTOOL=1 but IDV_PROMTOOL is not set (IDV_PROMTOOL=\"$(scripts/promtool.sh)\")")
		}
		t.Skip("IDV_PROMTOOL is not set: IDV_PROMTOOL=\"$(scripts/promtool.sh)\" go test ./infra/prometheus")
	}
	tests, err := filepath.Glob("*_test.yml")
	if err != nil || len(tests) == 0 {
		t.Fatalf("no rule tests (*_test.yml): %v", err)
	}
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		append([]string{"test", "rules"}, tests...),
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert string `yaml:"alert"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type testFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		Name      string `yaml:"name"`
		AlertTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func decode(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestEveryAlertTested checks that each alert in alerts.yml is seen firing
// and seen quiet by some case, and that no case names an alert that does not
// exist: promtool passes `exp_alerts: []` for an unknown name.
func TestEveryAlertTested(t *testing.T) {
	t.Parallel()
	var rules ruleFile
	decode(t, "alerts.yml", &rules)
	fires, quiet := map[string]int{}, map[string]int{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				fires[r.Alert], quiet[r.Alert] = 0, 0
			}
		}
	}
	if len(fires) == 0 {
		t.Fatal("alerts.yml defines no alert")
	}
	var tests testFile
	decode(t, "alerts_test.yml", &tests)
	if len(tests.RuleFiles) != 1 || tests.RuleFiles[0] != "alerts.yml" {
		t.Errorf("alerts_test.yml tests %v, want alerts.yml", tests.RuleFiles)
	}
	for _, tc := range tests.Tests {
		for _, at := range tc.AlertTest {
			if _, ok := fires[at.Alertname]; !ok {
				t.Errorf("case %q names alert %q, which alerts.yml does not define", tc.Name, at.Alertname)
				continue
			}
			if len(at.ExpAlerts) > 0 {
				fires[at.Alertname]++
			} else {
				quiet[at.Alertname]++
			}
		}
	}
	for name := range fires {
		if fires[name] == 0 {
			t.Errorf("no case sees %s fire", name)
		}
		if quiet[name] == 0 {
			t.Errorf("no case sees %s stay quiet", name)
		}
	}
}
