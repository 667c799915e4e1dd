package versitygw

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/objects"
)

// The tests here run one after another: a process holds one gateway.

func TestStartServeClose(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "objects")

	began := time.Now()
	g, err := Start(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gateway answered %s after Start (%s)", time.Since(began), g.Endpoint)
	defer g.Close()

	if !strings.HasPrefix(g.Endpoint, "http://127.0.0.1:") || g.Region != Region || len(g.AccessKey) < 16 || len(g.SecretKey) < 40 {
		t.Errorf("gateway %s, region %q, access key %d chars, secret %d chars", g.Endpoint, g.Region, len(g.AccessKey), len(g.SecretKey))
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, mode %v, want 0700", err, fi.Mode().Perm())
	}
	if _, err := Start(t.Context(), t.TempDir()); err == nil {
		t.Error("a second gateway started in the same process")
	}

	store, err := objects.New(g.ObjectsConfig("idv-test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	body := []byte("sealed bytes")
	if err := store.Put(t.Context(), "sessions/s1/document-0", body); err != nil {
		t.Fatal(err)
	}
	// The directory really holds the objects, as plain files.
	file := filepath.Join(dir, "idv-test", "sessions", "s1", "document-0")
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, body) {
		t.Errorf("object file %s: %q, %v", file, got, err)
	}
	if fi, err := os.Stat(file); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("object file mode %v, want 0600", fi.Mode().Perm())
	}

	closing := time.Now()
	if err := g.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("Close took %s", time.Since(closing))
	if err := g.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if now, _ := os.Getwd(); now != wd {
		t.Errorf("working directory after Close is %s, want %s", now, wd)
	}
	if conn, err := net.Dial("tcp", strings.TrimPrefix(g.Endpoint, "http://")); err == nil {
		conn.Close()
		t.Error("the gateway still accepts connections after Close")
	}
}

// Where extended attributes are missing, metadata goes to a sidecar
// directory; this filesystem has them, so force the fallback.
func TestStartWithSidecarMetadata(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "objects")
	g, err := start(t.Context(), dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	store, err := objects.New(g.ObjectsConfig("idv-test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(t.Context(), "k", []byte("12345")); err != nil {
		t.Fatal(err)
	}
	if size, err := store.Stat(t.Context(), "k"); err != nil || size != 5 {
		t.Errorf("Stat = %d, %v", size, err)
	}
	entries, err := os.ReadDir(filepath.Join(parent, ".objects-meta"))
	if err != nil || len(entries) == 0 {
		t.Errorf("sidecar directory: %d entries, %v", len(entries), err)
	}
	if err := g.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestCloseOfUnstartedGateway(t *testing.T) {
	var zero *Gateway
	if err := zero.Close(); err != nil {
		t.Errorf("nil Close: %v", err)
	}
	if err := (&Gateway{Endpoint: "http://127.0.0.1:1"}).Close(); err != nil {
		t.Errorf("Close of a described gateway: %v", err)
	}
}
