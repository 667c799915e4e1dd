package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/run.golden")

// TestRecordedRun feeds a recorded `go test -json` (testdata/run.jsonl:
// packages a to e of a scratch module, run together so their events
// interleave; a pass with a log, a failing subtest under a failing parent,
// a build failure, a skip for want of DATABASE_URL, a -short skip, a
// t.SkipNow without message, a package without tests, a panic) and checks
// the whole printed report against testdata/run.golden.
func TestRecordedRun(t *testing.T) {
	in, err := os.Open(filepath.Join("testdata", "run.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out bytes.Buffer
	ok, err := check(in, &out)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Error("check passed a run with failures and forbidden skips")
	}
	golden := filepath.Join("testdata", "run.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("report differs from %s (go test -run TestRecordedRun -update to rewrite, then read the diff):\n%s", golden, got)
	}
}

// Lines of test2json for the cases below.
const (
	pkgStart = `{"Action":"start","Package":"m/p"}` + "\n"
	pkgOK    = `{"Action":"output","Package":"m/p","Output":"ok  \tm/p\t0.010s\n"}` + "\n" +
		`{"Action":"pass","Package":"m/p","Elapsed":0.01}` + "\n"
	pkgFail = `{"Action":"output","Package":"m/p","Output":"FAIL\tm/p\t0.010s\n"}` + "\n" +
		`{"Action":"fail","Package":"m/p","Elapsed":0.01}` + "\n"
	testPass = `{"Action":"run","Package":"m/p","Test":"TestA"}` + "\n" +
		`{"Action":"output","Package":"m/p","Test":"TestA","Output":"    a_test.go:3: a passing test's log\n"}` + "\n" +
		`{"Action":"pass","Package":"m/p","Test":"TestA"}` + "\n"
	testFail = `{"Action":"run","Package":"m/p","Test":"TestB"}` + "\n" +
		`{"Action":"output","Package":"m/p","Test":"TestB","Output":"=== RUN   TestB\n"}` + "\n" +
		`{"Action":"output","Package":"m/p","Test":"TestB","Output":"    b_test.go:9: got 1, want 2\n"}` + "\n" +
		`{"Action":"output","Package":"m/p","Test":"TestB","Output":"--- FAIL: TestB (0.00s)\n"}` + "\n" +
		`{"Action":"fail","Package":"m/p","Test":"TestB"}` + "\n"
	buildFail = `{"ImportPath":"m/p [m/p.test]","Action":"build-output","Output":"p_test.go:1:1: syntax error\n"}` + "\n" +
		`{"ImportPath":"m/p [m/p.test]","Action":"build-fail"}` + "\n" +
		`{"Action":"start","Package":"m/p"}` + "\n" +
		`{"Action":"output","Package":"m/p","Output":"FAIL\tm/p [build failed]\n"}` + "\n" +
		`{"Action":"fail","Package":"m/p","Elapsed":0,"FailedBuild":"m/p [m/p.test]"}` + "\n"
)

// skipped is a skip of TestS/sub with reason, as pgtest and the cmd/idv
// tests write it (a log before it, a prefix, a continuation line).
func skipped(reason string) string {
	return `{"Action":"run","Package":"m/p","Test":"TestS/sub"}` + "\n" +
		`{"Action":"output","Package":"m/p","Test":"TestS/sub","Output":"=== RUN   TestS/sub\n"}` + "\n" +
		`{"Action":"output","Package":"m/p","Test":"TestS/sub","Output":"        s_test.go:4: looking for it\n"}` + "\n" +
		`{"Action":"output","Package":"m/p","Test":"TestS/sub","Output":"        pgtest.go:33: ` + reason + `\n"}` + "\n" +
		`{"Action":"output","Package":"m/p","Test":"TestS/sub","Output":"            (second line)\n"}` + "\n" +
		`{"Action":"output","Package":"m/p","Test":"TestS/sub","Output":"    --- SKIP: TestS/sub (0.00s)\n"}` + "\n" +
		`{"Action":"skip","Package":"m/p","Test":"TestS/sub"}` + "\n"
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     string
		ok     bool
		has    []string // in the output
		hasNot []string
	}{
		{"passes", pkgStart + testPass + pkgOK, true,
			[]string{"ok  \tm/p\t0.010s\n", "1 packages, 0 failed; 0 tests skipped"},
			[]string{"a passing test's log", "skipped tests"}},
		{"a failing test", pkgStart + testPass + testFail + pkgFail, false,
			[]string{"--- FAIL: TestB (0.00s)\n    b_test.go:9: got 1, want 2\nFAIL\tm/p\t0.010s\n", "1 failed"},
			[]string{"=== RUN", "a passing test's log"}},
		{"a build failure", buildFail, false,
			[]string{"p_test.go:1:1: syntax error\nFAIL\tm/p [build failed]\n", "1 packages, 1 failed"}, nil},
		{"an allowed skip", pkgStart + skipped("three NATS nodes and 36 verifications: not with -short") + pkgOK, true,
			[]string{"allowed: -short", "  three NATS nodes and 36 verifications: not with -short\n  (second line)\n    m/p TestS/sub\n", "1 tests skipped, 0 of them not allowed"},
			[]string{"looking for it"}},
		{"a skip for want of PostgreSQL", pkgStart + skipped("integration test skipped: no DATABASE_URL") + pkgOK, false,
			[]string{"ok  \tm/p", "NOT ALLOWED, the task provides it: PostgreSQL", "    m/p TestS/sub\n", "1 of them not allowed"}, nil},
		{"a skip no rule knows", pkgStart + skipped("the moon is not full") + pkgOK, false,
			[]string{"NOT ALLOWED: unclassified", "  the moon is not full\n"}, nil},
		{"go test stopped mid-package", pkgStart + testPass + `{"Action":"run","Package":"m/p","Test":"TestC"}` + "\n" +
			`{"Action":"output","Package":"m/p","Test":"TestC","Output":"    c_test.go:5: half way\n"}` + "\n", false,
			[]string{"    c_test.go:5: half way\nFAIL\tm/p [no result: go test stopped]\n"}, nil},
		{"lines that are not test2json pass through", "go: downloading example.com/x v1.0.0\n" + pkgStart + testPass + pkgOK, true,
			[]string{"go: downloading example.com/x v1.0.0\n"}, nil},
		{"nothing at all", "", true, []string{"0 packages"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			ok, err := check(strings.NewReader(c.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if ok != c.ok {
				t.Errorf("passed = %v, want %v; output:\n%s", ok, c.ok, out.String())
			}
			for _, s := range c.has {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(out.String(), s) {
					t.Errorf("output has %q:\n%s", s, out.String())
				}
			}
		})
	}
}
