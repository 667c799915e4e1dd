package glyph

import "testing"

// TestAtlas: the committed atlas matches its metrics, and every character
// has ink of its own inside the cell (a glyph the font could not draw would
// be blank, as 8 and < were before the fallback).
func TestAtlas(t *testing.T) {
	a, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ink := map[byte]float32{}
	for i := 0; i < len(Alphabet); i++ {
		c := Alphabet[i]
		for y := range CellHeight {
			for x := range CellWidth {
				ink[c] += a.Coverage(c, x, y)
			}
		}
		if ink[c] < 150 {
			t.Errorf("%q: ink %.0f, want a drawn glyph", c, ink[c])
		}
	}
	if a.Coverage('?', 10, 40) != 0 || a.Coverage('A', -1, 0) != 0 || a.Coverage('A', CellWidth, 0) != 0 {
		t.Error("coverage outside the alphabet or the cell is not 0")
	}
	if ink['O'] == ink['0'] {
		t.Error("O and 0 have the same ink: cells mixed up")
	}
}

func TestWeighted(t *testing.T) {
	a, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ink := func(a *Atlas) (sum float32) {
		for y := range CellHeight {
			for x := range CellWidth {
				sum += a.Coverage('H', x, y)
			}
		}
		return sum
	}
	thin, normal, heavy := ink(a.Weighted(-2)), ink(a), ink(a.Weighted(3))
	if !(thin < normal && normal < heavy) || a.Weighted(0) != a {
		t.Errorf("ink of H thin %.0f, normal %.0f, heavy %.0f: want increasing", thin, normal, heavy)
	}
	if a.Weighted(3).Coverage('I', 0, 40) != 0 {
		t.Error("a heavier I spilled into the edge of its cell")
	}
}
