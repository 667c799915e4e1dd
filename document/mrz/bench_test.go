package mrz

import "testing"

// BenchmarkParse parses and validates the Dutch specimen card (TD1, with its
// BSN set apart) and a TD3 passport line pair.
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"TD1", "I<NLDSPECI20142999999990<<<<<8\n6503101F3108022NLD<<<<<<<<<<<8\nDE<BRUIJN<<WILLEKE<LISELOTTE<<\n"},
		{"TD3", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				d, err := ParseAt(bc.text, checkDay)
				if err != nil {
					b.Fatal(err)
				}
				_ = d.Validate(checkDay, Rules{AllowSpecimen: true})
			}
		})
	}
}
