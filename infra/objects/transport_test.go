package objects_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/infra/objects"
)

// TestCATransportKeepsConnections: with a CA bundle (IDV_S3_CA) the store's
// transport trusts that CA alone, and is otherwise minio-go's default: it
// keeps 16 idle connections per host, so the stages' concurrent requests
// reuse their TLS connections (http.DefaultTransport, which it was cloned
// from before, keeps 2, and every request past them handshook anew), and it
// does not decode a gzip-encoded object's body behind the store's back.
func TestCATransportKeepsConnections(t *testing.T) {
	certs, err := natsserver.NewCertificates("127.0.0.1") // a CA of the test's own
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, certs.CA, 0o600); err != nil {
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
