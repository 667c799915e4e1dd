// Package ops serves the operators' endpoints on a listener of their own,
// apart from the API: /metrics (Prometheus), /healthz (the process runs) and
// /readyz (every dependency answers within a deadline).
package ops

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check tells whether one dependency answers.
type Check func(ctx context.Context) error

// Handler serves /metrics from gatherer, /healthz, and /readyz running every
// check concurrently with timeout each.
func Handler(gatherer prometheus.Gatherer, checks map[string]Check, timeout time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		results := runChecks(r.Context(), checks, timeout)
		status := http.StatusOK
		for _, v := range results {
			if v != "ok" {
				status = http.StatusServiceUnavailable
			}
		}
		writeJSON(w, status, results)
	})
	return mux
}

// runChecks returns "ok" or the error text per check name. Error texts come
// from drivers and hold addresses at most, never personal data.
func runChecks(ctx context.Context, checks map[string]Check, timeout time.Duration) map[string]string {
	var mu sync.Mutex
	var wg sync.WaitGroup
	results := make(map[string]string, len(checks))
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			res := "ok"
			if err := checks[name](cctx); err != nil {
				res = err.Error()
			}
			mu.Lock()
			results[name] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
