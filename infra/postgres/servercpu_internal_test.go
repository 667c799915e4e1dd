package postgres

import (
	"math"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	cases := []struct {
		stat string
		want float64
		ok   bool
	}{
		{"2225 (postgres) S 1 2225 2225 0 -1 4194304 54184 5623292 0 34 107 395 15999 16734 20 0 1 0", 5.02, true},
		// The command is in parentheses and may hold spaces and ")".
		{"77 (postgres: a) b) R 1 77 77 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0", 3.00, true},
		{"78 (bash) S 1 78 78 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0", 0, false},
		{"79 (postgres) S 1 79", 0, false},
		{"80 (postgres) S 1 80 80 0 -1 0 0 0 0 0 x 50 0 0", 0, false},
		{"80 (postgres) S 1 80 80 0 -1 0 0 0 0 0 NaN 50 0 0", 0, false},
		{"80 (postgres) S 1 80 80 0 -1 0 0 0 0 0 -1 50 0 0", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, ok := parseProcStat(c.stat)
		if ok != c.ok || (ok && (got < c.want-1e-9 || got > c.want+1e-9)) {
			t.Errorf("parseProcStat(%q) = %v, %v; want %v, %v", c.stat, got, ok, c.want, c.ok)
		}
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add("2225 (postgres) S 1 2225 2225 0 -1 4194304 54184 5623292 0 34 107 395 15999")
	f.Add("1 (postgres) ) ( 1")
	f.Add("1 (postgres) S 1 1 1 0 -1 0 0 0 0 0 NaN 1")
	f.Add("1 (postgres) S 1 1 1 0 -1 0 0 0 0 0 -5 1")
	f.Fuzz(func(t *testing.T, stat string) {
		if got, ok := parseProcStat(stat); ok && (got < 0 || math.IsNaN(got) || math.IsInf(got, 0)) {
			t.Fatalf("parseProcStat(%q) = %v: a CPU time is finite and not negative", stat, got)
		}
	})
}
