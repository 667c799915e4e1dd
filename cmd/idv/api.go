package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/api"
)

func runAPI(ctx context.Context, cfg config, log *slog.Logger) error {
	if err := cfg.requireServices(); err != nil {
		return err
	}
	master, err := cfg.masterKey()
	if err != nil {
		return err
	}
	st, err := openStack(ctx, cfg, master)
	if err != nil {
		return err
	}
	defer st.Close()
	addr := first(cfg.HTTPAddr, ":8080")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on IDV_HTTP_ADDR %s: %w", addr, err)
	}
	log.Info("api listening", "addr", ln.Addr().String())
	return serveHTTP(ctx, ln, newAPI(st, cfg, log).Handler())
}

func newAPI(st *stack, cfg config, log *slog.Logger) *api.Server {
	return api.New(postgres.NewTenants(st.db), postgres.NewSessions(st.db), st.vault, st.objects, log,
		api.Config{AppTokenTTL: cfg.AppTokenTTL, UploadTTL: cfg.UploadTTL})
}

// serveHTTP serves h on ln until ctx ends, then drains for up to 10 s.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
