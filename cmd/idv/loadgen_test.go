package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/loadgen"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/internal/gcdefaults"
	"github.com/idv-oss/idv/schemas"
)

// TestLoadgenDrivesTheSystem: the load generator's tiny workload completes
// every verification with one approved decision and a latency for each
// stage, and its wipe ends with a session.deleted webhook for each. The
// image checks are off, as idv loadgen -mode tiny turns them off.
func TestLoadgenDrivesTheSystem(t *testing.T) {
	s := startSystemWith(t, systemOptions{noImageChecks: true})
	w, err := loadgen.Tiny()
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadgen.Config{APIURL: s.apiURL, APIKey: s.tenant.APIKey, Checks: w.Checks, N: 6, Concurrency: 3,
		Captures: w.Captures, Await: s.rcv.Arrival, Progress: io.Discard}
	samples, elapsed, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := loadgen.Summarise(samples, elapsed)
	if r.Failed != 0 || r.Decisions[schemas.DecisionApproved] != 6 || len(r.Latencies["check document"]) != 6 ||
		len(r.Latencies["end to end"]) != 6 || loadgen.Percentile(r.Latencies["end to end"], 100) <= 0 {
		t.Fatalf("report %+v", r)
	}
	ids := make([]string, 0, len(samples))
	for _, smp := range samples {
		ids = append(ids, smp.SessionID)
	}
	if d, err := loadgen.Wipe(context.Background(), cfg, ids); err != nil || d <= 0 {
		t.Fatalf("wipe: %v, %v", d, err)
	}
	var left int
	if err := s.owner.Get(&left, `SELECT count(*) FROM sessions WHERE tenant_id = $1 AND deleted_at IS NULL`, s.tenant.TenantID); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d sessions not deleted after the wipe", left)
	}

	// A measured run after a warm-up of 3 (-warmup), with the wipe
	// profiled and traced (-wipe-cpuprofile, -wipe-trace): the report
	// counts the 2 measured ones alone, and the warm-up's sessions are
	// wiped too. The tables are analysed after the warm-up, as idv
	// loadgen does unless -analyze=false (only an ANALYZE moves
	// last_analyze; autovacuum's moves last_autoanalyze).
	cfg.N = 2
	prof, tr := filepath.Join(t.TempDir(), "wipe.prof"), filepath.Join(t.TempDir(), "wipe.trace")
	var out bytes.Buffer
	opts := loadgen.Options{Wipe: true, WipeCPUProfile: prof, WipeTrace: tr, Warmup: 3, Transactions: postgres.Transactions,
		Analyze: func(ctx context.Context) error { return postgres.Analyze(ctx, s.mainURL, s.keysURL) }}
	analysed := func() (at time.Time) {
		t.Helper()
		if err := s.owner.Get(&at, `SELECT coalesce(last_analyze, 'epoch') FROM pg_stat_user_tables WHERE relname = 'sessions'`); err != nil {
			t.Fatal(err)
		}
		return at
	}
	before := analysed()
	if err := w.Measure(context.Background(), cfg, opts, &out); err != nil {
		t.Fatalf("measure: %v\n%s", err, out.String())
	}
	if after := analysed(); !after.After(before) || !strings.Contains(out.String(), "warm-up: the databases' tables analysed") {
		t.Errorf("sessions last analysed %v before the run, %v after; report:\n%s", before, after, out.String())
	}
	if b, err := os.ReadFile(prof); err != nil || !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) || !strings.Contains(out.String(), "wipe: 2 sessions erased") {
		t.Fatalf("wipe profile: %d bytes, %v; report:\n%s", len(b), err, out.String())
	}
	if b, err := os.ReadFile(tr); err != nil || !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Errorf("wipe trace: %d bytes, %v", len(b), err)
	}
	if !strings.Contains(out.String(), "warm-up: 3 verifications and their wipe") || !strings.Contains(out.String(), "2 verifications in ") ||
		!strings.Contains(out.String(), ", "+gcdefaults.Read(os.Getenv).String()+"\n") {
		t.Errorf("a run after a warm-up of 3 reported:\n%s", out.String())
	}
	// The system's transactions, counted by its pools: a tiny verification
	// takes about 31 one at a time (TestRoundTripsPerVerification), its
	// wipe a few.
	m := regexp.MustCompile(`PostgreSQL transactions: ([0-9.]+) per verification .*\n(?s:.*)PostgreSQL transactions: ([0-9.]+) per wipe`).
		FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no transaction counts in the report:\n%s", out.String())
	}
	if v, _ := strconv.ParseFloat(m[1], 64); v < 10 || v > 60 {
		t.Errorf("%s transactions per verification, want 10 to 60", m[1])
	}
	if v, _ := strconv.ParseFloat(m[2], 64); v < 1 || v > 20 {
		t.Errorf("%s transactions per wipe, want 1 to 20", m[2])
	}
	var made struct{ All, Left int }
	if err := s.owner.Get(&made, `SELECT count(*) AS all, count(*) FILTER (WHERE deleted_at IS NULL) AS left
		FROM sessions WHERE tenant_id = $1`, s.tenant.TenantID); err != nil {
		t.Fatal(err)
	}
	if made.All != 6+3+2 || made.Left != 0 {
		t.Errorf("%d sessions made, %d not deleted; want 11 (6, the warm-up's 3 and the run's 2), all deleted", made.All, made.Left)
	}
	if _, err := parseLoadgen([]string{"-wipe-cpuprofile", prof}, config{}, io.Discard); err == nil {
		t.Error("-wipe-cpuprofile without -wipe was taken")
	}
	if _, err := parseLoadgen([]string{"-wipe-trace", tr}, config{}, io.Discard); err == nil {
		t.Error("-wipe-trace without -wipe was taken")
	}
	if _, err := parseLoadgen([]string{"-warmup", "-2"}, config{}, io.Discard); err == nil {
		t.Error("-warmup -2 was taken")
	}
	if r, err := parseLoadgen([]string{"-concurrency", "5"}, config{}, io.Discard); err != nil || r.opts.Warmup != 10 || !r.analyze {
		t.Errorf("-concurrency 5 without -warmup: warm-up %d, analyse %t (%v), want twice the concurrency, analysed", r.opts.Warmup, r.analyze, err)
	}
	if r, err := parseLoadgen([]string{"-analyze=false"}, config{}, io.Discard); err != nil || r.analyze {
		t.Errorf("-analyze=false: analyse %t (%v)", r.analyze, err)
	}
}
