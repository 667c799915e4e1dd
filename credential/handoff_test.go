package credential

import (
	"strings"
	"testing"
)

func TestHandoffCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		code, err := NewHandoffCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != HandoffCodeLen+3 || seen[code] {
			t.Fatalf("code %q: wrong length or seen before", code)
		}
		seen[code] = true
		// Typed back in lower case, without dashes, with O for 0 and l for 1.
		typed := strings.NewReplacer("-", " ", "0", "o", "1", "l").Replace(strings.ToLower(code))
		got, err := ParseHandoffCode(typed)
		if err != nil || got != code {
			t.Fatalf("ParseHandoffCode(%q) = %q, %v; want %q", typed, got, err, code)
		}
	}
	for _, bad := range []string{"", "ABCD-EFGH-JKMN-PQR", "ABCD-EFGH-JKMN-PQRSU", "ABCD-EFGH-JKMN-PQR!", "ABCD-EFGH-JKMN-PQRU",
		strings.Repeat("A", 40)} {
		if got, err := ParseHandoffCode(bad); err == nil {
			t.Errorf("ParseHandoffCode(%q) = %q, want ErrMalformed", bad, got)
		}
	}
}

func FuzzParseHandoffCode(f *testing.F) {
	f.Add("K7Q2-M9XD-2HTP-WR4B")
	f.Add("k7q2 m9xd 2htp wr4b")
	f.Fuzz(func(t *testing.T, text string) {
		code, err := ParseHandoffCode(text)
		if err != nil {
			return
		}
		again, err := ParseHandoffCode(code)
		if err != nil || again != code || len(code) != HandoffCodeLen+3 {
			t.Fatalf("%q → %q → %q, %v", text, code, again, err)
		}
	})
}
