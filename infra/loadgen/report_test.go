package loadgen

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {1, time.Millisecond}} {
		if got := Percentile(ds, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if Percentile(nil, 50) != 0 || Percentile([]time.Duration{7}, 99) != 7 {
		t.Fatal("empty or single sample")
	}
	if ds[0] != 100*time.Millisecond {
		t.Fatal("Percentile sorted its argument in place")
	}
}

func TestSummarise(t *testing.T) {
	ok := Sample{SessionID: "a", Decision: "approved", Upload: time.Second, EndToEnd: 2 * time.Second,
		Checks: map[string]time.Duration{"document": time.Second}, Decide: time.Millisecond, Notify: time.Millisecond}
	bad := Sample{SessionID: "b", Err: errors.New("submit: 422")}
	r := Summarise([]Sample{ok, ok, bad}, 4*time.Second)
	if r.N != 3 || r.Failed != 1 || r.Decisions["approved"] != 2 || r.Throughput != 0.5 ||
		len(r.Latencies["check document"]) != 2 || len(r.Errors) != 1 {
		t.Fatalf("report %+v", r)
	}
	var out strings.Builder
	r.Print(&out)
	for _, want := range []string{"3 verifications in 4.0 s: 0.50/s completed, 1 failed", "error: submit: 422", "check document", "end to end"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, &out)
		}
	}
}
