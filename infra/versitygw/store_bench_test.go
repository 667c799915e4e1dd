package versitygw

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BenchmarkSessionVersions lists one session's versions in a tenant of
// 2,000 sessions (one object each), as a wipe does: "walk" is versitygw's
// own version listing, "prefix" the store's, which starts at the
// session's directory.
func BenchmarkSessionVersions(b *testing.B) {
	g, _, st := startStore(b)
	const sessions = 2000
	sessionsOn(8, sessions, func(i int) {
		if err := st.Put(b.Context(), fmt.Sprintf("tenant/s%04d/1/selfie/0", i), []byte("sealed")); err != nil {
			b.Error(err)
		}
	})
	in := &s3.ListObjectVersionsInput{Bucket: ptr("idv-test"), Prefix: ptr("tenant/s1000/"), MaxKeys: ptr(int32(1000))}
	for _, bc := range []struct {
		name string
		list func() (int, error)
	}{
		{"walk", func() (int, error) {
			r, err := g.backend.Posix.ListObjectVersions(b.Context(), in)
			return len(r.Versions), err
		}},
		{"prefix", func() (int, error) {
			r, err := g.backend.ListObjectVersions(b.Context(), in)
			return len(r.Versions), err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if n, err := bc.list(); err != nil || n != 1 {
					b.Fatalf("listed %d versions, %v; want 1", n, err)
				}
			}
		})
	}
}
