// Package objects is IDV's adapter to S3-compatible object storage (AWS S3,
// MinIO, SeaweedFS, Ceph, the embedded versitygw of `idv dev`), through
// minio-go.
//
// Storage only ever holds sealed captures (docs/design.md invariant 2), so
// the adapter is deliberately small: apps upload directly with a pre-signed
// POST policy that pins the key, the content type and the size; IDV checks
// the size with Stat and reads captures back with Get, never more than the
// caller is prepared to hold in memory.
package objects

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Store reads and writes objects in one bucket.
type Store struct {
	client    *minio.Client
	core      minio.Core // the same client, for single-request reads
	transport *http.Transport
	bucket    string
	region    string
}

// New validates cfg and returns a Store. It does not contact the store; use
// Ping or EnsureBucket for that.
func New(cfg Config) (*Store, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	opts := &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: u.Scheme == "https",
		// A known region means signing never asks the store where the
		// bucket is, so PresignPost works without a round trip.
		Region: cfg.Region,
	}
	transport, err := newTransport(opts.Secure, cfg.CAFile)
	if err != nil {
		return nil, err
	}
	opts.Transport = transport
	client, err := minio.New(u.Host, opts)
	if err != nil {
		return nil, fmt.Errorf("objects: client for %s: %w", cfg.Endpoint, err)
	}
	return &Store{client: client, core: minio.Core{Client: client}, transport: transport, bucket: cfg.Bucket, region: cfg.Region}, nil
}

// CloseIdleConnections closes the store's connections that wait for a next
// request. A process that stops its S3 server with it calls this first:
// versitygw's graceful shutdown (the embedded gateway of idv dev and idv
// loadgen) waits up to 10 s for its clients' kept-alive connections, and
// says so on stderr. The store stays usable; a later request dials anew.
func (s *Store) CloseIdleConnections() { s.transport.CloseIdleConnections() }

// Bucket names the bucket the store works in.
func (s *Store) Bucket() string { return s.bucket }

// EnsureBucket creates the bucket unless it exists. Safe to call from several
// processes at once.
func (s *Store) EnsureBucket(ctx context.Context) error {
	_, err := s.CreateBucket(ctx)
	return err
}

// CreateBucket is EnsureBucket also reporting whether this call created
// the bucket (false: it was there, or another process created it at the
// same moment).
func (s *Store) CreateBucket(ctx context.Context) (bool, error) {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return false, fmt.Errorf("objects: look up bucket %s: %w", s.bucket, err)
	}
	if ok {
		return false, nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.region})
	if code := minio.ToErrorResponse(err).Code; code == minio.BucketAlreadyOwnedByYou {
		return false, nil // another process won the race
	}
	if err != nil {
		return false, fmt.Errorf("objects: create bucket %s: %w", s.bucket, err)
	}
	return true, nil
}

// newTransport is minio-go's default transport, or with a CA bundle
// (caFile not empty) caTransport.
func newTransport(secure bool, caFile string) (*http.Transport, error) {
	if caFile != "" {
		return caTransport(caFile)
	}
	t, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("objects: transport: %w", err)
	}
	return t, nil
}

// caTransport is an HTTP transport that trusts only the CAs in caFile.
// It is minio-go's own default otherwise: 16 idle connections kept per
// host, so that the stages' concurrent requests reuse their TLS
// connections instead of handshaking anew (http.DefaultTransport keeps 2),
// and no transparent gzip decoding of an object's body.
func caTransport(caFile string) (*http.Transport, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("objects: CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("objects: CA bundle %s holds no PEM certificate", caFile)
	}
	t, err := minio.DefaultTransport(true)
	if err != nil {
		return nil, fmt.Errorf("objects: transport: %w", err)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

// Ping checks that the store answers and the bucket exists (for /readyz).
// minio-go retries failed requests with backoff for several seconds, so give
// ctx the deadline the probe can afford.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("objects: ping %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("objects: ping %s: %w", s.bucket, ErrNoBucket)
	}
	return nil
}

// checkKey refuses keys the store or the POST policy could misread. minio-go
// writes policy conditions without JSON escaping, so a quote or backslash in
// a key would corrupt the policy; IDV keys are ids and never need them.
func checkKey(key string) error {
	switch {
	case key == "" || strings.TrimSpace(key) != key:
		return fmt.Errorf("objects: key %q: empty or padded with spaces", key)
	case len(key) > 1024:
		return fmt.Errorf("objects: key of %d bytes: longer than 1024", len(key))
	case !utf8.ValidString(key):
		return fmt.Errorf("objects: key %q: not UTF-8", key)
	case strings.ContainsAny(key, `"\`) || strings.IndexFunc(key, unicode.IsControl) >= 0:
		return fmt.Errorf("objects: key %q: quotes, backslashes and control characters are not allowed", key)
	}
	return nil
}
