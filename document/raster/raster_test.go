package raster

import (
	"image"
	"image/color"
	"testing"
)

func TestSize(t *testing.T) {
	t.Parallel()
	tests := []struct{ w, h, width, wantW, wantH int }{
		{1600, 1000, 800, 800, 500},
		{800, 500, 1600, 800, 500}, // never enlarged
		{1000, 1, 10, 10, 1},       // never zero
		{1234, 567, 0, 1234, 567},
	}
	for _, tt := range tests {
		if w, h := Size(tt.w, tt.h, tt.width); w != tt.wantW || h != tt.wantH {
			t.Errorf("Size(%d, %d, %d) = %d×%d, want %d×%d", tt.w, tt.h, tt.width, w, h, tt.wantW, tt.wantH)
		}
	}
}

// TestLuma: each decoder output reads the same, and shrinking averages.
func TestLuma(t *testing.T) {
	t.Parallel()
	rgba := image.NewRGBA(image.Rect(0, 0, 4, 2))
	gray := image.NewGray(rgba.Rect)
	for x := range 4 {
		v := uint8(0)
		if x%2 == 1 {
			v = 200
		}
		for y := range 2 {
			rgba.Set(x, y, color.RGBA{v, v, v, 255})
			gray.SetGray(x, y, color.Gray{v})
		}
	}
	ycc := image.NewYCbCr(rgba.Rect, image.YCbCrSubsampleRatio444)
	for i := range ycc.Y {
		ycc.Y[i] = gray.Pix[i]
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	for _, img := range []image.Image{rgba, gray, ycc, image.NewPaletted(rgba.Rect, color.Palette{color.Black, color.Gray{200}})} {
		if p, ok := img.(*image.Paletted); ok {
			for i := range p.Pix {
				p.Pix[i] = uint8(i % 2)
			}
		}
		full := Luma(img, 0)
		if full.W != 4 || full.H != 2 || abs(full.At(1, 0)-200) > 0.5 || full.At(0, 1) != 0 {
			t.Errorf("%T: full size %v", img, full)
		}
		half := Luma(img, 2)
		for _, v := range half.Pix {
			if abs(v-100) > 0.5 {
				t.Errorf("%T: halved %v, want every value 100", img, half.Pix)
			}
		}
	}
}

func TestResize(t *testing.T) {
	t.Parallel()
	p := New(4, 4)
	for i := range p.Pix {
		p.Pix[i] = float32(i % 4 * 10)
	}
	down := p.Resize(2, 2)
	if want := []float32{5, 25, 5, 25}; !equal(down.Pix, want) {
		t.Errorf("down %v, want %v", down.Pix, want)
	}
	up := down.Resize(4, 2)
	if up.At(0, 0) != 5 || up.At(3, 0) != 25 || up.At(1, 0) <= 5 || up.At(1, 0) >= 25 {
		t.Errorf("up %v: want the ends kept and interpolation between", up.Pix)
	}
}

func abs(v float32) float32 { return max(v, -v) }

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if abs(a[i]-b[i]) > 1e-4 {
			return false
		}
	}
	return true
}
