package natsserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certificateLife is how long a generated certificate is valid: far
// beyond a run of `idv dev`, which makes new ones at every start.
const certificateLife = 90 * 24 * time.Hour

// Certificates are a CA's certificate and a certificate it signed with its
// key, PEM-encoded. The certificate may serve either end of a TLS
// connection (a client port, or a route where both ends present one).
type Certificates struct {
	CA   []byte
	Cert []byte
	Key  []byte
}

// NewCertificates makes a new CA and a certificate for hosts (names or IP
// addresses), both on P-256 keys; the CA's key is dropped once it has
// signed. For the embedded server and for tests; production servers get
// theirs from the operator (infra/deploy/README.md).
func NewCertificates(hosts ...string) (Certificates, error) {
	ca, err := newAuthority()
	if err != nil {
		return Certificates{}, err
	}
	cert, key, err := ca.issue("IDV NATS server", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, hosts)
	if err != nil {
		return Certificates{}, err
	}
	return Certificates{CA: ca.pem, Cert: cert, Key: key}, nil
}

// authority is a generated CA that signs certificates until it is dropped;
// its key is never written anywhere.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newAuthority() (*authority, error) {
	now := time.Now()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("natsserver: CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "IDV NATS CA (generated)"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(certificateLife),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("natsserver: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// issue signs a certificate named cn, for usage, naming hosts (names or
// IP addresses; none for a client's), on a new P-256 key, and returns both
// PEM-encoded.
func (a *authority) issue(cn string, usage []x509.ExtKeyUsage, hosts []string) (cert, key []byte, err error) {
	now := time.Now()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("natsserver: key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(certificateLife),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usage,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, a.cert, &k.PublicKey, a.key)
	if err != nil {
		return nil, nil, fmt.Errorf("natsserver: certificate %s: %w", cn, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// serial is a random certificate serial number of up to 128 bits.
func serial() *big.Int {
	b := make([]byte, 16)
	rand.Read(b) // never fails, and always fills b (crypto/rand, Go 1.24+)
	return new(big.Int).SetBytes(b)
}

// Write writes c into dir as a kubernetes.io/tls Secret names its keys and
// infra/nats/nats-server.conf expects them: ca.crt, tls.crt and tls.key
// (0600).
func (c Certificates) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("natsserver: %w", err)
	}
	for name, b := range map[string][]byte{"ca.crt": c.CA, "tls.crt": c.Cert, "tls.key": c.Key} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return fmt.Errorf("natsserver: %w", err)
		}
	}
	return nil
}
