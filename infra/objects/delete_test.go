package objects_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

// rawClient is a minio-go client on the test gateway, for what the Store
// deliberately cannot do: start multipart uploads, switch versioning on,
// list versions.
func rawClient(t *testing.T) minio.Core {
	t.Helper()
	g := s3test.Gateway()
	u, err := url.Parse(g.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(g.AccessKey, g.SecretKey, ""), Region: g.Region})
	if err != nil {
		t.Fatal(err)
	}
	return minio.Core{Client: c}
}

// startUpload begins a multipart upload at key and uploads one part of it,
// as an app or tool that gave up half-way would leave it.
func startUpload(t *testing.T, c minio.Core, bucket, key string) string {
	t.Helper()
	id, err := c.NewMultipartUpload(t.Context(), bucket, key, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("new multipart upload at %s: %v", key, err)
	}
	part := bytes.Repeat([]byte{0xa5}, 5<<20)
	if _, err := c.PutObjectPart(t.Context(), bucket, key, id, 1, bytes.NewReader(part), int64(len(part)),
		minio.PutObjectPartOptions{}); err != nil {
		t.Fatalf("upload part of %s: %v", key, err)
	}
	return id
}

// remaining lists every version, delete marker and unfinished upload under
// prefix, as keys (uploads marked "upload:").
func remaining(t *testing.T, c minio.Core, bucket, prefix string) []string {
	t.Helper()
	var got []string
	for o := range c.Client.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			t.Fatalf("list versions under %s: %v", prefix, o.Err)
		}
		got = append(got, o.Key)
	}
	for o := range c.Client.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list under %s: %v", prefix, o.Err)
		}
		got = append(got, o.Key)
	}
	for u := range c.ListIncompleteUploads(t.Context(), bucket, prefix, true) {
		if u.Err != nil {
			t.Fatalf("list uploads under %s: %v", prefix, u.Err)
		}
		got = append(got, "upload:"+u.Key)
	}
	return got
}

