package ops

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestReadyzReportsEachDependency(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "idv_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Inc()
	down := false
	checks := map[string]Check{
		"postgres": func(context.Context) error { return nil },
		"s3": func(ctx context.Context) error {
			if down {
				return errors.New("connection refused")
			}
			return nil
		},
		"slow": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
	}
	srv := httptest.NewServer(Handler(reg, checks, 50*time.Millisecond))
	defer srv.Close()

	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	code, body := get("/readyz")
	var res map[string]string
	json.Unmarshal([]byte(body), &res)
	if code != 503 || res["postgres"] != "ok" || res["s3"] != "ok" || !strings.Contains(res["slow"], "deadline") {
		t.Fatalf("readyz with a hanging check: %d %v", code, res)
	}
	delete(checks, "slow")
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("readyz all up: %d %s", code, body)
	}
	down = true
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "connection refused") {
		t.Fatalf("readyz with s3 down: %d %s", code, body)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "idv_test_total 1") {
		t.Fatalf("metrics: %d %s", code, body)
	}
}
