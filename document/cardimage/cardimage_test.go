package cardimage

import (
	"image"
	"testing"
)

func TestRender(t *testing.T) {
	t.Parallel()
	if _, err := Render(nil, Options{}); err == nil {
		t.Error("Render with no MRZ lines: no error")
	}
	tests := []struct {
		lines        []string
		wantW, wantH int
	}{
		{[]string{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"}, 1219, 840},
		{[]string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"}, 1692, 1248},
	}
	for _, tt := range tests {
		img, err := Render(tt.lines, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tt.wantW || b.Dy() != tt.wantH {
			t.Errorf("%d-character lines: %v, want %d×%d", len(tt.lines[0]), b, tt.wantW, tt.wantH)
		}
		// The MRZ's first character sits 5 mm from the card's left edge
		// (8 mm of table), its last baseline 3.5 mm above the bottom: the
		// row just above it must hold ink, the card's top rows none.
		if d := darkest(img, image.Rect(12*13, img.Bounds().Dy()-12*12, img.Bounds().Dx()/2, img.Bounds().Dy()-12*12+2)); d > 80 {
			t.Errorf("%d-character lines: darkest MRZ pixel %d, want ink", len(tt.lines[0]), d)
		}
		if d := darkest(img, image.Rect(12*9, 12*9, img.Bounds().Dx()-12*9, 12*10)); d < 120 {
			t.Errorf("%d-character lines: darkest pixel near the top %d, want card stock", len(tt.lines[0]), d)
		}
	}
}

// TestWeight: heavier strokes put more ink on the card, thinner less.
func TestWeight(t *testing.T) {
	t.Parallel()
	ink := func(w int) int {
		img, err := Render([]string{"I<UTOD231458907<<<<<<<<<<<<<<<"}, Options{PxPerMM: 6, Weight: w})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := 1; i < len(img.Pix); i += 4 {
			if img.Pix[i] < 100 {
				n++
			}
		}
		return n
	}
	thin, normal, heavy := ink(-2), ink(0), ink(3)
	if !(thin < normal && normal < heavy) {
		t.Errorf("dark pixels thin %d, normal %d, heavy %d: want increasing", thin, normal, heavy)
	}
}

func TestDegrade(t *testing.T) {
	t.Parallel()
	img, err := Render([]string{"I<UTOD231458907<<<<<<<<<<<<<<<"}, Options{PxPerMM: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := Rotate(img, 0); !equalImages(got, img) {
		t.Error("Rotate by 0 changed the image")
	}
	if got := Scale(img, 0.5).Bounds(); got.Dx() != img.Bounds().Dx()/2 {
		t.Errorf("Scale 0.5: %v", got)
	}
	if got := Grey(img).RGBAAt(200, 150); int(got.R)-int(got.B) != 10 {
		t.Errorf("Grey: %v, want a uniform tint of R−B = 10", got)
	}
	if got := Glare(img, 0.5, 0.5, 0.1).RGBAAt(img.Bounds().Dx()/2, img.Bounds().Dy()/2); got.R != 255 || got.B != 255 {
		t.Errorf("Glare centre %v, want white", got)
	}
}

func darkest(img *image.RGBA, r image.Rectangle) uint8 {
	d := uint8(255)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d = min(d, img.RGBAAt(x, y).G)
		}
	}
	return d
}

func equalImages(a, b *image.RGBA) bool {
	if a.Rect != b.Rect {
		return false
	}
	for i := range a.Pix {
		if d := int(a.Pix[i]) - int(b.Pix[i]); d > 1 || d < -1 {
			return false
		}
	}
	return true
}

// TestNoMRZ: the side without an MRZ has the document's size and no ink
// where the MRZ would be.
func TestNoMRZ(t *testing.T) {
	t.Parallel()
	lines := []string{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"}
	with, err := Render(lines, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	without, err := Render(lines, Options{Seed: 1, NoMRZ: true})
	if err != nil {
		t.Fatal(err)
	}
	if without.Bounds() != with.Bounds() {
		t.Fatalf("bounds %v, want %v", without.Bounds(), with.Bounds())
	}
	// The MRZ's three lines: 8 mm of table, the card 54 mm high, the
	// last baseline 3.5 mm above its bottom, 12 pixels per mm.
	mrz := image.Rect(12*13, 12*(8+54-15), 12*(8+80), 12*(8+54-3))
	if d := darkest(with, mrz); d > 80 {
		t.Fatalf("with the MRZ: darkest pixel %d, want ink", d)
	}
	if d := darkest(without, mrz); d < 120 {
		t.Errorf("NoMRZ: darkest pixel %d where the MRZ would be, want card stock", d)
	}
}
