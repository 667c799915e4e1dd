package api_test

import (
	"net/http"
	"testing"
)

// TestCredentialsHaveOneSpelling: the last character of a credential's
// secret carries two bits past its 32 bytes; a real API key and a real app
// token work only as issued, and every other last character is 401
// unauthorized (issue 18 point 5).
func TestCredentialsHaveOneSpelling(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, c := range []struct{ name, path, issued string }{
		{"API key", "/v1/api-keys", b.a.APIKey},
		{"app token", "/v1/app/session", b.newSession(b.a.APIKey).AppToken},
	} {
		for _, last := range alphabet {
			text := c.issued[:len(c.issued)-1] + string(last)
			want := http.StatusUnauthorized
			if text == c.issued {
				want = http.StatusOK
			}
			var e errBody
			if code := b.call("GET", c.path, text, nil, &e); code != want || (want != http.StatusOK && e.Error.Code != "unauthorized") {
				t.Errorf("%s ending %q (issued ending %q): %d %+v, want %d", c.name, last, c.issued[len(c.issued)-1:], code, e, want)
			}
		}
	}
}
