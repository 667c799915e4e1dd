package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/logtest"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/ops"
	"github.com/idv-oss/idv/infra/vault"
)

// loopbackCert writes a self-signed certificate for 127.0.0.1 and its key
// into dir and returns the files and a client that trusts it.
func loopbackCert(t *testing.T, dir string) (certFile, keyFile string, client *http.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idv test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// unreachableStack is a stack whose database, key store and store are at
// a loopback port nothing listens on.
func unreachableStack(t *testing.T) (*stack, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db, err := sql.Open("postgres", "postgres://idv_app:hunter2@"+addr+"/idv?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	master, _ := vault.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	objs, err := objects.New(objects.Config{Endpoint: "http://" + addr, Region: "us-east-1", AccessKey: "k", SecretKey: "s", Bucket: "idv-captures"})
	if err != nil {
		t.Fatal(err)
	}
	return &stack{db: db, vault: vault.New(master, db), objects: objs}, addr
}

// startPart runs p on ctx until the test ends.
func startPart(t *testing.T, p part) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	})
}

func TestOpsReadyzOverTLSHidesDriverErrors(t *testing.T) {
	t.Parallel()
	st, down := unreachableStack(t)
	certFile, keyFile, client := loopbackCert(t, t.TempDir())
	ln, err := listen("IDV_OPS_ADDR", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log, logs := logtest.New()
	startPart(t, opsPart(ln, newRegistry(), st.checks(), opsConfig{Token: "scrape-me", TLSCert: certFile, TLSKey: keyFile}, log))
	base := "https://" + ln.Addr().String()
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, body := get("/readyz", "")
	var res map[string]string
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatalf("readyz body %q: %v", body, err)
	}
	// minio-go retries a refused connection until the deadline, so the
	// store may say timeout rather than unavailable: both are fixed codes.
	if code != http.StatusServiceUnavailable || len(res) != 3 {
		t.Fatalf("readyz with everything down: %d %s", code, body)
	}
	for _, k := range []string{"postgres", "keystore", "s3"} {
		if res[k] != ops.Unavailable && res[k] != ops.TimedOut {
			t.Errorf("readyz %s = %q, want unavailable or timeout (body %s)", k, res[k], body)
		}
	}
	_, port, _ := net.SplitHostPort(down)
	for _, leak := range []string{port, "dial", "refused", "idv_app", "pq:"} {
		if strings.Contains(body, leak) {
			t.Errorf("readyz shows driver text %q: %s", leak, body)
		}
	}
	if l := logs.String(); !strings.Contains(l, "readiness check failed") || !strings.Contains(l, port) {
		t.Errorf("the failures' detail is not in the log: %s", l)
	}
	if code, _ := get("/healthz", ""); code != http.StatusOK {
		t.Errorf("healthz without a token: %d, want 200 (probes send none)", code)
	}
	if code, _ := get("/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without the token: %d, want 401", code)
	}
	if code, body := get("/metrics", "scrape-me"); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics with the token: %d", code)
	}
	if code, _ := get("/v1/sessions", "scrape-me"); code != http.StatusNotFound {
		t.Errorf("the ops endpoint serves /v1/sessions: %d", code)
	}
	if resp, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil && resp.StatusCode == http.StatusOK {
		resp.Body.Close()
		t.Error("the ops endpoint with a certificate answers plain HTTP")
	}
}

func TestAPITLSSendsHSTS(t *testing.T) {
	t.Parallel()
	st, _ := unreachableStack(t)
	certFile, keyFile, client := loopbackCert(t, t.TempDir())
	log, _ := logtest.New()
	serve := func(cfg config) string {
		ln, err := listen("IDV_HTTP_ADDR", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		startPart(t, apiPart(ln, st, cfg, log, newRegistry()))
		return ln.Addr().String()
	}
	withTLS := serve(config{TLSCert: certFile, TLSKey: keyFile, AppTokenTTL: time.Hour, UploadTTL: 15 * time.Minute, TenantRate: 10, AppRate: 10})
	plain := serve(config{AppTokenTTL: time.Hour, UploadTTL: 15 * time.Minute, TenantRate: 10, AppRate: 10})

	// Answers that need no database: an unknown route and a request without a key.
	for _, path := range []string{"/no-such-route", "/v1/sessions"} {
		resp, err := client.Get("https://" + withTLS + path)
		if err != nil {
			t.Fatalf("GET %s over TLS: %v", path, err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("GET %s over TLS: %d, Strict-Transport-Security %q", path, resp.StatusCode, got)
		}
		resp, err = http.Get("http://" + plain + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("GET %s over plain HTTP sends Strict-Transport-Security %q", path, got)
		}
	}
}

func TestTLSSettingsComeInPairs(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{"IDV_TLS_CERT": "/etc/idv/tls.crt"},
		{"IDV_TLS_KEY": "/etc/idv/tls.key"},
		{"IDV_OPS_TLS_CERT": "/etc/idv/ops.crt"},
	} {
		_, err := parseConfig(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), "must be set together") {
			t.Errorf("%v: %v", env, err)
		}
	}
	cfg, err := parseConfig(func(k string) string {
		return map[string]string{"IDV_TLS_CERT": "c", "IDV_TLS_KEY": "k", "IDV_OPS_TOKEN": "t"}[k]
	})
	if err != nil || cfg.TLSCert != "c" || cfg.TLSKey != "k" || cfg.Ops.Token != "t" {
		t.Fatalf("%+v %v", cfg, err)
	}
}
