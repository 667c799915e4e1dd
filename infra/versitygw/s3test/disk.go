package s3test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/idv-oss/idv/infra/objects"
)

// FilesHolding returns the files the gateway keeps for store's bucket —
// current objects and delete markers under Dir, earlier versions under
// Gateway().VersionsDir — whose bytes contain any of needles: for tests
// that prove bytes are gone from the disk, not only from listings.
func FilesHolding(t testing.TB, store *objects.Store, needles ...[]byte) []string {
	t.Helper()
	if gateway == nil {
		t.Fatal("s3test: no gateway: call s3test.Main(m) from TestMain")
	}
	var found []string
	for _, dir := range []string{filepath.Join(dir, store.Bucket()), filepath.Join(gateway.VersionsDir, store.Bucket())} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return nil // the bucket never kept a version
			}
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, n := range needles {
				if bytes.Contains(b, n) {
					found = append(found, path)
					break
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("s3test: search %s: %v", dir, err)
		}
	}
	return found
}
