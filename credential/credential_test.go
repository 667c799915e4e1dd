package credential

import (
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
