package objects_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
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

// TestCloseIdleConnections: the store's kept-alive connections close when
// asked, so that a process stopping the S3 server it runs beside (the
// embedded gateway of idv dev and idv loadgen, which waits for its clients'
// connections for up to 10 s) need not wait; the store still works after.
func TestCloseIdleConnections(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	store.CloseIdleConnections() // those of the bucket's creation
	tr := store.Transport()
	var mu sync.Mutex
	var conns []*trackedConn
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c}
		mu.Lock()
		conns = append(conns, tc)
		mu.Unlock()
		return tc, nil
	}
	open := func() (n int) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			if !c.closed() {
				n++
			}
		}
		return n
	}
	if err := store.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := open(); n == 0 {
		t.Fatal("no connection kept after a request")
	}
	store.CloseIdleConnections()
	if n := open(); n != 0 {
		t.Fatalf("%d connections still open", n)
	}
	if err := store.Ping(t.Context()); err != nil {
		t.Fatalf("after closing the idle connections: %v", err)
	}
}

// trackedConn is a connection that knows whether it was closed.
type trackedConn struct {
	net.Conn
	mu   sync.Mutex
	done bool
}

func (c *trackedConn) Close() error {
	c.mu.Lock()
	c.done = true
	c.mu.Unlock()
	return c.Conn.Close()
}

func (c *trackedConn) closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}
