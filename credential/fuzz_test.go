package credential

import "testing"

func FuzzParse(f *testing.F) {
	good, _ := New(AppToken, "00112233445566778899aabbccddeeff")
	f.Add(good.String())
	f.Add("idv_at__")
	f.Add("idv_at_zz_" + good.String()[len("idv_at_00112233445566778899aabbccddeeff_"):])
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(AppToken, s)
		if err != nil {
			return
		}
		if again, err := Parse(AppToken, c.String()); err != nil || again.ID != c.ID || !again.Matches(c.Hash()) {
			t.Fatalf("%q parsed but its canonical form %q does not parse back: %v", s, c.String(), err)
		}
	})
}
