package objects_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/objects"
)

// TestCATransportKeepsConnections: with a CA bundle (IDV_S3_CA) the store's
// transport trusts that CA alone, and is otherwise minio-go's default: it
// keeps 16 idle connections per host, so the stages' concurrent requests
// reuse their TLS connections (http.DefaultTransport, which it was cloned
// from before, keeps 2, and every request past them handshook anew), and it
// does not decode a gzip-encoded object's body behind the store's back.
func TestCATransportKeepsConnections(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "IDV test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := objects.CATransport(file)
	if err != nil {
		t.Fatal(err)
	}
	if tr.MaxIdleConnsPerHost < 16 || tr.MaxIdleConns < tr.MaxIdleConnsPerHost {
		t.Errorf("idle connections kept: %d per host, %d in all; want at least 16 per host", tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
	}
	if !tr.DisableCompression {
		t.Error("the transport asks for gzip and decodes it: an object's body would not be the bytes stored")
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.RootCAs == nil || tr.TLSClientConfig.MinVersion < 0x0303 {
		t.Errorf("TLS config %+v: want the bundle's CA alone, TLS 1.2 at least", tr.TLSClientConfig)
	}
}
