package natsserver_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
)

// The certificate names the hosts given and serves either end of a TLS
// connection; it chains to the CA and to no other.
func TestNewCertificates(t *testing.T) {
	t.Parallel()
	c, err := natsserver.NewCertificates("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(c.Cert, c.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(c.CA) {
		t.Fatal("CA is not a PEM certificate")
	}
	other, err := natsserver.NewCertificates("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	strangers := x509.NewCertPool()
	strangers.AppendCertsFromPEM(other.CA)
	for _, tc := range []struct {
		host  string
		usage x509.ExtKeyUsage
		roots *x509.CertPool
		ok    bool
	}{
		{"127.0.0.1", x509.ExtKeyUsageServerAuth, roots, true},
		{"localhost", x509.ExtKeyUsageServerAuth, roots, true},
		{"localhost", x509.ExtKeyUsageClientAuth, roots, true},
		{"example.com", x509.ExtKeyUsageServerAuth, roots, false},
		{"127.0.0.2", x509.ExtKeyUsageServerAuth, roots, false},
		{"127.0.0.1", x509.ExtKeyUsageServerAuth, strangers, false},
	} {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: tc.host, Roots: tc.roots, KeyUsages: []x509.ExtKeyUsage{tc.usage}})
		if (err == nil) != tc.ok {
			t.Errorf("%s, usage %v, own CA %v: verify error %v, want ok %v", tc.host, tc.usage, tc.roots == roots, err, tc.ok)
		}
	}
}

// With VerifyClients the server's Access names a client certificate, for
// clients only, from the CA of ca.pem, with its key; owner-only files. A
// start without it leaves no client certificate behind.
func TestSecureClientCertificate(t *testing.T) {
	t.Parallel()
	roles, err := broker.Roles()
	if err != nil {
		t.Fatal(err)
	}
	sec := &natsserver.Secure{Roles: roles, Dir: filepath.Join(t.TempDir(), "access"), VerifyClients: true}
	opts := natsserver.NewOptions(t.TempDir())
	opts.Secure = sec
	s := start(t, opts)
	a := s.Access()
	if a.CertFile == "" || a.KeyFile == "" || filepath.Dir(a.CertFile) != sec.Dir || filepath.Dir(a.KeyFile) != sec.Dir {
		t.Fatalf("access %+v: want a client certificate and key in %s", a, sec.Dir)
	}
	for _, f := range []string{a.CAFile, a.CertFile, a.KeyFile} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", f, err)
		}
	}
	pair, err := tls.LoadX509KeyPair(a.CertFile, a.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(a.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		t.Fatal("ca.pem is not a PEM certificate")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate as a client's: %v", err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("the client certificate also serves as a server's")
	}
	s.Shutdown()

	sec.VerifyClients = false
	again := start(t, opts)
	if a := again.Access(); a.CertFile != "" || a.KeyFile != "" {
		t.Errorf("access %+v without VerifyClients: want no client certificate", a)
	}
	for _, f := range []string{a.CertFile, a.KeyFile} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after a start without VerifyClients: %v, want it removed", f, err)
		}
	}
}
