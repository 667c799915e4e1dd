package objects_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/versitygw/s3test"
)

// go test ./infra/objects -run '^$' -bench . measures loopback throughput
// against the embedded gateway.

func BenchmarkPut(b *testing.B) {
	store := s3test.NewStore(b)
	for _, size := range []int{512 << 10, 6 << 20} {
		body := randomBytes(size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := store.Put(b.Context(), "bench", body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPostUpload(b *testing.B) {
	store := s3test.NewStore(b)
	for _, size := range []int{512 << 10, 6 << 20} {
		body := randomBytes(size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				p, err := store.PresignPost(b.Context(), "bench", int64(size), int64(size), time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if status, code := post(b, p, body); status != http.StatusNoContent {
					b.Fatalf("POST: HTTP %d %s", status, code)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	store := s3test.NewStore(b)
	for _, size := range []int{512 << 10, 6 << 20} {
		if err := store.Put(b.Context(), "bench", randomBytes(size)); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := store.Get(b.Context(), "bench", int64(size)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDeletePrefix deletes a session's worth of objects (five small
// captures) under a prefix per op, on a plain and on a versioned bucket: the
// wipe's storage step, without the wipe.
func BenchmarkDeletePrefix(b *testing.B) {
	for _, bucket := range []struct {
		name  string
		store func(testing.TB) *objects.Store
	}{{"plain", s3test.NewStore}, {"versioned", s3test.NewVersionedStore}} {
		b.Run(bucket.name, func(b *testing.B) {
			store := bucket.store(b)
			body := randomBytes(4 << 10)
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				prefix := fmt.Sprintf("tenant/session-%d/", i)
				for _, k := range []string{"document_front/0", "document_back/0", "selfie/0", "selfie/1", "mrz/0"} {
					if err := store.Put(b.Context(), prefix+k, body); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if n, err := store.DeletePrefix(b.Context(), prefix); n != 5 || err != nil {
					b.Fatalf("DeletePrefix = %d, %v; want 5, nil", n, err)
				}
			}
		})
	}
}
