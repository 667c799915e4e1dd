package s3test_test

import (
	"errors"
	"os"
	"testing"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// The gateway runs elsewhere, so the test process keeps its working
// directory and relative paths such as testdata/ keep working.
func TestWorkingDirectoryUntouched(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("s3test.go"); err != nil {
		t.Errorf("package directory is no longer the working directory: %v", err)
	}
}

func TestStoresAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := s3test.NewStore(t), s3test.NewStore(t)
	if a.Bucket() == b.Bucket() {
		t.Fatalf("both stores use bucket %s", a.Bucket())
	}
	if err := a.Put(t.Context(), "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(t.Context(), "k"); !errors.Is(err, objects.ErrNotFound) {
		t.Errorf("object put in one bucket shows in another: %v", err)
	}
	if s3test.Gateway().Close() != nil {
		t.Error("closing the shared gateway's handle did something")
	}
	if err := a.Ping(t.Context()); err != nil {
		t.Errorf("gateway gone after a test closed its handle: %v", err)
	}
}
