package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	oklog "github.com/oklog/run"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/idv-oss/idv/infra/ops"
)

// part is one long-running piece of a process: the API, the ops endpoints,
// the relay, a stage.
type part struct {
	name string
	run  func(ctx context.Context) error
}

// runParts runs every part until ctx ends or one of them stops; then it
// stops the others and waits for all. A part that fails makes the group fail.
func runParts(ctx context.Context, log *slog.Logger, parts ...part) error {
	var g oklog.Group
	g.Add(func() error { <-ctx.Done(); return nil }, func(error) {})
	for _, p := range parts {
		pctx, cancel := context.WithCancel(ctx)
		g.Add(func() error {
			log.Info("started", "part", p.name)
			if err := p.run(pctx); err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			return nil
		}, func(error) { cancel() })
	}
	return g.Run()
}

// opsPart serves /metrics, /healthz and /readyz on ln.
func opsPart(ln net.Listener, reg *prometheus.Registry, checks map[string]ops.Check) part {
	return part{name: "ops", run: func(ctx context.Context) error {
		return serveHTTP(ctx, ln, ops.Handler(reg, checks, 3*time.Second))
	}}
}

// newRegistry is a process's metrics registry with the Go and process
// collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
