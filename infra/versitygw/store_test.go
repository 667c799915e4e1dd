package versitygw

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	"github.com/versity/versitygw/s3response"

	"github.com/idv-oss/idv/infra/objects"
)

// startStore starts a gateway on a fresh directory with bucket "idv-test"
// and returns it, the directory and a store on the bucket.
func startStore(t testing.TB, opts ...Option) (*Gateway, string, *objects.Store) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "objects")
	g, err := Start(t.Context(), dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	st, err := objects.New(g.ObjectsConfig("idv-test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	return g, dir, st
}

// A tenant's directory stays when its last session is deleted, and what
// keeps it shows in no listing.
func TestTenantDirectoryOutlivesItsLastObject(t *testing.T) {
	g, dir, st := startStore(t)
	if err := st.Put(t.Context(), "t1/s1/1/selfie/0", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	if n, err := st.DeletePrefix(t.Context(), "t1/s1/"); err != nil || n != 1 {
		t.Fatalf("DeletePrefix = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "idv-test", "t1", "s1")); !os.IsNotExist(err) {
		t.Errorf("the session's directory after its last object went: %v, want it removed", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "idv-test", "t1", keeperName)); err != nil || !fi.IsDir() {
		t.Fatalf("the tenant's keeper after its last object went: %v", err)
	}
	c := client(t, g)
	for _, versions := range []bool{false, true} {
		for o := range c.ListObjects(t.Context(), "idv-test", minio.ListObjectsOptions{Recursive: true, WithVersions: versions}) {
			t.Errorf("listing (versions %v) shows %q (%v)", versions, o.Key, o.Err)
		}
		for o := range c.ListObjects(t.Context(), "idv-test", minio.ListObjectsOptions{Prefix: "t1/", WithVersions: versions}) {
			t.Errorf("listing t1/ (versions %v) shows %q (%v)", versions, o.Key, o.Err)
		}
	}
	// Keys that are not TENANT/… make no keeper, nor do ones the backend
	// refuses.
	if err := st.Put(t.Context(), "flat", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"../escape/x", "./x/y"} {
		g.backend.keep(ptr("idv-test"), ptr(key))
	}
	g.backend.keep(ptr("no-such-bucket"), ptr("t2/x"))
	for _, path := range []string{filepath.Join(dir, "escape"), filepath.Join(dir, "idv-test", "x"),
		filepath.Join(dir, "no-such-bucket")} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want none", path, err)
		}
	}
}

// Uploads for new sessions of a tenant while its other sessions are
// deleted, as the rotation test does: none is refused.
func TestUploadsBesideDeletesOfOneTenant(t *testing.T) {
	_, _, st := startStore(t)
	const sessions = 400
	errs := make(chan error, sessions)
	sessionsOn(4, sessions, func(i int) {
		prefix := fmt.Sprintf("tenant/s%d/", i)
		if err := st.Put(context.Background(), prefix+"1/document_front/0", []byte("sealed")); err != nil {
			errs <- fmt.Errorf("session %d: upload: %w", i, err)
			return
		}
		if _, err := st.DeletePrefix(context.Background(), prefix); err != nil {
			errs <- fmt.Errorf("session %d: delete: %w", i, err)
		}
	})
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// sessionsOn calls do for each of 0..n-1 on workers goroutines and
// returns when all calls have.
func sessionsOn(workers, n int, do func(int)) {
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range n {
			next <- i
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				do(i)
			}
		})
	}
	wg.Wait()
}

// The version listing of an unversioned bucket answers as versitygw's own
// walk does: the same versions and prefixes in one page, and without a
// delimiter the same first page of each size; its pages, followed, list
// everything once. (With a delimiter versitygw's version walk puts every
// common prefix on the first page, whatever the page's size; the plain
// walk counts them, as S3 does. IDV lists versions without one.)
func TestNullVersionsListAsTheBackend(t *testing.T) {
	g, _, st := startStore(t)
	keys := []string{"t1/s1/1/selfie/0", "t1/s1/1/selfie/1", "t1/s1/2/document_front/0", "t1/s10/1/selfie/0",
		"t1/s2/1/mrz/0", "t2/s1/1/selfie/0", "top"}
	for i, k := range keys {
		if err := st.Put(t.Context(), k, bytes.Repeat([]byte("s"), i+1)); err != nil {
			t.Fatal(err)
		}
	}
	for _, prefix := range []string{"", "t1/", "t1/s1/", "t1/s1", "t3/", "t1/s9/", "t1/s9/1/", "top/", "t1/s1/1/selfie/0/"} {
		for _, delim := range []string{"", "/"} {
			all := listing(t, g.backend.ListObjectVersions, prefix, delim, 1000, "")
			if want := listing(t, g.backend.Posix.ListObjectVersions, prefix, delim, 1000, ""); !slices.Equal(all, want) {
				t.Errorf("prefix %q, delimiter %q:\n got %v\nwant %v", prefix, delim, all, want)
			}
			for _, max := range []int32{2, 1} {
				got := listing(t, g.backend.ListObjectVersions, prefix, delim, max, "")
				want := listing(t, g.backend.Posix.ListObjectVersions, prefix, delim, max, "")
				if delim == "" && !slices.Equal(got, want) {
					t.Errorf("prefix %q, delimiter %q, first page of %d:\n got %v\nwant %v", prefix, delim, max, got, want)
				}
				var followed []string
				marker := ""
				for page := 0; marker != "" || page == 0; page++ {
					if page > len(keys) {
						t.Fatalf("prefix %q, delimiter %q, pages of %d: more than %d pages", prefix, delim, max, len(keys))
					}
					lines := listing(t, g.backend.ListObjectVersions, prefix, delim, max, marker)
					marker = lines[len(lines)-1]
					followed = append(followed, lines[:len(lines)-1]...)
				}
				slices.Sort(followed)
				if !slices.Equal(followed, slices.Sorted(slices.Values(all[:len(all)-1]))) {
					t.Errorf("prefix %q, delimiter %q, pages of %d followed:\n got %v\nwant %v", prefix, delim, max, followed, all)
				}
			}
		}
	}
}

// listing lists one page of versions through list and returns its
// entries, one line each (versions, then common prefixes), and last the
// next key marker when the page is truncated, else "".
func listing(t *testing.T, list func(context.Context, *s3.ListObjectVersionsInput) (s3response.ListVersionsResult, error), prefix, delim string, max int32, marker string) []string {
	t.Helper()
	res, err := list(t.Context(), &s3.ListObjectVersionsInput{Bucket: ptr("idv-test"), Prefix: &prefix,
		Delimiter: &delim, MaxKeys: &max, KeyMarker: &marker})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, v := range res.Versions {
		lines = append(lines, fmt.Sprintf("%s %s %d %s latest %v", *v.Key, *v.VersionId, *v.Size, *v.ETag, *v.IsLatest))
	}
	for _, p := range res.CommonPrefixes {
		lines = append(lines, "prefix "+*p.Prefix)
	}
	if len(res.DeleteMarkers) > 0 {
		lines = append(lines, fmt.Sprintf("%d delete markers", len(res.DeleteMarkers)))
	}
	if res.IsTruncated != nil && *res.IsTruncated {
		return append(lines, *res.NextKeyMarker)
	}
	return append(lines, "")
}
