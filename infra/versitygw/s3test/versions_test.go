package s3test_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

// A versioned store keeps every version and turns a delete into a marker;
// Entries lists all of them and FilesHolding finds every version on disk,
// where the gateway's versioning directory sits next to Dir.
func TestVersionedStoreKeepsVersionsAndMarkers(t *testing.T) {
	t.Parallel()
	store := s3test.NewVersionedStore(t)
	ctx := t.Context()
	for _, body := range []string{"first", "second", "third"} {
		if err := store.Put(ctx, "p/k", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := store.Get(ctx, "p/k", 100); err != nil || string(b) != "third" {
		t.Fatalf("Get = %q, %v; want the last version", b, err)
	}
	s3test.Delete(t, store, "p/k")
	if _, err := store.Stat(ctx, "p/k"); !errors.Is(err, objects.ErrNotFound) {
		t.Errorf("Stat behind a delete marker: %v, want ErrNotFound", err)
	}
	got := s3test.Entries(t, store, "p/")
	versions, markers := 0, 0
	ids := map[string]bool{}
	for _, e := range got {
		if e.Key != "p/k" || e.VersionID == "" || e.VersionID == "null" || e.UploadID != "" || ids[e.VersionID] {
			t.Errorf("entry %s", e)
		}
		ids[e.VersionID] = true
		if e.DeleteMarker {
			markers++
		} else {
			versions++
		}
	}
	if versions != 3 || markers != 1 {
		t.Fatalf("entries %v: want 3 versions and 1 delete marker", got)
	}
	vdir := s3test.Gateway().VersionsDir
	if vdir == "" || filepath.Dir(vdir) != filepath.Dir(s3test.Dir()) {
		t.Fatalf("versioning directory %q, want a sibling of %s", vdir, s3test.Dir())
	}
	for _, body := range []string{"first", "second", "third"} {
		if files := s3test.FilesHolding(t, store, []byte(body)); len(files) == 0 {
			t.Errorf("no file of the gateway holds the version %q", body)
		}
	}
}

// NewStore's buckets keep no versions although the gateway could: an
// overwrite replaces, a delete removes, and no file keeps either body.
func TestStoreStaysUnversioned(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	ctx := t.Context()
	for _, body := range []string{"first", "second"} {
		if err := store.Put(ctx, "p/k", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s3test.Entries(t, store, "p/"); len(got) != 1 || got[0].Key != "p/k" || got[0].DeleteMarker {
		t.Fatalf("entries after an overwrite: %v, want the one object", got)
	}
	s3test.Delete(t, store, "p/k")
	if got := s3test.Entries(t, store, "p/"); len(got) != 0 {
		t.Fatalf("entries after a delete: %v, want none", got)
	}
	if files := s3test.FilesHolding(t, store, []byte("first"), []byte("second")); len(files) != 0 {
		t.Errorf("files of an unversioned bucket keep what was overwritten and deleted: %v", files)
	}
}
