package wipe_test

import (
	"slices"
	"testing"

	"github.com/idv-oss/idv/infra/versitygw/s3test"
	"github.com/idv-oss/idv/schemas"
)

// On a bucket that keeps versions (as an operator may run one on S3) the
// wipe leaves none of the session's versions and delete markers: here every
// capture has two versions (the app's upload retried after a lost
// response) and one sits behind a delete marker (a client that deleted it
// without a version id), and afterwards the listing with versions under the
// session's prefix is empty, no file of the gateway holds any of the sealed
// bytes, and another session of the tenant keeps all of its own.
func TestWipeVersionedBucket(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.store = s3test.NewVersionedStore(t)
	b.stage = b.newStage(b.store)
	ctx := t.Context()
	s := b.intake(t)
	other := b.intake(t)
	for i, c := range s.sealed {
		if err := b.store.Put(ctx, s.objKeys[i], c.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	s3test.Delete(t, b.store, s.objKeys[0])
	prefix := schemas.SessionPrefix(b.tenant.String(), s.id.String())
	before := s3test.Entries(t, b.store, prefix)
	markers := 0
	for _, e := range before {
		if e.DeleteMarker {
			markers++
		}
	}
	if markers != 1 || len(before) != 2*len(s.objKeys)+1 {
		t.Fatalf("before the wipe: %v; want 2 versions of each of %d captures and a delete marker", before, len(s.objKeys))
	}
	var sealed [][]byte
	for _, c := range s.sealed {
		sealed = append(sealed, c.Bytes)
	}
	if files := s3test.FilesHolding(t, b.store, sealed...); len(files) < len(sealed) {
		t.Fatalf("before the wipe %d files hold the %d captures: %v", len(files), len(sealed), files)
	}
	otherPrefix := schemas.SessionPrefix(b.tenant.String(), other.id.String())
	otherBefore := s3test.Entries(t, b.store, otherPrefix)

	ev := b.requestWipe(t, s.id, schemas.WipeExpired)
	if err := b.stage.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	receipt := b.assertWiped(t, s, schemas.WipeExpired)
	if got := s3test.Entries(t, b.store, prefix); len(got) != 0 {
		t.Fatalf("left under the session's prefix: %v", got)
	}
	if files := s3test.FilesHolding(t, b.store, sealed...); len(files) != 0 {
		t.Errorf("files of the gateway still hold sealed bytes of the session: %v", files)
	}
	if receipt.ObjectsDeleted != len(before) {
		t.Errorf("receipt counts %d objects deleted, want %d (every version and the marker)", receipt.ObjectsDeleted, len(before))
	}
	if got := b.counter(t, "idv_wipe_objects_deleted_total"); got != float64(len(before)) {
		t.Errorf("idv_wipe_objects_deleted_total = %v, want %d", got, len(before))
	}
	if got := s3test.Entries(t, b.store, otherPrefix); len(got) != len(other.objKeys) || !slices.Equal(got, otherBefore) {
		t.Errorf("another session's objects: %v, want %v untouched", got, otherBefore)
	}
}
