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
	"github.com/idv-oss/idv/infra/tlsconfig"
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

// opsPart serves /metrics, /healthz and /readyz on ln, over TLS when cfg
// names a certificate, /metrics behind cfg.Token when set. Failed checks'
// errors go to log; /readyz shows fixed codes only.
func opsPart(ln net.Listener, reg *prometheus.Registry, checks map[string]ops.Check, cfg opsConfig, log *slog.Logger) part {
	h := ops.Handler(reg, checks, ops.Options{Timeout: 3 * time.Second, Token: cfg.Token, Log: log})
	return part{name: "ops", run: func(ctx context.Context) error {
		if cfg.TLSCert == "" {
			return serveHTTP(ctx, ln, h)
		}
		tc, err := tlsconfig.Server(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("IDV_OPS_TLS_CERT, IDV_OPS_TLS_KEY: %w", err)
		}
		return serveTLS(ctx, ln, h, tc)
	}}
}

// newRegistry is a process's metrics registry with the Go and process
// collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