func TestDeletePrefixDeletesObjectsAndUploads(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	c := rawClient(t)
	ctx := t.Context()
	prefix := "tenant/session-1/"
	inside := []string{prefix + "document_front/0", prefix + "selfie/0", prefix + "selfie/1", prefix + "mrz/0"}
	// Neighbours that share the prefix as a string, or the tenant: they stay.
	outside := []string{"tenant/session-10/selfie/0", "tenant/session-1.json", "tenant/session-2/mrz/0"}
	for _, k := range append(append([]string{}, inside...), outside...) {
		if err := store.Put(ctx, k, []byte("sealed bytes of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	startUpload(t, c, store.Bucket(), prefix+"document_back/0")
	startUpload(t, c, store.Bucket(), "tenant/session-10/document_back/0")
	if got := remaining(t, c, store.Bucket(), prefix); len(got) != 2*len(inside)+1 {
		t.Fatalf("before: %v, want %d objects listed twice and one upload", got, len(inside))
	}

	n, err := store.DeletePrefix(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(inside) + 1; n != want {
		t.Errorf("DeletePrefix = %d, want %d (the objects and the unfinished upload)", n, want)
	}
	if got := remaining(t, c, store.Bucket(), prefix); len(got) != 0 {
		t.Fatalf("left under %s: %v", prefix, got)
	}
	for _, k := range inside {
		if _, err := store.Stat(ctx, k); !errors.Is(err, objects.ErrNotFound) {
			t.Errorf("Stat %s after DeletePrefix: %v, want ErrNotFound", k, err)
		}
	}
	for _, k := range outside {
		if _, err := store.Stat(ctx, k); err != nil {
			t.Errorf("neighbour %s: %v", k, err)
		}
	}
	if got := remaining(t, c, store.Bucket(), "tenant/session-10/"); len(got) != 3 {
		t.Errorf("the neighbour's object and upload: %v", got)
	}

	// Idempotent: nothing left, nothing to do, no error.
	if n, err := store.DeletePrefix(ctx, prefix); n != 0 || err != nil {
		t.Fatalf("second DeletePrefix = %d, %v; want 0, nil", n, err)
	}
	if n, err := store.DeletePrefix(ctx, "never/used/"); n != 0 || err != nil {
		t.Fatalf("DeletePrefix of an empty prefix = %d, %v; want 0, nil", n, err)
	}
}

// Versioned buckets keep every overwritten version and turn a plain delete
// into a delete marker; DeletePrefix must remove all of them. The test
// gateway runs with a versioning directory (s3test), so versioning is
// really on here, with an object stored before it was switched on (version
// id "null"), overwritten versions, delete markers with versions behind
// them, and an unfinished upload; a neighbouring session keeps all of its
// own. Afterwards the listing with versions is empty and no file of the
// gateway, current or versioned, holds any of the deleted bytes.
func TestDeletePrefixVersionedBucket(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	c := rawClient(t)
	ctx := t.Context()
	prefix, neighbour := "tenant/session-v/", "tenant/session-v2/"
	var bodies []string // every body stored under prefix
	put := func(key, body string) {
		t.Helper()
		if err := store.Put(ctx, key, []byte(body)); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(key, prefix) {
			bodies = append(bodies, body)
		}
	}
	put(prefix+"mrz/0", "sealed mrz, stored before versioning")
	if err := c.EnableVersioning(ctx, store.Bucket()); err != nil {
		t.Fatalf("enable versioning: %v", err)
	}
	put(prefix+"mrz/0", "sealed mrz, stored again")
	for _, key := range []string{prefix + "selfie/0", neighbour + "selfie/0"} {
		for _, v := range []string{"first", "second", "third"} {
			put(key, "sealed "+v+" version of "+key)
		}
	}
	put(prefix+"document_front/0", "sealed front")
	s3test.Delete(t, store, prefix+"selfie/0")
	s3test.Delete(t, store, prefix+"mrz/0")
	s3test.Delete(t, store, neighbour+"selfie/0")
	startUpload(t, c, store.Bucket(), prefix+"document_back/0")

	before := s3test.Entries(t, store, prefix)
	var versions, markers, null int
	for _, e := range before {
		switch {
		case e.DeleteMarker:
			markers++
		case e.UploadID == "":
			versions++
		}
		if e.VersionID == "null" {
			null++
		}
	}
	if versions != len(bodies) || markers != 2 || null != 1 || len(before) != versions+markers+1 {
		t.Fatalf("before: %v; want %d versions (one of them null), 2 delete markers and an upload", before, len(bodies))
	}
	neighbours := s3test.Entries(t, store, neighbour)
	if len(neighbours) != 4 {
		t.Fatalf("neighbour before: %v, want 3 versions and a delete marker", neighbours)
	}

	// The search of the gateway's files below sees every version.
	var needles [][]byte
	for _, b := range bodies {
		needles = append(needles, []byte(b))
	}
	if files := s3test.FilesHolding(t, store, needles...); len(files) < len(bodies) {
		t.Fatalf("%d files hold the %d versions: %v", len(files), len(bodies), files)
	}

	n, err := store.DeletePrefix(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(before) {
		t.Errorf("DeletePrefix = %d, want %d (every version, marker and upload)", n, len(before))
	}
	if got := s3test.Entries(t, store, prefix); len(got) != 0 {
		t.Fatalf("left under %s: %v", prefix, got)
	}
	if got := remaining(t, c, store.Bucket(), prefix); len(got) != 0 {
		t.Fatalf("left under %s: %v", prefix, got)
	}
	if got := s3test.Entries(t, store, neighbour); !slices.Equal(got, neighbours) {
		t.Errorf("neighbour after: %v, want %v", got, neighbours)
	}
	if files := s3test.FilesHolding(t, store, needles...); len(files) != 0 {
		t.Errorf("files still holding deleted bytes: %v", files)
	}
	if n, err := store.DeletePrefix(ctx, prefix); n != 0 || err != nil {
		t.Fatalf("second DeletePrefix = %d, %v; want 0, nil", n, err)
	}
}

// Workers wiping the same session at once (a redelivery while the first
// still runs) on a versioned bucket, over more entries than one
// multi-object delete takes: the versions one worker removed are gone when
// another names them, for which versitygw 1.8.0 answers InvalidArgument
// (versity/versitygw#1758), success, or an internal error when it finds
// the files vanishing half-way; every call still ends without error, the
// next round's listing showing nothing left, and the neighbour keeps its
// object.
func TestDeletePrefixConcurrentlyVersioned(t *testing.T) {
	t.Parallel()
	store := s3test.NewVersionedStore(t)
	ctx := t.Context()
	prefix, neighbour := "tenant/session-c/", "tenant/session-c2/"
	const keys, versions = 340, 3 // 1,020 versions: more than one request of 1,000
	var wg sync.WaitGroup
	errs := make(chan error, keys)
	for k := range keys {
		wg.Go(func() {
			key := fmt.Sprintf("%sselfie/%d", prefix, k)
			for v := range versions {
				if err := store.Put(ctx, key, []byte(fmt.Sprintf("version %d of %s", v, key))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := store.Put(ctx, neighbour+"mrz/0", []byte("neighbour")); err != nil {
		t.Fatal(err)
	}
	// versitygw 1.8.0 lists the entry at the boundary of two pages of
	// versions twice: count them once.
	before := map[s3test.Entry]bool{}
	for _, e := range s3test.Entries(t, store, prefix) {
		before[e] = true
	}
	if len(before) != keys*versions {
		t.Fatalf("before: %d entries, want %d", len(before), keys*versions)
	}

	counts := make([]int, 3)
	failures := make([]error, len(counts))
	for i := range counts {
		wg.Go(func() { counts[i], failures[i] = store.DeletePrefix(ctx, prefix) })
	}
	wg.Wait()
	total := 0
	for i, err := range failures {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
		total += counts[i]
	}
	if got := s3test.Entries(t, store, prefix); len(got) != 0 {
		t.Fatalf("left under %s: %d entries, e.g. %v", prefix, len(got), got[0])
	}
	// Every entry was deleted by a worker that was told so. (The gateway
	// also answers success to a worker naming a version another one has
	// just deleted, so the counts may add up to more.)
	if total < len(before) {
		t.Errorf("the workers counted %d deletions of %d entries", total, len(before))
	}
	t.Logf("%d entries, deletions counted by the %d workers: %v", len(before), len(counts), counts)
	if got := s3test.Entries(t, store, neighbour); len(got) != 1 {
		t.Errorf("neighbour after: %v", got)
	}
}

func TestDeletePrefixRefusesBroadPrefixes(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	if err := store.Put(t.Context(), "tenant/session/mrz/0", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "/", "tenant", "tenant/session", "/tenant/", " tenant/", "tenant/\x00/"} {
		if n, err := store.DeletePrefix(t.Context(), p); err == nil || n != 0 {
			t.Errorf("DeletePrefix(%q) = %d, %v; want a refusal", p, n, err)
		}
	}
	if _, err := store.Stat(t.Context(), "tenant/session/mrz/0"); err != nil {
		t.Fatalf("a refused DeletePrefix deleted something: %v", err)
	}
}

func TestDeletePrefixStorageErrors(t *testing.T) {
	t.Parallel()
	g := s3test.Gateway()
	missing, err := objects.New(g.ObjectsConfig("no-such-bucket-" + strings.ToLower(t.Name()[:8])))
	if err != nil {
		t.Fatal(err)
	}
	_, err = missing.DeletePrefix(t.Context(), "tenant/session/")
	if !errors.Is(err, objects.ErrNoBucket) {
		t.Errorf("DeletePrefix on a missing bucket: %v, want ErrNoBucket", err)
	}

	cfg := g.ObjectsConfig("idv-captures")
	cfg.Endpoint = closedEndpoint(t)
	down, err := objects.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// minio-go retries a refused connection for a few seconds first.
	if n, err := down.DeletePrefix(t.Context(), "tenant/session/"); err == nil || n != 0 {
		t.Errorf("DeletePrefix with the store down = %d, %v; want an error", n, err)
	}
}

// closedEndpoint is the URL of a loopback port nobody listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// countingProxy is a reverse proxy on loopback in front of the test
// gateway that records each request as its method and S3 action (the
// query key that names it: versions, delete, uploads, uploadId; none for
// an object's own GET, PUT or HEAD), so a test can say which requests a
// Store call made. The client signs for the proxy's host, which the proxy
// passes on unchanged.
type countingProxy struct {
	mu   sync.Mutex
	reqs []string
}

func (p *countingProxy) add(r *http.Request) {
	q := r.URL.Query()
	req := r.Method
	for _, action := range []string{"versions", "delete", "uploads", "uploadId"} {
		if q.Has(action) {
			req += " " + action
			break
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, req)
}

func (p *countingProxy) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	reqs := p.reqs
	p.reqs = nil
	return reqs
}

// countedStore is a Store on a new bucket of the test gateway whose
// requests go through a countingProxy.
func countedStore(t *testing.T) (*objects.Store, *countingProxy) {
	t.Helper()
	g := s3test.Gateway()
	target, err := url.Parse(g.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	tr := &http.Transport{}
	rp.Transport = tr
	t.Cleanup(tr.CloseIdleConnections) // the gateway's shutdown waits for idle ones
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.add(r)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := g.ObjectsConfig(s3test.NewStore(t).Bucket())
	cfg.Endpoint = srv.URL
	store, err := objects.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.CloseIdleConnections)
	return store, p
}

// A session's wipe deletes its objects in four requests: list, delete,
// list again (empty), list uploads (empty); uploads are listed only once
// the versions are gone. With an unfinished upload it takes one round more.
func TestDeletePrefixRequests(t *testing.T) {
	t.Parallel()
	store, proxy := countedStore(t)
	ctx := t.Context()
	prefix := "tenant/session-1/"
	for _, k := range []string{"document_front/0", "selfie/0", "selfie/1", "mrz/0"} {
		if err := store.Put(ctx, prefix+k, []byte("sealed "+k)); err != nil {
			t.Fatal(err)
		}
	}
	proxy.take()
	if n, err := store.DeletePrefix(ctx, prefix); n != 4 || err != nil {
		t.Fatalf("DeletePrefix = %d, %v; want 4, nil", n, err)
	}
	if got, want := proxy.take(), []string{"GET versions", "POST delete", "GET versions", "GET uploads"}; !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}

	if err := store.Put(ctx, prefix+"selfie/2", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	startUpload(t, rawClient(t), store.Bucket(), prefix+"document_back/0")
	proxy.take()
	if n, err := store.DeletePrefix(ctx, prefix); n != 2 || err != nil {
		t.Fatalf("DeletePrefix with an upload = %d, %v; want 2, nil", n, err)
	}
	if got := remaining(t, rawClient(t), store.Bucket(), prefix); len(got) != 0 {
		t.Fatalf("left under %s: %v", prefix, got)
	}
	want := []string{"GET versions", "POST delete", "GET versions", "GET uploads", "DELETE uploadId",
		"GET versions", "GET uploads"}
	if got := proxy.take(); !slices.Equal(got, want) {
		t.Fatalf("requests with an upload %q, want %q", got, want)
	}
}
