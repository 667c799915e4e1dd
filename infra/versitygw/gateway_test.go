package versitygw

import (
	"bytes"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

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
	if g.VersionsDir != "" {
		t.Errorf("versioning directory %q without WithVersioning", g.VersionsDir)
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
	// Without a versioning directory versitygw keeps no versions, and says so.
	if err := client(t, g).EnableVersioning(t.Context(), "idv-test"); minio.ToErrorResponse(err).Code != "VersioningNotConfigured" {
		t.Errorf("enabling versioning without WithVersioning: %v, want VersioningNotConfigured", err)
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
	g, err := start(t.Context(), dir, options{forceSidecar: true})
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
	if info, err := store.Stat(t.Context(), "k"); err != nil || info.Size != 5 {
		t.Errorf("Stat = %+v, %v", info, err)
	}
	entries, err := os.ReadDir(filepath.Join(parent, ".objects-meta"))
	if err != nil || len(entries) == 0 {
		t.Errorf("sidecar directory: %d entries, %v", len(entries), err)
	}
	if err := g.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// WithVersioning: a versioning directory next to dir, where a bucket with
// versioning enabled keeps what an overwrite replaced.
func TestStartWithVersioning(t *testing.T) {
	parent := t.TempDir()
	g, err := Start(t.Context(), filepath.Join(parent, "objects"), WithVersioning())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if want := filepath.Join(parent, ".objects-versions"); g.VersionsDir != want {
		t.Errorf("versioning directory %q, want %q", g.VersionsDir, want)
	}
	if fi, err := os.Stat(g.VersionsDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("versioning directory: %v, %v; want mode 0700", fi, err)
	}

	store, err := objects.New(g.ObjectsConfig("idv-test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := client(t, g)
	if err := c.EnableVersioning(t.Context(), "idv-test"); err != nil {
		t.Fatalf("enable versioning: %v", err)
	}
	for _, body := range []string{"first version", "second version"} {
		if err := store.Put(t.Context(), "k", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	var versions []string
	for o := range c.ListObjects(t.Context(), "idv-test", minio.ListObjectsOptions{WithVersions: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		versions = append(versions, o.VersionID)
	}
	if len(versions) != 2 {
		t.Errorf("versions of k: %v, want 2", versions)
	}
	var kept []string
	err = filepath.WalkDir(filepath.Join(g.VersionsDir, "idv-test"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if b, err := os.ReadFile(path); err != nil || string(b) == "first version" {
			kept = append(kept, path)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 1 {
		t.Errorf("the replaced version in the versioning directory: %v, want one file", kept)
	}
	if err := g.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// client is a minio-go client on g, for what objects.Store does not do.
func client(t *testing.T, g *Gateway) *minio.Client {
	t.Helper()
	c, err := minio.New(strings.TrimPrefix(g.Endpoint, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(g.AccessKey, g.SecretKey, ""), Region: g.Region})
	if err != nil {
		t.Fatal(err)
	}
	return c
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
