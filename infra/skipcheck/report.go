package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json); build output
// carries ImportPath instead of Package.
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

// skip is one skipped test.
type skip struct {
	pkg, test, reason string
	rule              rule
}

// pkgState is what is held of a package until its result: the output of
// its running tests and its own output, printed only if it fails.
type pkgState struct {
	tests   map[string][]string
	order   []string // tests in the order they started, for leftovers
	own     []string
	summary string // go test's "ok  \tpkg\t0.1s" or "FAIL\tpkg…" line
}

// report follows one go test run.
type report struct {
	out      io.Writer
	pkgs     map[string]*pkgState
	started  []string
	failed   int // packages and builds that failed
	packages int
	skips    []skip
}

var (
	// framing is test2json's own lines, which say nothing a reader needs.
	framing = regexp.MustCompile(`^\s*=== (RUN|PAUSE|CONT|NAME)\b`)
	// logLine is the start of a t.Log/t.Skip entry: "    file.go:12: ".
	logLine = regexp.MustCompile(`^\s*[\w.\-]+\.go:\d+: `)
	status  = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): `)
)

// check reads go test -json from in, prints to out as events arrive and
// then the skips, and reports whether the run passed.
func check(in io.Reader, out io.Writer) (bool, error) {
	r := &report{out: out, pkgs: map[string]*pkgState{}}
	br := bufio.NewReader(in)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			r.line(line)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false, fmt.Errorf("read: %w", err)
		}
	}
	return r.finish(), nil
}

func (r *report) line(line string) {
	var e event
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &e) != nil {
		io.WriteString(r.out, line) // not test2json: pass it through
		return
	}
	switch e.Action {
	case "build-output":
		io.WriteString(r.out, e.Output)
		return
	case "build-fail":
		return // the package's fail event (FailedBuild) follows
	}
	if e.Package == "" {
		return
	}
	p := r.pkg(e.Package)
	if e.Test == "" {
		switch e.Action {
		case "output":
			switch o := e.Output; {
			case strings.HasPrefix(o, "ok  \t"), strings.HasPrefix(o, "FAIL\t"), strings.HasPrefix(o, "?   \t"):
				p.summary = o
			case o == "PASS\n", o == "FAIL\n", strings.HasPrefix(o, "testing: warning: no tests to run"):
			default:
				p.own = append(p.own, o)
			}
		case "pass", "skip":
			r.done(e.Package, p, false)
		case "fail":
			r.done(e.Package, p, true)
		}
		return
	}
	switch e.Action {
	case "run":
		if _, ok := p.tests[e.Test]; !ok {
			p.tests[e.Test] = nil
			p.order = append(p.order, e.Test)
		}
	case "output":
		if _, ok := p.tests[e.Test]; !ok {
			p.order = append(p.order, e.Test)
		}
		p.tests[e.Test] = append(p.tests[e.Test], e.Output)
	case "pass":
		delete(p.tests, e.Test)
	case "skip":
		reason := skipReason(p.tests[e.Test])
		r.skips = append(r.skips, skip{pkg: e.Package, test: e.Test, reason: reason, rule: classify(reason)})
		delete(p.tests, e.Test)
	case "fail":
		r.print(p.tests[e.Test])
		delete(p.tests, e.Test)
	}
}

func (r *report) pkg(name string) *pkgState {
	p, ok := r.pkgs[name]
	if !ok {
		p = &pkgState{tests: map[string][]string{}}
		r.pkgs[name] = p
		r.started = append(r.started, name)
	}
	return p
}

// done prints a package's result line, after what is left of its output
// when it failed (a test cut off by a timeout, a TestMain that exited).
func (r *report) done(name string, p *pkgState, failed bool) {
	r.packages++
	if failed {
		r.failed++
		for _, t := range p.order {
			r.print(p.tests[t])
		}
		r.print(p.own)
	}
	if p.summary == "" {
		verdict := "ok  "
		if failed {
			verdict = "FAIL"
		}
		p.summary = verdict + "\t" + name + "\n"
	}
	io.WriteString(r.out, p.summary)
	delete(r.pkgs, name)
}

// print writes a failing test's output as go test without -v does: its
// "--- FAIL" line first, then what it logged, without test2json's framing.
func (r *report) print(lines []string) {
	for _, l := range lines {
		if status.MatchString(l) {
			io.WriteString(r.out, l)
		}
	}
	for _, l := range lines {
		if !framing.MatchString(l) && !status.MatchString(l) {
			io.WriteString(r.out, l)
		}
	}
}

// skipReason is the last log entry of a skipped test, which t.Skip wrote,
// without its "file.go:12: " prefix; its continuation lines are kept.
func skipReason(lines []string) string {
	var entry []string
	for _, l := range lines {
		switch {
		case framing.MatchString(l), status.MatchString(l):
		case logLine.MatchString(l):
			entry = []string{strings.TrimSpace(logLine.ReplaceAllString(l, ""))}
		case entry != nil:
			entry = append(entry, strings.TrimSpace(l))
		}
	}
	return strings.TrimSpace(strings.Join(entry, "\n"))
}

// finish reports packages that never ended and the skips, and says whether
// the run passed.
func (r *report) finish() bool {
	for _, name := range r.started {
		p, ok := r.pkgs[name]
		if !ok {
			continue
		}
		p.summary = "FAIL\t" + name + " [no result: go test stopped]\n"
		r.done(name, p, true)
	}
	forbidden := r.printSkips()
	fmt.Fprintf(r.out, "skipcheck: %d packages, %d failed; %d tests skipped, %d of them not allowed\n",
		r.packages, r.failed, len(r.skips), forbidden)
	return r.failed == 0 && forbidden == 0
}

// printSkips lists the skips grouped by rule (those that fail the run
// first) and then by reason, and returns how many fail the run.
func (r *report) printSkips() (forbidden int) {
	if len(r.skips) == 0 {
		return 0
	}
	sort.SliceStable(r.skips, func(i, j int) bool {
		a, b := r.skips[i], r.skips[j]
		if a.rule.verdict != b.rule.verdict {
			return a.rule.verdict > b.rule.verdict
		}
		if a.rule.what != b.rule.what {
			return a.rule.what < b.rule.what
		}
		if a.reason != b.reason {
			return a.reason < b.reason
		}
		if a.pkg != b.pkg {
			return a.pkg < b.pkg
		}
		return a.test < b.test
	})
	fmt.Fprintf(r.out, "\nskipped tests:\n")
	var last skip
	for i, s := range r.skips {
		if s.rule.verdict != allowed {
			forbidden++
		}
		if i == 0 || s.rule.what != last.rule.what || s.rule.verdict != last.rule.verdict {
			label := "allowed"
			switch s.rule.verdict {
			case provided:
				label = "NOT ALLOWED, the task provides it"
			case unclassed:
				label = "NOT ALLOWED"
			}
			fmt.Fprintf(r.out, "%s: %s (%s)\n", label, s.rule.what, s.rule.why)
		}
		if i == 0 || s.reason != last.reason || s.rule.what != last.rule.what {
			reason := s.reason
			if reason == "" {
				reason = "(no message)"
			}
			fmt.Fprintf(r.out, "  %s\n", strings.ReplaceAll(reason, "\n", "\n  "))
		}
		fmt.Fprintf(r.out, "    %s %s\n", s.pkg, s.test)
		last = s
	}
	fmt.Fprintln(r.out)
	return forbidden
}
