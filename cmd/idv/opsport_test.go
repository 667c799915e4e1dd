package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every kind of process has an ops port of its own, so that parts run as
// separate processes on one host do not collide: a worker of each stage
// too. The table in docs/operating.md says the same, row for row.
func TestOpsPorts(t *testing.T) {
	t.Parallel()
	processes := map[string][]string{"api": nil, "relay": nil, "retention": nil, "worker": stageNames(pipeline)}
	for _, s := range stageNames(pipeline) {
		if _, ok := stageOpsPort(s); !ok {
			t.Errorf("stage %s has no ops port of its own (stageOpsPort)", s)
		}
		processes["worker "+s] = []string{s}
	}
	want := map[string]string{}
	seen := map[string]string{}
	for p, stages := range processes {
		name, _, _ := strings.Cut(p, " ")
		addr := defaultOpsAddr(name, stages)
		if other, dup := seen[addr]; dup {
			t.Errorf("idv %s and idv %s both default to %s", p, other, addr)
		}
		seen[addr], want[p] = p, addr
	}
	if got := (config{OpsAddr: "127.0.0.1:7000"}).opsAddr("worker", []string{"doccheck"}); got != "127.0.0.1:7000" {
		t.Errorf("IDV_OPS_ADDR set: %s, want it to win", got)
	}

	doc, err := os.ReadFile("../../docs/operating.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `idv (api|relay|retention|worker(?: [a-z]+)?)`[^|]*\\| `(:\\d+)` \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = m[2]
	}
	for p, addr := range want {
		if documented[p] != addr {
			t.Errorf("docs/operating.md, Ops ports: idv %s on %q, the code %s", p, documented[p], addr)
		}
	}
	for p := range documented {
		if _, ok := want[p]; !ok {
			t.Errorf("docs/operating.md, Ops ports: idv %s is no process", p)
		}
	}
}
