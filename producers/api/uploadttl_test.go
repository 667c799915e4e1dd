package api

import (
	"testing"
	"time"

	"github.com/idv-oss/idv"
)

// An upload policy never outlives the session's deadline or its app token.
func TestUploadTTL(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	sess := func(expires, token time.Duration) idv.Session {
		return idv.Session{ExpiresAt: now.Add(expires), AppTokenExpiresAt: now.Add(token)}
	}
	for _, c := range []struct {
		name         string
		expires, tok time.Duration
		want         time.Duration
	}{
		{"far deadline", 7 * 24 * time.Hour, time.Hour, 15 * time.Minute},
		{"deadline in 5 minutes", 5 * time.Minute, time.Hour, 5 * time.Minute},
		{"token ends in 2 minutes", time.Hour, 2 * time.Minute, 2 * time.Minute},
		{"token ended", time.Hour, -time.Minute, time.Second},
	} {
		if got := uploadTTL(15*time.Minute, now, sess(c.expires, c.tok)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
