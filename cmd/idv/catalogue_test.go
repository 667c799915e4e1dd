package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"
)

// catalogued is one row of the metrics table in docs/operating.md.
type catalogued struct {
	kind   string   // counter, gauge, histogram
	labels []string // sorted
}

// readmeMetrics parses the metrics table in docs/operating.md: rows
// "| `idv_…` | type | `label`, … | meaning |".
func readmeMetrics(t *testing.T) map[string]catalogued {
	t.Helper()
	raw, err := os.ReadFile("../../docs/operating.md")
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile("`([a-z_]+)`")
	out := map[string]catalogued{}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if !strings.HasPrefix(line, "| `idv_") {
			continue
		}
		cols := strings.Split(line, "|")
		if len(cols) < 5 {
			t.Fatalf("README metrics row %q: want name, type, labels, meaning", line)
		}
		name := strings.Trim(strings.TrimSpace(cols[1]), "`")
		var labels []string
		for _, m := range quoted.FindAllStringSubmatch(cols[3], -1) {
			labels = append(labels, m[1])
		}
		slices.Sort(labels)
		if _, dup := out[name]; dup {
			t.Errorf("README lists %s twice", name)
		}
		out[name] = catalogued{kind: strings.TrimSpace(cols[2]), labels: labels}
	}
	if len(out) < 20 {
		t.Fatalf("found %d rows in the README metrics table; the parser lost it", len(out))
	}
	return out
}

// idPattern matches what an id looks like in IDV: a UUID, or a prefixed
// token (message, webhook, key ids; secrets).
var idPattern = regexp.MustCompile(`^(msg_|whsec_|idv_sk_|idv_at_)|[0-9a-f]{8}-[0-9a-f]{4}-`)

// checkCatalogue checks a scraped registry against the README's metrics
// table, both ways: every catalogued metric is exported with the type and
// labels the table gives, every exported idv_ metric is catalogued, and no
// label value of any metric is an id (docs/design.md invariant 1).
func checkCatalogue(t *testing.T, families []*dto.MetricFamily) {
	t.Helper()
	table := readmeMetrics(t)
	seen := map[string]bool{}
	for _, f := range families {
		name := f.GetName()
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if _, err := uuid.Parse(l.GetValue()); err == nil || idPattern.MatchString(l.GetValue()) {
					t.Errorf("metric %s carries an id in label %s", name, l.GetName())
				}
			}
		}
		if !strings.HasPrefix(name, "idv_") {
			continue
		}
		seen[name] = true
		row, ok := table[name]
		if !ok {
			t.Errorf("%s is exported but not in the README metrics table", name)
			continue
		}
		if kind := strings.ToLower(f.GetType().String()); kind != row.kind {
			t.Errorf("%s is a %s, the README says %s", name, kind, row.kind)
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName())
			}
			slices.Sort(labels)
			if !slices.Equal(labels, row.labels) {
				t.Errorf("%s has labels %v, the README says %v", name, labels, row.labels)
				break
			}
		}
	}
	for name := range table {
		if !seen[name] {
			t.Errorf("README lists %s, which the running system does not export", name)
		}
	}
}
