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
	// deleteErrors is how many refused versions an error names; the rest
	// are only counted.
	deleteErrors = 10
)

// DeletePrefix deletes everything the bucket holds under prefix: every
// object version and delete marker (ListObjects with versions, then one
// multi-object delete, RemoveObjects, naming each version id: up to 1000 in
// one request; on an unversioned bucket the one "null" version of each
// object), and every unfinished multipart upload, whose parts no object
// listing shows (ListIncompleteUploads, then an abort of each upload id).
// It repeats until a round's listings of both come back empty, one after
// the other, so a nil error means nothing was left under prefix when it
// returned. Uploads are listed only in a round whose version listing came
// back empty: a round that deletes versions is followed by another, whose
// listings see the uploads then. A session's wipe so makes four requests
// (list, delete, list, list uploads), not five.
//
// It returns how many versions, delete markers and uploads it removed, also
// alongside an error (what it removed before failing). Removing nothing is
// not an error: on an empty prefix it returns 0, nil, so it is safe to call
// again after a crash. Entries that vanish while it works (another worker
// deleting the same prefix) are not an error: minio-go drops a multi-object
// delete's NoSuchVersion and InvalidArgument answers (versitygw 1.8.0
// answers InvalidArgument for a version id that no longer exists,
// versity/versitygw#1758); other refusals are tried again by the next
// round, whose listing shows whether they are really gone (versitygw 1.8.0
// fails a version another request is deleting at the same moment with an
// internal error), and returned, each counted and the first named, when
// the last round still meets them. Such a race can also be answered
// success for a version the other worker deleted, so concurrent calls may
// together count more than there was.
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
	var refused *refusedError // the last round's refusals, if any
	for range deleteRounds {
		n, listed, err := s.deleteRound(ctx, prefix)
		total += n
		// Another worker deleting the same versions makes versitygw 1.8.0
		// fail some of them (its posix backend finds the files gone
		// half-way: "xattr.list …: no such file or directory"): refusals
		// do not end the call, the next round's listing shows what is
		// really left.
		refused = nil
		if !errors.As(err, &refused) && err != nil {
			return total, err
		}
		if listed == 0 {
			return total, nil
		}
	}
	if refused != nil {
		return total, refused
	}
	return total, fmt.Errorf("objects: delete prefix %s: entries remain after %d rounds of up to %d; call again",
		prefix, deleteRounds, deletePage)
}

// deleteRound lists up to deletePage versions and deletes them with one
// multi-object delete; when it lists none, it lists and aborts unfinished
// uploads instead. It returns how many it removed and how many the listings
// held: a round that listed nothing found the prefix empty. Versions the
// store refused are a *refusedError.
func (s *Store) deleteRound(ctx context.Context, prefix string) (removed, listed int, err error) {
	versions, err := s.listVersions(ctx, prefix)
	if err != nil {
		return 0, 0, err
	}
	if len(versions) == 0 {
		return s.abortUploads(ctx, prefix)
	}
	removed, err = s.removeVersions(ctx, versions)
	return removed, len(versions), err
}

// abortUploads lists up to deletePage unfinished uploads under prefix and
// aborts each. It returns how many it aborted and how many it listed.
func (s *Store) abortUploads(ctx context.Context, prefix string) (aborted, listed int, err error) {
	uploads, err := s.listUploads(ctx, prefix)
	if err != nil {
		return 0, 0, err
	}
	for _, u := range uploads {
		err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID)
		if gone(err) {
			continue
		}
		if err != nil {
			return aborted, len(uploads), fmt.Errorf("objects: abort upload of %s: %w", u.Key, notFound(err))
		}
		aborted++
	}
	return aborted, len(uploads), nil
}

// removeVersions deletes versions (at most deletePage: one request) with a
// multi-object delete and returns how many the store reports deleted, and
// the versions it refused (nil if none) in a *refusedError naming the first
// deleteErrors of them by key and version id (a failed request fails every
// version in it). Versions already gone are neither.
func (s *Store) removeVersions(ctx context.Context, versions []minio.ObjectInfo) (int, error) {
	ch := make(chan minio.ObjectInfo, len(versions))
	for _, v := range versions {
		ch <- minio.ObjectInfo{Key: v.Key, VersionID: v.VersionID}
	}
	close(ch)
	n := 0
	var refused refusedError
	for r := range s.client.RemoveObjectsWithResult(ctx, s.bucket, ch, minio.RemoveObjectsOptions{}) {
		switch {
		case r.Err == nil:
			n++
		case gone(r.Err):
		default:
			refused.failed++
			if len(refused.errs) < deleteErrors {
				refused.errs = append(refused.errs,
					fmt.Errorf("delete %s version %s: %w", r.ObjectName, r.ObjectVersionID, notFound(r.Err)))
			}
		}
	}
	if refused.failed == 0 {
		return n, nil
	}
	refused.of = len(versions)
	return n, &refused
}

// refusedError is the versions one multi-object delete did not delete.
type refusedError struct {
	failed, of int
	errs       []error // the first deleteErrors
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("objects: %d of %d versions not deleted: %v", e.failed, e.of, errors.Join(e.errs...))
}

func (e *refusedError) Unwrap() []error { return e.errs }

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
