package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
)

// TestLoadgenScaleOut runs idv loadgen laid out as a scaled-out deployment
// is: the stages in one `idv worker all` process of its own, beside an
// embedded three-node JetStream cluster with the stream at R3. This
// process runs no stage, so every verification the report counts as
// approved went through the worker process; the database must hold as
// many approved sessions. Counts only: the figures are the command's.
func TestLoadgenScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds idv and starts three NATS nodes and a worker process: not with -short")
	}
	bin := buildIDV(t)
	server := pgtest.ServerURL(t)
	mainURL := pgtest.NewURL(t)
	keysDB(t, mainURL) // dropped at the end: loadgen makes it beside the main database
	dev := t.TempDir()
	cfg, err := parseConfig(func(k string) string {
		return map[string]string{"DATABASE_URL": server, "IDV_DEV_DIR": dev}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	const n, warm = 8, 2 * 4 // the warm-up: twice -concurrency, unmeasured
	r, err := parseLoadgen([]string{"-mode", "tiny", "-n", "8", "-concurrency", "4", "-workers", "1", "-nats-nodes", "3",
		"-worker-bin", bin}, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r.database = postgres.DatabaseName(mainURL)
	var out strings.Builder
	if err := r.run(t.Context(), cfg, &out, io.Discard); err != nil {
		t.Fatalf("loadgen: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{
		"layout: stages in 1 idv worker all process(es); API, relay and retention in this process; NATS 3 node(s), stream IDV at R3 (leader ",
		"warm-up: 8 verifications in ", "\n8 verifications in ", " 0 failed, decisions map[approved:8]",
		"worker process ",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	owner, err := postgres.Open(context.Background(), mainURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	var approved int
	if err := owner.QueryRow(`SELECT count(*) FROM sessions WHERE decision = 'approved'`).Scan(&approved); err != nil {
		t.Fatal(err)
	}
	if approved != n+warm {
		t.Errorf("%d sessions approved in the database, want %d (%d measured, %d to warm up)", approved, n+warm, n, warm)
	}
}

// TestCPUCount: taskset lists as -worker-cpus takes them.
func TestCPUCount(t *testing.T) {
	for _, tc := range []struct {
		list string
		want int
		ok   bool
	}{
		{"0", 1, true}, {"0,1", 2, true}, {"0-3", 4, true}, {"0-1,4", 3, true},
		{"", 0, false}, {"a", 0, false}, {"3-1", 0, false}, {"-1", 0, false}, {"0,", 0, false},
	} {
		got, err := cpuCount(tc.list)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("cpuCount(%q) = %d, %v; want %d, ok %v", tc.list, got, err, tc.want, tc.ok)
		}
	}
}
