package quality_test

import (
	"image"
	"slices"
	"testing"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/face/synth"
)

var td1 = []string{
	"I<UTOD231458907<<<<<<<<<<<<<<<",
	"7408122F1204159UTO<<<<<<<<<<<6",
	"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
}

func card(t testing.TB, seed uint64) image.Image {
	t.Helper()
	img, err := cardimage.Render(td1, cardimage.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// must returns a function failing t on an error, else passing the image.
func must(t testing.TB) func(image.Image, error) image.Image {
	return func(img image.Image, err error) image.Image {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{0, 1, 2} {
		clean := card(t, seed)
		tests := []struct {
			name string
			img  image.Image
			want []string
		}{
			{"clean", clean, nil},
			{"jpeg", must(t)(synth.JPEG(clean, 85)), nil},
			{"slightly blurred", cardimage.Blur(clean, 1), nil},
			{"rotated", cardimage.Rotate(clean, 3), nil},
			{"enlarged", cardimage.Scale(clean, 2.5), nil},
			{"half resolution", cardimage.Scale(clean, 0.5), []string{quality.ReasonLowResolution}},
			{"blurred", cardimage.Blur(clean, 3), []string{quality.ReasonBlurry}},
			{"glare", cardimage.Glare(clean, 0.6, 0.4, 0.08), []string{quality.ReasonGlare}},
			{"greyscale copy", cardimage.Grey(clean), []string{quality.ReasonGreyscaleCopy}},
			{"cut off right", cardimage.Crop(clean, 0, 0, 0.7, 1), []string{quality.ReasonLowResolution, quality.ReasonNotInFrame}},
			{"cut off left", cardimage.Crop(clean, 0.3, 0, 1, 1), []string{quality.ReasonLowResolution, quality.ReasonNotInFrame}},
			// Along the text: few edges cross the border, but the
			// card's own edge is missing on that side.
			{"cut off bottom", cardimage.Crop(clean, 0, 0, 1, 0.8), []string{quality.ReasonNotInFrame}},
			{"cut off top", cardimage.Crop(clean, 0, 0.2, 1, 1), []string{quality.ReasonNotInFrame}},
			{"rotated, blurred", cardimage.Blur(cardimage.Rotate(clean, -3), 1), nil},
		}
		for _, tt := range tests {
			got, m := quality.Check(tt.img, quality.Config{})
			if !slices.Equal(got, tt.want) {
				t.Errorf("seed %d, %s: reasons %v, want %v (measures %+v)", seed, tt.name, got, tt.want, m)
			}
		}
	}
}

// TestConfig: each threshold moves its gate, and a negative one turns it
// off.
func TestConfig(t *testing.T) {
	t.Parallel()
	clean := card(t, 0)
	_, m := quality.Check(clean, quality.Config{})
	tests := []struct {
		name string
		img  image.Image
		cfg  quality.Config
		want []string
	}{
		{"resolution raised", clean, quality.Config{MinLongSide: 2000}, []string{quality.ReasonLowResolution}},
		{"resolution off", cardimage.Scale(clean, 0.5), quality.Config{MinLongSide: -1}, nil},
		{"focus raised above the measure", clean, quality.Config{MinFocus: m.Focus + 1}, []string{quality.ReasonBlurry}},
		{"focus off", cardimage.Blur(clean, 3), quality.Config{MinFocus: -1}, nil},
		{"glare tolerated", cardimage.Glare(clean, 0.6, 0.4, 0.08), quality.Config{MaxGlare: 0.05}, nil},
		{"glare blob larger than the spot", cardimage.Glare(clean, 0.6, 0.4, 0.08), quality.Config{MinGlareBlob: 0.2}, nil},
		{"colour demanded", clean, quality.Config{MinColourfulness: m.Colourfulness + 1}, []string{quality.ReasonGreyscaleCopy}},
		{"greyscale off", cardimage.Grey(clean), quality.Config{MinColourfulness: -1}, nil},
		{"frame off", cardimage.Crop(clean, 0.3, 0, 1, 1), quality.Config{MinLongSide: -1, MaxBorderEdges: -1}, nil},
		{"short card edge accepted", cardimage.Crop(clean, 0, 0, 1, 0.8), quality.Config{MinCardEdge: 0.2}, nil},
		{"crossing content tolerated", cardimage.Crop(clean, 0, 0, 1, 0.8), quality.Config{MinCutEdges: 0.03}, nil},
	}
	for _, tt := range tests {
		if got, m := quality.Check(tt.img, tt.cfg); !slices.Equal(got, tt.want) {
			t.Errorf("%s: reasons %v, want %v (measures %+v)", tt.name, got, tt.want, m)
		}
	}
}

// TestPhotos runs the gates on the lawful Debian photos
// (scripts/test-images.sh): sharp colour portraits, 512 pixels wide, that
// fill their frame.
func TestPhotos(t *testing.T) {
	t.Parallel()
	for name, img := range cardimage.DebianPhotos(t) {
		// Resolution is off: both are smaller than a document photo.
		cfg := quality.Config{MinLongSide: -1, MaxBorderEdges: -1}
		if got, m := quality.Check(img, cfg); got != nil {
			t.Errorf("%s: reasons %v, want none (measures %+v)", name, got, m)
		}
		for _, tt := range []struct {
			how  string
			img  image.Image
			want string
		}{
			{"greyscale", cardimage.Grey(img), quality.ReasonGreyscaleCopy},
			{"blurred", cardimage.Blur(img, 3), quality.ReasonBlurry},
			{"glare", cardimage.Glare(img, 0.5, 0.5, 0.1), quality.ReasonGlare},
		} {
			if got, m := quality.Check(tt.img, cfg); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("%s %s: reasons %v, want [%s] (measures %+v)", name, tt.how, got, tt.want, m)
			}
		}
		if got, _ := quality.Check(img, quality.Config{}); !slices.Contains(got, quality.ReasonLowResolution) {
			t.Errorf("%s: reasons %v, want %s", name, got, quality.ReasonLowResolution)
		}
	}
}

// FuzzCheck: the gates never panic, whatever the pixels and the size,
// degenerate images included.
func FuzzCheck(f *testing.F) {
	f.Add(uint8(1), uint8(1), []byte{0, 0, 0})
	f.Add(uint8(0), uint8(5), []byte{})
	f.Add(uint8(12), uint8(9), []byte{255, 255, 255, 250, 251, 252, 0, 10})
	f.Fuzz(func(t *testing.T, w, h uint8, pix []byte) {
		img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
		for i := range img.Pix {
			if len(pix) > 0 {
				img.Pix[i] = pix[i%len(pix)]
			}
		}
		quality.Check(img, quality.Config{})
		gray := image.NewGray(image.Rect(3, 7, 3+int(w), 7+int(h)))
		copy(gray.Pix, pix)
		quality.Check(gray, quality.Config{AnalysisWidth: 4})
	})
}

func BenchmarkCheck(b *testing.B) {
	img := must(b)(synth.JPEG(cardimage.Scale(card(b, 0), 3), 90)) // 3657×2520, a 9-megapixel JPEG
	b.ResetTimer()
	for b.Loop() {
		quality.Check(img, quality.Config{})
	}
}
