package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/tlsconfig"
	"github.com/idv-oss/idv/producers/api"
	"github.com/idv-oss/idv/producers/tenant"
)

func runAPI(ctx context.Context, cfg config, log *slog.Logger) error {
	return withStack(ctx, cfg, "api", needServices, func(st *stack) error {
		// A register entry added since the last start is announced now, so
		// adding one to IDV_SUBPROCESSORS_FILE and restarting announces it;
		// replicas starting together announce each entry to each tenant once.
		n, err := syncRegister(ctx, st, cfg.Register)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("sub-processors announced", "announcements", n)
		}
		apiLn, err := listen("IDV_HTTP_ADDR", first(cfg.HTTPAddr, ":8080"))
		if err != nil {
			return err
		}
		opsLn, err := listen("IDV_OPS_ADDR", cfg.opsAddr("api", nil))
		if err != nil {
			return err
		}
		reg := newRegistry()
		log.Info("api listening", "addr", apiLn.Addr().String(), "ops", opsLn.Addr().String())
		return runParts(ctx, log, apiPart(apiLn, st, cfg, log, reg), opsPart(opsLn, reg, st.checks(), cfg.Ops, log))
	})
}

func listen(setting, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s %s: %w", setting, addr, err)
	}
	return ln, nil
}

// apiPart serves the HTTP API on ln: over TLS, with HSTS on every answer,
// when cfg names a certificate (IDV_TLS_CERT, IDV_TLS_KEY).
func apiPart(ln net.Listener, st *stack, cfg config, log *slog.Logger, reg prometheus.Registerer) part {
	srv := api.New(api.Stores{Tenants: postgres.NewTenants(st.db), Sessions: postgres.NewSessions(st.db),
		Results: postgres.NewResults(st.db), Receipts: postgres.NewWipes(st.db),
		Audit: postgres.NewAudit(st.db), Duties: api.Duties{
			Policies: tenant.Policies{Tenants: postgres.NewTenants(st.db), Sessions: postgres.NewSessions(st.db), Keys: st.vault},
			Register: newLiveRegister(cfg.Register, cfg.SubprocessorsFile, log), Objections: postgres.NewSubprocessors(st.db), DSRs: postgres.NewDSRs(st.db)},
		Reads: postgres.NewReads(st.db), Changes: postgres.NewReads(st.db)}, st.vault, st.objects, log,
		api.NewMetrics(reg), api.Config{AppTokenTTL: cfg.AppTokenTTL, UploadTTL: cfg.UploadTTL, PublicURL: cfg.PublicURL,
			TenantRate: cfg.TenantRate, TenantBurst: 2 * cfg.TenantRate, AppRate: cfg.AppRate, AppBurst: 3 * cfg.AppRate,
			AllowPrivateWebhooks: cfg.WebhookAllowPrivate})
	reg.MustRegister(postgres.NewBreachCollector(st.db))
	return part{name: "api", run: func(ctx context.Context) error {
		if cfg.TLSCert == "" {
			return serveHTTP(ctx, ln, srv.Handler())
		}
		tc, err := tlsconfig.Server(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("IDV_TLS_CERT, IDV_TLS_KEY: %w", err)
		}
		return serveTLS(ctx, ln, hsts(srv.Handler()), tc)
	}}
}

// scheme is the URL scheme of a listener with certificate certFile.
func scheme(certFile string) string {
	if certFile != "" {
		return "https://"
	}
	return "http://"
}

// hsts tells browsers (the capture page) to reach this host over HTTPS
// only, for a year; set only when the API itself serves TLS, as a header
// over plain HTTP is ignored and would be a promise nothing keeps.
func hsts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		next.ServeHTTP(w, r)
	})
}

// serveHTTP serves h on ln until ctx ends, then drains for up to 10 s.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	return serveTLS(ctx, ln, h, nil)
}

// serveTLS is serveHTTP over TLS with tc; nil tc is plain HTTP.
func serveTLS(ctx context.Context, ln net.Listener, h http.Handler, tc *tls.Config) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, TLSConfig: tc}
	errc := make(chan error, 1)
	go func() {
		if tc != nil {
			errc <- srv.ServeTLS(ln, "", "") // the certificate comes from tc.GetCertificate
			return
		}
		errc <- srv.Serve(ln)
	}()
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
