package versitygw

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/versity/versitygw/s3response"
)

// BenchmarkSessionVersions lists one session's versions in a tenant of
// 2,000 sessions (one object each), as a wipe does: "walk" is versitygw's
// own version listing, "prefix" the store's, which starts at the
// session's directory; "-wiped" lists a session that is gone, as a wipe's
// second listing does.
func BenchmarkSessionVersions(b *testing.B) {
	g, _, st := startStore(b)
	const sessions = 2000
	sessionsOn(8, sessions, func(i int) {
		if err := st.Put(b.Context(), fmt.Sprintf("tenant/s%04d/1/selfie/0", i), []byte("sealed")); err != nil {
			b.Error(err)
		}
	})
	present := &s3.ListObjectVersionsInput{Bucket: ptr("idv-test"), Prefix: ptr("tenant/s1000/"), MaxKeys: ptr(int32(1000))}
	gone := &s3.ListObjectVersionsInput{Bucket: ptr("idv-test"), Prefix: ptr("tenant/s9999/"), MaxKeys: ptr(int32(1000))}
	for _, bc := range []struct {
		name string
		in   *s3.ListObjectVersionsInput
		list func(context.Context, *s3.ListObjectVersionsInput) (s3response.ListVersionsResult, error)
		want int
	}{
		{"walk", present, g.backend.Posix.ListObjectVersions, 1},
		{"prefix", present, g.backend.ListObjectVersions, 1},
		{"walk-wiped", gone, g.backend.Posix.ListObjectVersions, 0},
		{"prefix-wiped", gone, g.backend.ListObjectVersions, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if r, err := bc.list(b.Context(), bc.in); err != nil || len(r.Versions) != bc.want {
					b.Fatalf("listed %d versions, %v; want %d", len(r.Versions), err, bc.want)
				}
			}
		})
	}
}
