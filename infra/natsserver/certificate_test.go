package natsserver_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

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
