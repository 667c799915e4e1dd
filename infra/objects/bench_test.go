package objects_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

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
