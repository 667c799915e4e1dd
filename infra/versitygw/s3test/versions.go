package s3test

import (
	"net/url"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/idv-oss/idv/infra/objects"
)

// NewVersionedStore returns a Store on a new bucket of its own with
// versioning enabled, as an operator may run IDV's bucket on S3: every
// overwrite keeps the version it replaces, and a delete without a version
// id only adds a delete marker on top. For tests that prove a delete
// leaves no version and no marker behind (see Entries).
func NewVersionedStore(t testing.TB) *objects.Store {
	t.Helper()
	store := NewStore(t)
	c := client(t)
	if err := c.EnableVersioning(t.Context(), store.Bucket()); err != nil {
		t.Fatalf("s3test: enable versioning on %s: %v", store.Bucket(), err)
	}
	cfg, err := c.GetBucketVersioning(t.Context(), store.Bucket())
	if err != nil || !cfg.Enabled() {
		t.Fatalf("s3test: versioning of %s after enabling it: %q, %v", store.Bucket(), cfg.Status, err)
	}
	return store
}

// Entry is one thing a bucket holds under a key: a version of an object, a
// delete marker, or an unfinished multipart upload.
type Entry struct {
	Key          string
	VersionID    string // of a version or a delete marker ("null" on an unversioned bucket)
	DeleteMarker bool
	UploadID     string // of an unfinished multipart upload; "" otherwise
}

func (e Entry) String() string {
	switch {
	case e.UploadID != "":
		return e.Key + " (unfinished upload " + e.UploadID + ")"
	case e.DeleteMarker:
		return e.Key + "@" + e.VersionID + " (delete marker)"
	}
	return e.Key + "@" + e.VersionID
}

// Entries lists, from the gateway itself rather than through objects.Store,
// every object version, delete marker and unfinished multipart upload of
// store's bucket under prefix: after a delete that removed everything, it
// is empty.
func Entries(t testing.TB, store *objects.Store, prefix string) []Entry {
	t.Helper()
	c := client(t)
	var got []Entry
	for o := range c.ListObjects(t.Context(), store.Bucket(), minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			t.Fatalf("s3test: list versions under %s: %v", prefix, o.Err)
		}
		got = append(got, Entry{Key: o.Key, VersionID: o.VersionID, DeleteMarker: o.IsDeleteMarker})
	}
	for u := range c.ListIncompleteUploads(t.Context(), store.Bucket(), prefix, true) {
		if u.Err != nil {
			t.Fatalf("s3test: list uploads under %s: %v", prefix, u.Err)
		}
		got = append(got, Entry{Key: u.Key, UploadID: u.UploadID})
	}
	return got
}

// Delete deletes key without naming a version, as a client other than IDV
// would: on a versioned bucket this removes nothing and adds a delete
// marker, behind which every version stays.
func Delete(t testing.TB, store *objects.Store, key string) {
	t.Helper()
	if err := client(t).RemoveObject(t.Context(), store.Bucket(), key, minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("s3test: delete %s: %v", key, err)
	}
}

// client is a minio-go client on the test binary's gateway with its root
// credentials, for what objects.Store deliberately cannot do.
func client(t testing.TB) *minio.Client {
	t.Helper()
	if gateway == nil {
		t.Fatal("s3test: no gateway: call s3test.Main(m) from TestMain")
	}
	u, err := url.Parse(gateway.Endpoint)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	tr, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	t.Cleanup(tr.CloseIdleConnections) // as NewStore's: the gateway's shutdown waits for them
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(gateway.AccessKey, gateway.SecretKey, ""),
		Region: gateway.Region, Transport: tr})
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return c
}
