package credential

import "testing"

func FuzzParse(f *testing.F) {
	good, _ := New(AppToken, "00112233445566778899aabbccddeeff")
	f.Add(good.String())
	f.Add("idv_at__")
	f.Add("idv_at_zz_" + good.String()[len("idv_at_00112233445566778899aabbccddeeff_"):])
	// A secret of 32 zero bytes is 43 A's; a last B sets one of the two
	// bits past the secret, a spelling a lenient decoder would take.
	zero := Credential{Kind: AppToken, ID: "00112233445566778899aabbccddeeff", Secret: make([]byte, secretLen)}.String()
	f.Add(zero)
	f.Add(zero[:len(zero)-1] + "B")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(AppToken, s)
		if err != nil {
			return
		}
		if c.String() != s {
			t.Fatalf("%q parsed, but is not the canonical spelling %q", s, c.String())
		}
		if again, err := Parse(AppToken, c.String()); err != nil || again.ID != c.ID || !again.Matches(c.Hash()) {
			t.Fatalf("%q parsed but its canonical form %q does not parse back: %v", s, c.String(), err)
		}
	})
}
