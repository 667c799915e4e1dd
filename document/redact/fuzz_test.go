package redact_test

import (
	"strings"
	"testing"

	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/redact"
)

// FuzzKindOf: any text an app sends, or the reader reads, as MRZ lines
// yields a kind of an ICAO shape or none, never a panic; a kind with a BSN
// has one that passes the eleven-proof where the layout puts it.
func FuzzKindOf(f *testing.F) {
	for _, s := range []string{
		strings.Join(nlID, "\n"),
		"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<\nSPECI20142NLD6503101F2401151999999990<<<<<82",
		"I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<",
		"", "\n\n", "P<\n<<", strings.Repeat("9", 36) + "\n" + strings.Repeat("<", 36),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Fields(text)
		k, ok := redact.KindOf(lines)
		if !ok {
			return
		}
		if !(k.Lines == 3 && k.Length == 30 || k.Lines == 2 && (k.Length == 36 || k.Length == 44)) {
			t.Fatalf("kind %+v of no ICAO shape", k)
		}
		if k.BSN {
			field := lines[0][15:24]
			if k.Lines == 2 {
				field = lines[1][28:37]
			}
			if !mrz.ElevenProof(field) {
				t.Fatalf("kind %+v: %q fails the eleven-proof", k, field)
			}
		}
		if l, ok := redact.LayoutFor(k); ok && l.Kind != k {
			t.Fatalf("layout %q for kind %+v", l.Name, k)
		}
	})
}

func TestElevenProof(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"999999990": true, "111222333": true, "123456782": true,
		"123456789": false, "99999999": false, "9999999900": false, "99999999A": false, "": false,
	} {
		if got := mrz.ElevenProof(s); got != want {
			t.Errorf("ElevenProof(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestLayoutFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lines  []string
		layout string // "" none
	}{
		{nlID, "NLD identity card 2014–2021, back"},
		{[]string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", "SPECI20142NLD6503101F2401151999999990<<<<<82"}, "NLD passport 2014–2021, data page"},
		{[]string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", "SPECI20142NLD6503101F2401151<<<<<<<<<<<<<<02"}, "NLD passport 2021, data page"},
		// Nine digits that fail the eleven-proof are no BSN.
		{[]string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", "SPECI20142NLD6503101F2401151123456789<<<<<02"}, "NLD passport 2021, data page"},
		{[]string{"I<NLDSPECI20142<<<<<<<<<<<<<<<", "6503101F2401151NLD<<<<<<<<<<<8", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"}, ""},
		// Expiring before 9 March 2019, or with no expiry that reads:
		// issued before the 2014 designs, which printed the BSN elsewhere.
		{[]string{"I<NLDSPECI20122999999990<<<<<8", "6503101F1702068NLD<<<<<<<<<<<8", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"}, ""},
		{[]string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", "SPECI20142NLD6503101F1903088999999990<<<<<82"}, ""},
		{[]string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", "SPECI20142NLD6503101F1903099999999990<<<<<82"}, "NLD passport 2014–2021, data page"},
		{[]string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", "SPECI20142NLD6503101F9812318999999990<<<<<82"}, ""},
		{[]string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", "SPECI20142NLD6503101F<<<<<<8999999990<<<<<82"}, ""},
		{[]string{"I<NLDSPECI20142999999990<<<<<8", "6503101F49O1151NLD<<<<<<<<<<<8", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"}, ""},
		{[]string{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"}, ""},
	}
	for _, tt := range tests {
		k, ok := redact.KindOf(tt.lines)
		if !ok {
			t.Fatalf("KindOf(%q): no kind", tt.lines)
		}
		l, ok := redact.LayoutFor(k)
		if tt.layout == "" && ok || tt.layout != "" && l.Name != tt.layout {
			t.Errorf("%q: layout %q (%v), want %q", tt.lines[0], l.Name, ok, tt.layout)
		}
	}
	if _, ok := redact.KindOf([]string{"I<NLD", "6503101F"}); ok {
		t.Error("lines of unequal length: a kind")
	}
}
