package objects_test

import (
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

func TestCreateBucket(t *testing.T) {
	t.Parallel()
	cfg := s3test.Gateway().ObjectsConfig("t-create-bucket-" + strings.ToLower(rand.Text()[:10]))
	store, err := objects.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := store.Ping(ctx); !errors.Is(err, objects.ErrNoBucket) {
		t.Fatalf("Ping before the bucket exists: %v, want ErrNoBucket", err)
	}
	for i, want := range []bool{true, false} {
		created, err := store.CreateBucket(ctx)
		if err != nil || created != want {
			t.Fatalf("CreateBucket %d: created %v, %v; want %v", i+1, created, err, want)
		}
	}
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("Ping after CreateBucket: %v", err)
	}
}

// versitygw 1.8.0 answers every lifecycle request with NotImplemented: the
// store says so as ErrNotSupported, for `idv migrate` to report.
func TestBackstopNotSupportedByGateway(t *testing.T) {
	t.Parallel()
	store := s3test.NewStore(t)
	if _, err := store.EnsureBackstop(t.Context(), objects.RetentionBackstop()); !errors.Is(err, objects.ErrNotSupported) {
		t.Fatalf("EnsureBackstop on the gateway: %v, want ErrNotSupported", err)
	}
	if _, err := store.HasBackstop(t.Context(), objects.RetentionBackstop()); !errors.Is(err, objects.ErrNotSupported) {
		t.Fatalf("HasBackstop on the gateway: %v, want ErrNotSupported", err)
	}
}

func TestRetentionBackstop(t *testing.T) {
	t.Parallel()
	b := objects.RetentionBackstop()
	// The 28-day cap and a day: never before the wipe, every byte gone by day 30.
	if b.ExpireDays != 29 || b.ExpireDays+b.NoncurrentDays > 30 || b.AbortUploadDays != 1 {
		t.Fatalf("RetentionBackstop = %+v", b)
	}
}

// lifecycleStore is the part of S3 the lifecycle requests touch: a bucket
// that exists and the lifecycle configuration document of it, kept as
// sent. No store that implements lifecycle rules runs on the test machine
// (the embedded gateway does not), so this stands in for one to show what
// EnsureBackstop sends and that it keeps other rules.
type lifecycleStore struct {
	mu   sync.Mutex
	doc  string // the bucket's lifecycle configuration; "" none
	puts int
}

func (s *lifecycleStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := r.URL.Query()["lifecycle"]; !ok || strings.Trim(r.URL.Path, "/") != "idv-captures" {
		w.WriteHeader(http.StatusOK) // HEAD bucket
		return
	}
	switch r.Method {
	case http.MethodGet:
		if s.doc == "" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchLifecycleConfiguration</Code><Message>none</Message><BucketName>idv-captures</BucketName></Error>`)
			return
		}
		io.WriteString(w, s.doc)
	case http.MethodPut:
		body, _ := io.ReadAll(r.Body)
		s.doc = string(body)
		s.puts++
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func TestEnsureBackstop(t *testing.T) {
	t.Parallel()
	fake := &lifecycleStore{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	store, err := objects.New(objects.Config{Endpoint: srv.URL, Region: "us-east-1", AccessKey: "k", SecretKey: "s", Bucket: "idv-captures"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	b := objects.RetentionBackstop()
	if has, err := store.HasBackstop(ctx, b); err != nil || has {
		t.Fatalf("HasBackstop without a configuration: %v, %v", has, err)
	}
	// The operator's own rule stays; IDV's is added beside it.
	fake.doc = `<LifecycleConfiguration><Rule><ID>logs</ID><Status>Enabled</Status><Filter><Prefix>logs/</Prefix></Filter><Expiration><Days>90</Days></Expiration></Rule></LifecycleConfiguration>`
	changed, err := store.EnsureBackstop(ctx, b)
	if err != nil || !changed {
		t.Fatalf("first EnsureBackstop: changed %v, %v", changed, err)
	}
	for _, want := range []string{"<ID>logs</ID>", "<Prefix>logs/</Prefix>", "<Days>90</Days>",
		"<ID>idv-retention-backstop</ID>", "<Status>Enabled</Status>", "<Expiration><Days>29</Days></Expiration>",
		"<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>",
		"<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>"} {
		if !strings.Contains(fake.doc, want) {
			t.Errorf("lifecycle configuration sent lacks %s:\n%s", want, fake.doc)
		}
	}
	if has, err := store.HasBackstop(ctx, b); err != nil || !has {
		t.Fatalf("HasBackstop after EnsureBackstop: %v, %v", has, err)
	}
	// A second run changes nothing and sends nothing.
	if changed, err := store.EnsureBackstop(ctx, b); err != nil || changed || fake.puts != 1 {
		t.Fatalf("second EnsureBackstop: changed %v, %v, %d puts", changed, err, fake.puts)
	}
	// A rule of IDV's id changed by hand is put back.
	fake.doc = strings.Replace(fake.doc, "<Days>29</Days>", "<Days>400</Days>", 1)
	if changed, err := store.EnsureBackstop(ctx, b); err != nil || !changed || strings.Contains(fake.doc, "<Days>400</Days>") ||
		strings.Count(fake.doc, "idv-retention-backstop") != 1 || !strings.Contains(fake.doc, "<ID>logs</ID>") {
		t.Fatalf("EnsureBackstop over an altered rule: changed %v, %v:\n%s", changed, err, fake.doc)
	}
}
