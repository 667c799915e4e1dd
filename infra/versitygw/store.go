package versitygw

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/s3response"
)

// store is versitygw's posix backend as the gateway serves it, with two
// changes, both for what IDV's keys look like (TENANT/SESSION/…):
//
//   - Every top-level directory of a bucket keeps an empty directory named
//     keeperName, which no listing shows (versitygw skips that name in
//     every walk). Deleting an object removes its parent directories that
//     became empty, up to the bucket; a tenant's directory emptied so (its
//     last session wiped) while an upload for another session was creating
//     its parents made that upload fail with 409 ExistingObjectIsDirectory.
//     With the keeper a tenant's directory is never empty, so never
//     removed.
//   - Listing the versions of an unversioned bucket lists its objects as
//     each one's "null" version, as S3 defines it, through the plain
//     listing: versitygw's version listing walks the bucket from its root
//     whatever the prefix (reading and sorting the directory of all a
//     tenant's sessions for each wipe), the plain one starts at the
//     prefix's directory.
type store struct {
	*posix.Posix
	root       string // the buckets' directory, absolute
	versioning bool   // the backend has a versioning directory
}

// keeperName is the directory kept in each top-level directory of a
// bucket: the name of versitygw's own temporary directory, which every
// listing skips.
const keeperName = posix.MetaTmpDir

// keepTries bounds the attempts to create a keeper: an attempt fails only
// when a delete removed the directory it was being made in.
const keepTries = 3

// PutObject stores an object after making sure its top-level directory
// stays (keep).
func (s *store) PutObject(ctx context.Context, in s3response.PutObjectInput) (s3response.PutObjectOutput, error) {
	s.keep(in.Bucket, in.Key)
	return s.Posix.PutObject(ctx, in)
}

// CopyObject is PutObject's keep for a copy's destination.
func (s *store) CopyObject(ctx context.Context, in s3response.CopyObjectInput) (s3response.CopyObjectOutput, error) {
	s.keep(in.Bucket, in.Key)
	return s.Posix.CopyObject(ctx, in)
}

// CompleteMultipartUpload is PutObject's keep for a multipart upload's
// object.
func (s *store) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput) (s3response.CompleteMultipartUploadResult, string, error) {
	s.keep(in.Bucket, in.Key)
	return s.Posix.CompleteMultipartUpload(ctx, in)
}

// keep creates the keeper in the top-level directory of key in bucket,
// and that directory, when they are missing. It does nothing for a key
// without a directory, or for a bucket or a directory name that is not one
// plain path element (the backend refuses those itself). Failing to make
// one is not an error here: the backend then stores the object as it
// would without, and reports what it meets.
func (s *store) keep(bucket, key *string) {
	if bucket == nil || key == nil {
		return
	}
	top, _, nested := strings.Cut(*key, "/")
	if !nested || !plainName(*bucket) || !plainName(top) {
		return
	}
	if info, err := os.Stat(filepath.Join(s.root, *bucket)); err != nil || !info.IsDir() {
		return
	}
	dir := filepath.Join(s.root, *bucket, top, keeperName)
	for range keepTries {
		err := os.MkdirAll(dir, 0o700)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return
		}
	}
}

// plainName reports whether name is one path element that stays inside
// its parent: not empty, ".", "..", or holding a separator.
func plainName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) && filepath.IsLocal(name)
}

// ListObjectVersions lists an unversioned bucket's objects as their
// "null" versions through the plain listing (see store); a bucket whose
// versioning was ever enabled or suspended is listed by the backend.
func (s *store) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput) (s3response.ListVersionsResult, error) {
	if in.Bucket == nil || s.versioned(ctx, *in.Bucket) {
		return s.Posix.ListObjectVersions(ctx, in)
	}
	if s.absent(*in.Bucket, deref(in.Prefix)) {
		return nullVersions(in, s3response.ListObjectsResult{Delimiter: in.Delimiter, IsTruncated: ptr(false),
			MaxKeys: in.MaxKeys, Prefix: in.Prefix}), nil
	}
	res, err := s.Posix.ListObjects(ctx, &s3.ListObjectsInput{Bucket: in.Bucket, Prefix: in.Prefix,
		Delimiter: in.Delimiter, Marker: in.KeyMarker, MaxKeys: in.MaxKeys})
	if err != nil {
		return s3response.ListVersionsResult{}, err
	}
	return nullVersions(in, res), nil
}

// absent reports whether no key under prefix can exist in bucket: the
// bucket is there but the directory prefix names up to its last "/" is
// not (a wipe's second listing, which proves the session's prefix empty,
// asks for one). versitygw's plain listing walks such a prefix from the
// bucket's root.
func (s *store) absent(bucket, prefix string) bool {
	dir, _, ok := cutLast(prefix, "/")
	if !ok || !plainName(bucket) || !filepath.IsLocal(dir) {
		return false
	}
	if info, err := os.Stat(filepath.Join(s.root, bucket)); err != nil || !info.IsDir() {
		return false
	}
	info, err := os.Stat(filepath.Join(s.root, bucket, dir))
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || (err == nil && !info.IsDir())
}

// cutLast slices s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// versioned reports whether bucket may hold versions other than "null":
// it can only when the backend has a versioning directory and the
// bucket's versioning status is set (Enabled or Suspended). When the
// status cannot be read, it says yes, leaving the listing to the backend.
func (s *store) versioned(ctx context.Context, bucket string) bool {
	if !s.versioning {
		return false
	}
	v, err := s.Posix.GetBucketVersioning(ctx, bucket)
	return err != nil || (v.Status != nil && *v.Status != "")
}

// nullVersions is a plain listing answered as the version listing in asked
// for: each object its one version "null", the latest.
func nullVersions(in *s3.ListObjectVersionsInput, res s3response.ListObjectsResult) s3response.ListVersionsResult {
	versions := make([]s3response.ObjectVersion, 0, len(res.Contents))
	for _, o := range res.Contents {
		versions = append(versions, s3response.ObjectVersion{
			ChecksumAlgorithm: o.ChecksumAlgorithm, ChecksumType: o.ChecksumType,
			ETag: o.ETag, IsLatest: ptr(true), Key: o.Key, LastModified: o.LastModified, Owner: o.Owner,
			RestoreStatus: o.RestoreStatus, Size: o.Size, VersionId: ptr("null"),
			StorageClass: types.ObjectVersionStorageClass(o.StorageClass),
		})
	}
	next := ""
	if res.NextMarker != nil && res.IsTruncated != nil && *res.IsTruncated {
		next = *res.NextMarker
	}
	return s3response.ListVersionsResult{
		CommonPrefixes: res.CommonPrefixes, Delimiter: res.Delimiter, IsTruncated: res.IsTruncated,
		KeyMarker: ptr(deref(in.KeyMarker)), MaxKeys: res.MaxKeys, Name: in.Bucket, NextKeyMarker: &next,
		NextVersionIdMarker: ptr(""), Prefix: res.Prefix, VersionIdMarker: ptr(deref(in.VersionIdMarker)),
		Versions: versions,
	}
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
