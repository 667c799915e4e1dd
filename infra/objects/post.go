package objects

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/idv-oss/idv"
	"github.com/minio/minio-go/v7"
)

// PresignPost returns a POST policy admitting exactly one object: this key,
// content type application/octet-stream, between minSize and maxSize bytes
// (content-length-range, enforced by the store, not the client). It makes no
// request to the store.
//
// ttl bounds how long the policy works. Note that versitygw also refuses
// policies signed more than an hour ago, whatever their expiry; AWS S3 and
// MinIO honour the expiry alone.
func (s *Store) PresignPost(ctx context.Context, key string, minSize, maxSize int64, ttl time.Duration) (idv.PostPolicy, error) {
	if ttl <= 0 {
		return idv.PostPolicy{}, fmt.Errorf("objects: presign post %s: ttl %s must be positive", key, ttl)
	}
	return s.presignPost(ctx, key, minSize, maxSize, time.Now().Add(ttl))
}

func (s *Store) presignPost(ctx context.Context, key string, minSize, maxSize int64, expires time.Time) (idv.PostPolicy, error) {
	if err := checkKey(key); err != nil {
		return idv.PostPolicy{}, err
	}
	if minSize < 0 || maxSize <= 0 || minSize > maxSize {
		return idv.PostPolicy{}, fmt.Errorf("objects: presign post %s: size range [%d, %d]: want 0 <= min <= max, max > 0", key, minSize, maxSize)
	}
	// The policy states its expiry in milliseconds; report what it says.
	expires = expires.UTC().Truncate(time.Millisecond)

	p := minio.NewPostPolicy()
	for _, err := range []error{
		p.SetBucket(s.bucket),
		p.SetKey(key),
		p.SetContentType(contentType),
		p.SetContentLengthRange(minSize, maxSize),
		p.SetExpires(expires),
	} {
		if err != nil {
			return idv.PostPolicy{}, fmt.Errorf("objects: presign post %s: %w", key, err)
		}
	}
	u, fields, err := s.client.PresignedPostPolicy(ctx, p)
	if err != nil {
		return idv.PostPolicy{}, fmt.Errorf("objects: presign post %s: %w", key, err)
	}
	return idv.PostPolicy{URL: u.String(), Fields: maps.Clone(fields), Expires: expires}, nil
}
