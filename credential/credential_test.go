package credential

import (
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	c, err := New(AppToken, "0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(AppToken, c.String())
	if err != nil {
		t.Fatalf("parse %q: %v", c.String(), err)
	}
	if got.ID != c.ID || !got.Matches(c.Hash()) {
		t.Fatalf("round trip lost the credential: %+v", got)
	}
	other, _ := New(AppToken, c.ID)
	if other.Matches(c.Hash()) {
		t.Fatal("a different secret matched")
	}
}

func TestParseRefuses(t *testing.T) {
	good, _ := New(APIKey, "abcd")
	s := good.String()
	cases := map[string]string{
		"empty":           "",
		"other kind":      strings.Replace(s, "idv_sk", "idv_at", 1),
		"no secret":       "idv_sk_abcd",
		"upper-case id":   strings.Replace(s, "abcd", "ABCD", 1),
		"non-hex id":      strings.Replace(s, "abcd", "wxyz", 1),
		"short secret":    s[:len(s)-2],
		"bad base64":      s[:len(s)-1] + "*",
		"path trick id":   "idv_sk_../.._" + s[len("idv_sk_abcd_"):],
		"trailing suffix": s + "_x",
	}
	for name, text := range cases {
		if _, err := Parse(APIKey, text); err == nil {
			t.Errorf("%s: %q parsed", name, text)
		}
	}
}

func TestFromBearer(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer abc":   "abc",
		"bearer  abc ": "abc",
		"Basic abc":    "",
		"Bearer":       "",
		"":             "",
	} {
		got, ok := FromBearer(header)
		if got != want || ok != (want != "") {
			t.Errorf("FromBearer(%q) = %q, %v", header, got, ok)
		}
	}
}

// TestParseOneSpelling: a credential has one bearer text. The last of the
// 43 characters carries two bits past the 32-byte secret, so a lenient
// decoder takes four spellings of it. No other last character parses to
// the same secret, for an API key and an app token alike, and neither does
// the canonical text with a line break in it.
func TestParseOneSpelling(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, kind := range []string{APIKey, AppToken} {
		c, err := New(kind, "00112233445566778899aabbccddeeff")
		if err != nil {
			t.Fatal(err)
		}
		s := c.String()
		if got, err := Parse(kind, s); err != nil || !got.Matches(c.Hash()) {
			t.Fatalf("%s: canonical %q: %v", kind, s, err)
		}
		for _, last := range alphabet {
			text := s[:len(s)-1] + string(last)
			if text == s {
				continue
			}
			// Another last character is another secret or no credential;
			// never the same secret spelled differently.
			got, err := Parse(kind, text)
			if err == nil && (got.Matches(c.Hash()) || got.String() != text) {
				t.Errorf("%s: %q (last character %q for %q) parsed as %q", kind, text, last, s[len(s)-1:], got)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: %q: %v, want ErrMalformed", kind, text, err)
			}
		}
		cut := len(s) - 10
		if _, err := Parse(kind, s[:cut]+"\n"+s[cut:]); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %q with a line break parsed", kind, s)
		}
	}
}
