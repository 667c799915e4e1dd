// Package ops serves the operators' endpoints on a listener of their own,
// apart from the API: /metrics (Prometheus), /healthz (the process runs) and
// /readyz (every dependency answers within a deadline). Nothing else: any
// other path is 404.
package ops

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check tells whether one dependency answers.
type Check func(ctx context.Context) error

// The codes /readyz reports per dependency. A driver's error text names
// hosts, ports, database and user names; it goes to the log, never to the
// unauthenticated probe endpoint.
const (
	Ready       = "ok"
	Unavailable = "unavailable" // the check failed
	TimedOut    = "timeout"     // the check did not answer within the deadline
)

// Options shape the handler.
type Options struct {
	// Timeout bounds each readiness check.
	Timeout time.Duration
	// Token, when set, is the bearer token /metrics requires
	// (Authorization: Bearer <token>). /healthz and /readyz stay open: the
	// kubelet's probes send no credentials and they reveal only fixed codes.
	Token string
	// Log receives each failed check's error; nil discards it.
	Log *slog.Logger
}

// Handler serves /metrics from gatherer, /healthz, and /readyz running every
// check concurrently, each within opts.Timeout.
func Handler(gatherer prometheus.Gatherer, checks map[string]Check, opts Options) http.Handler {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	var metrics http.Handler = promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{})
	if opts.Token != "" {
		metrics = requireBearer(opts.Token, metrics)
	}
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": Ready})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		results := runChecks(r.Context(), checks, opts.Timeout, log)
		status := http.StatusOK
		for _, v := range results {
			if v != Ready {
				status = http.StatusServiceUnavailable
			}
		}
		writeJSON(w, status, results)
	})
	return mux
}

// requireBearer answers 401 unless the request carries token. Both sides
// are hashed first so that the comparison takes the same time whatever
// the length of the guess.
func requireBearer(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte("Bearer " + token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="idv-ops"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// runChecks returns a fixed code per check name and logs each failure's
// error.
func runChecks(ctx context.Context, checks map[string]Check, timeout time.Duration, log *slog.Logger) map[string]string {
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
			res := Ready
			if err := checks[name](cctx); err != nil {
				res = Unavailable
				if errors.Is(err, context.DeadlineExceeded) || cctx.Err() != nil {
					res = TimedOut
				}
				log.Warn("readiness check failed", "check", name, "code", res, "err", err)
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
