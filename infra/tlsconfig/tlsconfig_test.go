package tlsconfig_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/tlsconfig"
)

// writeCert writes a self-signed certificate for 127.0.0.1 named cn and its
// key, and returns it.
func writeCert(t *testing.T, certFile, keyFile, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert
}

func TestServerReloadsRenewedCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first := writeCert(t, certFile, keyFile, "first")
	cfg, err := tlsconfig.Server(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	defer srv.Close()

	served := func(trust *x509.Certificate) (string, error) {
		pool := x509.NewCertPool()
		pool.AddCert(trust)
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			return "", err
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
	}
	if cn, err := served(first); err != nil || cn != "first" {
		t.Fatalf("before renewal: %q, %v", cn, err)
	}
	second := writeCert(t, certFile, keyFile, "second")
	later := time.Now().Add(time.Minute) // a change whatever the file system's time resolution
	os.Chtimes(certFile, later, later)
	os.Chtimes(keyFile, later, later)
	if cn, err := served(second); err != nil || cn != "second" {
		t.Fatalf("after renewal: %q, %v", cn, err)
	}
	// A half-written renewal keeps the certificate that works.
	os.WriteFile(keyFile, []byte("-----BEGIN PRIVATE KEY-----\n"), 0o600)
	if cn, err := served(second); err != nil || cn != "second" {
		t.Fatalf("after a broken renewal: %q, %v", cn, err)
	}
}

func TestServerRefusesBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if _, err := tlsconfig.Server(certFile, keyFile); err == nil || !strings.Contains(err.Error(), "tls.crt") {
		t.Fatalf("missing files: %v", err)
	}
	writeCert(t, certFile, keyFile, "a")
	writeCert(t, certFile, filepath.Join(dir, "other.key"), "b")
	if _, err := tlsconfig.Server(certFile, keyFile); err == nil || !strings.Contains(err.Error(), "private key does not match") {
		t.Fatalf("mismatched key: %v", err)
	}
}

func TestPair(t *testing.T) {
	for _, c := range []struct {
		cert, key string
		ok        bool
	}{{"", "", true}, {"c", "k", true}, {"c", "", false}, {"", "k", false}} {
		err := tlsconfig.Pair("IDV_TLS_CERT", c.cert, "IDV_TLS_KEY", c.key)
		if (err == nil) != c.ok || (err != nil && !strings.Contains(err.Error(), "IDV_TLS_CERT and IDV_TLS_KEY must be set together")) {
			t.Errorf("Pair(%q, %q) = %v", c.cert, c.key, err)
		}
	}
}
