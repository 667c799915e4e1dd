package mrz

import (
	"strings"
	"testing"
)

func TestKnownState(t *testing.T) {
	t.Parallel()
	if n := len(strings.Fields(iso3166)); n != 249 {
		t.Errorf("ISO 3166-1 alpha-3 list has %d codes, want 249", n)
	}
	for _, c := range []string{"NLD", "DEU", "D", "GBR", "GBD", "UNO", "XXA", "XXX", "EUE", "XPO", "UTO", "ALA", "SSD", "BES"} {
		if !KnownState(c) {
			t.Errorf("KnownState(%q) = false", c)
		}
	}
	// Withdrawn or unofficial codes, fillers and junk.
	for _, c := range []string{"", "ANT", "NTZ", "RKS", "XXK", "YUG", "D<<", "<D", "ZZZ", "nld", "NL"} {
		if KnownState(c) {
			t.Errorf("KnownState(%q) = true", c)
		}
	}
}
