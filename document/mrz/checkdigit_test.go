package mrz

import "testing"

func TestCheckDigit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want byte
	}{
		{"", '0'},
		{"L898902C3", '6'},
		{"740812", '2'},
		{"120415", '9'},
		{"ZE184226B<<<<<", '1'},
		{"L898902C36" + "7408122" + "1204159ZE184226B<<<<<1", '0'},
		{"D23145890734", '9'},
		{"999999990", '8'},
		{"SPECI2014", '2'},
	}
	for _, tt := range tests {
		if got, ok := CheckDigit(tt.in); !ok || got != tt.want {
			t.Errorf("CheckDigit(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"a", "L898 902C3", "É", "12-3"} {
		if _, ok := CheckDigit(bad); ok {
			t.Errorf("CheckDigit(%q) accepted a non-MRZ character", bad)
		}
	}
}

// TestCheckDigitBlindSpots pins the weakness FACTS records: characters whose
// values differ by a multiple of ten give the same check digit wherever they
// stand, so such misreads pass every check.
func TestCheckDigitBlindSpots(t *testing.T) {
	t.Parallel()
	groups := []string{"<0AKU", "G6Q", "S8I", "B1LV", "Z5P"}
	for _, g := range groups {
		for pos := range 3 {
			var digits []byte
			for i := 0; i < len(g); i++ {
				s := []byte("L898902C3")
				s[pos] = g[i]
				d, _ := CheckDigit(string(s))
				digits = append(digits, d)
			}
			for _, d := range digits[1:] {
				if d != digits[0] {
					t.Errorf("group %q at position %d: digits %q differ", g, pos, digits)
				}
			}
		}
	}
	// A character outside the group changes the digit (weights 7, 3, 1 are
	// prime to 10).
	a, _ := CheckDigit("L898902C3")
	b, _ := CheckDigit("L898902D3")
	if a == b {
		t.Error("C and D gave the same check digit")
	}
}
