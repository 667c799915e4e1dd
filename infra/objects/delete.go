package objects

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/minio/minio-go/v7"
)

// Bounds of one DeletePrefix call: it deletes at most deletePage entries per
// round and runs at most deleteRounds rounds. A session has a few dozen
// objects at most, so one round deletes everything and the second lists
// nothing; the bounds only keep a call finite when a prefix holds far more
// (each call still makes progress, so calling again finishes the job).
const (
	deletePage   = 1000
	deleteRounds = 8
)

// DeletePrefix deletes everything the bucket holds under prefix: every
// object version and delete marker (ListObjects with versions, then
// RemoveObject of each version id; on an unversioned bucket the one "null"
// version of each object), and every unfinished multipart upload, whose
// parts no object listing shows (ListIncompleteUploads, then an abort of
// each upload id). It repeats until the listings of both come back empty,
// so a nil error means nothing was left under prefix when it returned.
//
// It returns how many versions, delete markers and uploads it removed, also
// alongside an error (what it removed before failing). Removing nothing is
// not an error: on an empty prefix it returns 0, nil, so it is safe to call
// again after a crash. Entries that vanish while it works (another worker
// deleting the same prefix) are not counted and not an error.
//
// prefix must be non-empty and end in "/": it can never name the whole
// bucket, or match a sibling ("t/s1" would also match "t/s10/…").
func (s *Store) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	if prefix == "" || !strings.HasSuffix(prefix, "/") || strings.HasPrefix(prefix, "/") {
		return 0, fmt.Errorf("objects: delete prefix %q: want a non-empty prefix ending in / (and not starting with one)", prefix)
	}
	if err := checkKey(prefix); err != nil {
		return 0, fmt.Errorf("objects: delete prefix: %w", err)
	}
	total := 0
	for range deleteRounds {
		n, err := s.deleteRound(ctx, prefix)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, nil
		}
	}
	return total, fmt.Errorf("objects: delete prefix %s: entries remain after %d rounds of up to %d; call again",
		prefix, deleteRounds, deletePage)
}

// deleteRound lists up to deletePage versions and deletes them, then does
// the same for unfinished uploads, and returns how many it removed.
func (s *Store) deleteRound(ctx context.Context, prefix string) (int, error) {
	versions, err := s.listVersions(ctx, prefix)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range versions {
		err := s.client.RemoveObject(ctx, s.bucket, v.Key, minio.RemoveObjectOptions{VersionID: v.VersionID})
		if gone(err) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("objects: delete %s version %s: %w", v.Key, v.VersionID, notFound(err))
		}
		n++
	}
	uploads, err := s.listUploads(ctx, prefix)
	if err != nil {
		return n, err
	}
	for _, u := range uploads {
		err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID)
		if gone(err) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("objects: abort upload of %s: %w", u.Key, notFound(err))
		}
		n++
	}
	return n, nil
}

// listVersions lists up to deletePage object versions and delete markers
// under prefix. A store without ListObjectVersions (NotImplemented) keeps no
// versions, so its plain listing is complete.
func (s *Store) listVersions(ctx context.Context, prefix string) ([]minio.ObjectInfo, error) {
	objs, err := s.list(ctx, prefix, true)
	if errorCode(err) == minio.NotImplemented {
		objs, err = s.list(ctx, prefix, false)
	}
	return objs, err
}

func (s *Store) list(ctx context.Context, prefix string, versions bool) ([]minio.ObjectInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	ch := s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true,
		WithVersions: versions, MaxKeys: deletePage})
	return page(cancel, ch, func(o minio.ObjectInfo) error { return o.Err }, "list "+prefix)
}

// listUploads lists up to deletePage unfinished multipart uploads under
// prefix.
func (s *Store) listUploads(ctx context.Context, prefix string) ([]minio.ObjectMultipartInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	ch := s.client.ListIncompleteUploads(ctx, s.bucket, prefix, true)
	return page(cancel, ch, func(u minio.ObjectMultipartInfo) error { return u.Err }, "list uploads under "+prefix)
}

// page reads up to deletePage items of a minio-go listing, then stops it;
// errOf is an item's error, what names the listing in errors.
func page[T any](cancel context.CancelFunc, ch <-chan T, errOf func(T) error, what string) ([]T, error) {
	defer stop(cancel, ch)
	var items []T
	for it := range ch {
		if err := errOf(it); err != nil {
			return nil, fmt.Errorf("objects: %s: %w", what, notFound(err))
		}
		items = append(items, it)
		if len(items) == deletePage {
			break
		}
	}
	return items, nil
}

// stop ends a listing read only in part: cancelling makes minio-go's lister
// close ch, and draining lets it get there.
func stop[T any](cancel context.CancelFunc, ch <-chan T) {
	cancel()
	for range ch {
	}
}

// gone reports whether err says the version or upload no longer exists.
func gone(err error) bool {
	switch errorCode(err) {
	case minio.NoSuchKey, minio.NoSuchVersion, minio.NoSuchUpload:
		return true
	}
	return false
}

// errorCode is the S3 error code err carries, wrapped or not; "" if none.
func errorCode(err error) string {
	var r minio.ErrorResponse
	if errors.As(err, &r) {
		return r.Code
	}
	return ""
}
