package objects

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/idv-oss/idv"
	"github.com/minio/minio-go/v7"
)

const contentType = "application/octet-stream"

// Stat returns the size of the object at key and when it was stored (the
// store's clock), or ErrNotFound.
func (s *Store) Stat(ctx context.Context, key string) (idv.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return idv.ObjectInfo{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return idv.ObjectInfo{}, fmt.Errorf("objects: stat %s: %w", key, notFound(err))
	}
	return idv.ObjectInfo{Size: info.Size, Stored: info.LastModified}, nil
}

// Get reads the whole object at key. An object larger than maxSize is refused
// with ErrTooLarge before its body is read, so a hostile upload cannot make
// IDV buffer more than it planned for.
func (s *Store) Get(ctx context.Context, key string, maxSize int64) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if maxSize <= 0 {
		return nil, fmt.Errorf("objects: get %s: maxSize %d must be positive", key, maxSize)
	}
	// One GET: the size comes from the response headers, and the body is
	// only read once the size is known to fit.
	body, info, _, err := s.core.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("objects: get %s: %w", key, notFound(err))
	}
	defer body.Close()
	if info.Size > maxSize {
		return nil, fmt.Errorf("objects: get %s: %d bytes, limit %d: %w", key, info.Size, maxSize, ErrTooLarge)
	}
	// Trust the header only as far as the limit: a body longer than
	// announced is still cut off at maxSize+1 bytes.
	b, err := io.ReadAll(io.LimitReader(body, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("objects: get %s: %w", key, err)
	}
	if int64(len(b)) > maxSize {
		return nil, fmt.Errorf("objects: get %s: more than %d bytes: %w", key, maxSize, ErrTooLarge)
	}
	if info.Size >= 0 && int64(len(b)) != info.Size {
		return nil, fmt.Errorf("objects: get %s: read %d of %d bytes: %w", key, len(b), info.Size, io.ErrUnexpectedEOF)
	}
	return b, nil
}

// Put stores body at key, replacing any object there. IDV's own write path is
// the app's pre-signed POST; Put is for tests and admin tools.
func (s *Store) Put(ctx context.Context, key string, body []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: contentType}
	// Over plain http minio-go signs the body in aws-chunked form; for an
	// empty body versitygw 1.8 answers without reading that one final chunk
	// and then answers the chunk itself with a stray 400 on the kept-alive
	// connection. An empty body has nothing to sign, so send it plainly.
	opts.DisableContentSha256 = len(body) == 0
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(body), int64(len(body)), opts)
	if err != nil {
		return fmt.Errorf("objects: put %s: %w", key, err)
	}
	return nil
}

// notFound turns the store's "no such key" and "no such bucket" into this
// package's sentinels and leaves every other error as it is.
func notFound(err error) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey:
		return ErrNotFound
	case minio.NoSuchBucket:
		return ErrNoBucket
	}
	return err
}
