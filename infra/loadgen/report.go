package loadgen

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"text/tabwriter"
	"time"
)

// Report summarises a run.
type Report struct {
	N, Failed  int
	Elapsed    time.Duration
	Throughput float64 // completed verifications per second
	Decisions  map[string]int
	Errors     []string // the first few
	// Latencies by stage name ("end to end", "upload", each check,
	// "decision", "notify"), over the verifications that completed.
	Latencies map[string][]time.Duration
}

// Summarise builds the report of a run's samples.
func Summarise(samples []Sample, elapsed time.Duration) Report {
	r := Report{N: len(samples), Elapsed: elapsed, Decisions: map[string]int{}, Latencies: map[string][]time.Duration{}}
	for _, s := range samples {
		if s.Err != nil {
			r.Failed++
			if len(r.Errors) < 5 {
				r.Errors = append(r.Errors, s.Err.Error())
			}
			continue
		}
		r.Decisions[s.Decision]++
		r.Latencies["end to end"] = append(r.Latencies["end to end"], s.EndToEnd)
		r.Latencies["upload"] = append(r.Latencies["upload"], s.Upload)
		for c, d := range s.Checks {
			r.Latencies["check "+c] = append(r.Latencies["check "+c], d)
		}
		r.Latencies["decision"] = append(r.Latencies["decision"], s.Decide)
		r.Latencies["notify"] = append(r.Latencies["notify"], s.Notify)
	}
	if elapsed > 0 {
		r.Throughput = float64(r.N-r.Failed) / elapsed.Seconds()
	}
	return r
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// Print writes the report: counts, throughput, then p50/p95/p99 per stage.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%d verifications in %.1f s: %.2f/s completed, %d failed, decisions %v\n",
		r.N, r.Elapsed.Seconds(), r.Throughput, r.Failed, r.Decisions)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	names := make([]string, 0, len(r.Latencies))
	for n := range r.Latencies {
		names = append(names, n)
	}
	order := map[string]int{"upload": 0, "decision": 2, "notify": 3, "end to end": 4}
	sort.Slice(names, func(i, j int) bool {
		oi, oj := orderOf(order, names[i]), orderOf(order, names[j])
		if oi != oj {
			return oi < oj
		}
		return names[i] < names[j]
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	for _, n := range names {
		ds := r.Latencies[n]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", n, ms(Percentile(ds, 50)), ms(Percentile(ds, 95)),
			ms(Percentile(ds, 99)), ms(Percentile(ds, 100)))
	}
	tw.Flush()
}

func orderOf(order map[string]int, name string) int {
	if o, ok := order[name]; ok {
		return o
	}
	return 1 // the checks, between upload and decision
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
