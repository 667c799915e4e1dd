package redact_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/redact"
	"github.com/idv-oss/idv/face"
)

// A pre-2021 Dutch identity card's MRZ: the BSN 999999990 (the specimen's)
// in line 1, positions 16–24.
var nlID = []string{"I<NLDSPECI20142999999990<<<<<8", "6503101F2401151NLD<<<<<<<<<<<8", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"}

var wm = redact.Watermark{Purpose: "identiteitscontrole", Recipient: "Voorbeeld B.V.", Date: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}

// The card as cardimage draws it, at its default 12 pixels per mm.
var pxmm = 12.0

// portrait is the middle of cardimage's portrait on a TD1 card, and a
// radius inside it.
func portrait() (image.Point, int) {
	return image.Pt(int((8+0.2*85.6)*pxmm), int((8+0.32*54)*pxmm)), int(0.1 * 54 * pxmm)
}

// mrzCell is the middle of line i, position j (both from 1) on a TD1 card.
func mrzCell(i, j int) image.Point {
	x := (8 + 5 + (float64(j)-0.5)*2.54) * pxmm
	y := (8 + 54 - 3.5 - float64(3-i)*4.23 - 1.2) * pxmm
	return image.Pt(int(x), int(y))
}

func card(t *testing.T) *image.RGBA {
	t.Helper()
	img, err := cardimage.Render(nlID, cardimage.Options{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func reader(t *testing.T) *ocrb.Reader {
	t.Helper()
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func luma(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
}

// meanLuma is the mean luma of img in a square of radius rad about p.
func meanLuma(img image.Image, p image.Point, rad int) float64 {
	var sum float64
	n := 0
	for y := p.Y - rad; y <= p.Y+rad; y++ {
		for x := p.X - rad; x <= p.X+rad; x++ {
			sum += luma(img.At(x, y))
			n++
		}
	}
	return sum / float64(n)
}

func TestMask(t *testing.T) {
	t.Parallel()
	src := card(t)
	zones := []image.Rectangle{image.Rect(100, 100, 200, 150), image.Rect(-50, -50, 20, 20)}
	out := redact.Mask(src, zones, 5)
	if out.Bounds() != src.Bounds() {
		t.Fatalf("bounds %v, want %v", out.Bounds(), src.Bounds())
	}
	inside := func(x, y int) bool {
		for _, z := range zones {
			if image.Pt(x, y).In(z.Inset(-5)) {
				return true
			}
		}
		return false
	}
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			got, was := out.RGBAAt(x, y), src.RGBAAt(x, y)
			if inside(x, y) && got != (color.RGBA{A: 255}) {
				t.Fatalf("(%d, %d) in a zone is %v, want black", x, y, got)
			}
			if !inside(x, y) && got != was {
				t.Fatalf("(%d, %d) outside the zones changed from %v to %v", x, y, was, got)
			}
		}
	}
	if src.RGBAAt(150, 120) == (color.RGBA{A: 255}) {
		t.Fatal("Mask changed its input")
	}
}

// TestStamp: the watermark reaches every part of the picture, black or
// pale, and changes only a minority of its pixels.
func TestStamp(t *testing.T) {
	t.Parallel()
	for name, bg := range map[string]color.RGBA{"black": {A: 255}, "pale": {230, 225, 215, 255}} {
		img := image.NewRGBA(image.Rect(0, 0, 1200, 800))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = bg.R, bg.G, bg.B, bg.A
		}
		if err := redact.Stamp(img, wm.Text()); err != nil {
			t.Fatal(err)
		}
		// Every 200×200 square holds some of the watermark.
		changed, total := 0, 0
		for ty := 0; ty < 800; ty += 200 {
			for tx := 0; tx < 1200; tx += 200 {
				n := 0
				for y := ty; y < ty+200; y++ {
					for x := tx; x < tx+200; x++ {
						if img.RGBAAt(x, y) != bg {
							n++
						}
					}
				}
				if n < 200 {
					t.Errorf("%s: square at (%d, %d) has %d watermarked pixels", name, tx, ty, n)
				}
				changed += n
				total += 200 * 200
			}
		}
		if f := float64(changed) / float64(total); f < 0.03 || f > 0.4 {
			t.Errorf("%s: watermark covers %.0f %% of the picture", name, 100*f)
		}
	}
}

func TestWatermarkText(t *testing.T) {
	t.Parallel()
	if got, want := wm.Text(), "KOPIE — identiteitscontrole — Voorbeeld B.V. — 2026-11-25"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

// TestCopy: on a Dutch ID card read by the MRZ reader, without a face
// detector, the copy decodes, its portrait and BSN are black, and the
// rest of the MRZ still reads.
func TestCopy(t *testing.T) {
	t.Parallel()
	src, r := card(t), reader(t)
	for _, deg := range []float64{0, 2, 180} {
		img := image.Image(src)
		if deg != 0 {
			img = cardimage.Rotate(src, deg)
		}
		z := redact.Finder{Reader: r}.Find(img)
		if !z.PortraitByRule || z.MRZByRule || len(z.Numbers) != 2 {
			t.Fatalf("%v°: zones %+v, want the portrait by rule and the MRZ's number cells", deg, z)
		}
		jpg, err := redact.Copy(img, z.All(), wm)
		if err != nil {
			t.Fatal(err)
		}
		out, err := jpeg.Decode(bytes.NewReader(jpg))
		if err != nil {
			t.Fatalf("%v°: copy does not decode: %v", deg, err)
		}
		if out.Bounds().Size() != img.Bounds().Size() {
			t.Fatalf("%v°: copy is %v, photo %v", deg, out.Bounds(), img.Bounds())
		}
		// Where a point of the upright card went in the photo.
		at := func(p image.Point) image.Point {
			if deg == 180 {
				b := img.Bounds()
				return image.Pt(b.Dx()-1-p.X, b.Dy()-1-p.Y)
			}
			return p
		}
		c, rad := portrait()
		if l := meanLuma(out, at(c), rad); l > 60 {
			t.Errorf("%v°: portrait's mean luma %.0f, want it blacked out", deg, l)
		}
		for _, j := range []int{16, 20, 24, 30} {
			if l := meanLuma(out, at(mrzCell(1, j)), 8); l > 60 {
				t.Errorf("%v°: line 1 position %d has mean luma %.0f, want it blacked out", deg, j, l)
			}
		}
		// The rest is there: the card's colour on the right, between the
		// VIZ zone of the layout (to 28 mm from the top) and the MRZ, the
		// MRZ's first characters readable.
		right := at(image.Pt(int((8+80)*pxmm), int((8+34)*pxmm)))
		if a, b := meanLuma(out, right, 20), meanLuma(img, right, 20); a < b-40 {
			t.Errorf("%v°: right of the card darkened from %.0f to %.0f", deg, b, a)
		}
		// The MRZ's first characters are still there (masking line 1
		// from position 16 on leaves too short a line for the reader
		// to take the rest for an MRZ, so compare pixels).
		for _, j := range []int{1, 5, 10, 14} {
			p := at(mrzCell(1, j))
			if d := meanAbsDiff(out, img, p, 14); d > 30 {
				t.Errorf("%v°: line 1 position %d changed by %.0f levels on average", deg, j, d)
			}
		}
	}
}

// meanAbsDiff is the mean absolute difference in luma between a and b in
// a square of radius rad about p.
func meanAbsDiff(a, b image.Image, p image.Point, rad int) float64 {
	var sum float64
	n := 0
	for y := p.Y - rad; y <= p.Y+rad; y++ {
		for x := p.X - rad; x <= p.X+rad; x++ {
			d := luma(a.At(x, y)) - luma(b.At(x, y))
			sum += max(d, -d)
			n++
		}
	}
	return sum / float64(n)
}

type faces struct {
	boxes []face.Box
	err   error
}

func (f faces) Detect(image.Image) ([]face.Face, error) {
	var out []face.Face
	for _, b := range f.boxes {
		out = append(out, face.Face{Box: b, Score: 0.9})
	}
	return out, f.err
}

// TestFindPortrait: detected faces are masked, grown; without a detector,
// or when it fails or finds nothing, the layout rule covers the portrait.
func TestFindPortrait(t *testing.T) {
	t.Parallel()
	img, r := card(t), reader(t)
	c, rad := portrait()
	box := face.Box{X1: float64(c.X - 50), Y1: float64(c.Y - 60), X2: float64(c.X + 50), Y2: float64(c.Y + 60)}
	z := redact.Finder{Faces: faces{boxes: []face.Box{box}}, Reader: r}.Find(img)
	if z.PortraitByRule || len(z.Portraits) != 1 || z.Portraits[0] != image.Rect(c.X-100, c.Y-120, c.X+100, c.Y+120) {
		t.Errorf("with a face: %+v", z)
	}
	for name, f := range map[string]redact.Finder{
		"no detector":     {Reader: r},
		"detector fails":  {Faces: faces{err: errors.New("engine gone")}, Reader: r},
		"nothing found":   {Faces: faces{}, Reader: r},
		"nothing, no MRZ": {Faces: faces{}},
	} {
		z := f.Find(img)
		if !z.PortraitByRule || len(z.Portraits) != 1 {
			t.Fatalf("%s: %+v, want the portrait by rule", name, z)
		}
		p := z.Portraits[0]
		if !image.Rect(c.X-rad, c.Y-rad, c.X+rad, c.Y+rad).In(p) {
			t.Errorf("%s: portrait zone %v misses the portrait about %v", name, p, c)
		}
		if f.Reader != nil && p.Dx() > img.Bounds().Dx()/2 {
			t.Errorf("%s: portrait zone %v wider than half the photo", name, p)
		}
	}
}

// TestFindNoMRZ: when no MRZ is read, the band where it would be is masked
// whole, and so is the VIZ (the whole photo) unless the layout says this
// side prints no number (not so for a Dutch card of before 2014).
func TestFindNoMRZ(t *testing.T) {
	t.Parallel()
	img := card(t)
	z := redact.Finder{}.Find(img)
	if !z.MRZByRule || len(z.Numbers) != 1 {
		t.Fatalf("zones %+v, want the MRZ band by rule", z)
	}
	for _, p := range []image.Point{mrzCell(1, 1), mrzCell(1, 30), mrzCell(3, 1), mrzCell(3, 30)} {
		if !p.In(z.Numbers[0]) {
			t.Errorf("MRZ band %v misses %v", z.Numbers[0], p)
		}
	}
	// Nothing locates the document, and no layout is known: the whole
	// photo is the VIZ to mask.
	if !z.VIZByRule || len(z.VIZ) != 1 || z.VIZ[0] != img.Bounds() {
		t.Errorf("VIZ zones %v (fallback %v), want the whole photo", z.VIZ, z.VIZByRule)
	}
	// A side without the MRZ of a design that prints no number there (the
	// 2014–2021 Dutch card's front) needs no VIZ mask.
	kind, _ := redact.KindOf(nlID)
	if z := (redact.Finder{Kind: &kind}).Find(img); z.VIZByRule || len(z.VIZ) != 0 || z.Layout == "" {
		t.Errorf("the Dutch card's front: VIZ zones %v (fallback %v, layout %q), want none", z.VIZ, z.VIZByRule, z.Layout)
	}
	// The card of before 2014 printed the BSN on its front: the whole
	// photo.
	old, _ := redact.KindOf([]string{"I<NLDSPECI20122999999990<<<<<8", "6503101F1702068NLD<<<<<<<<<<<8", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"})
	if z := (redact.Finder{Kind: &old}).Find(img); !z.VIZByRule || len(z.VIZ) != 1 || z.VIZ[0] != img.Bounds() {
		t.Errorf("a Dutch card of before 2014, front: VIZ zones %v (fallback %v, layout %q), want the whole photo", z.VIZ, z.VIZByRule, z.Layout)
	}
}

// TestCopyPassport: on a passport data page (TD3) the personal number,
// line 2 positions 29–43, and the portrait by rule are blacked out; the
// rest of line 2 is kept.
func TestCopyPassport(t *testing.T) {
	t.Parallel()
	lines := []string{
		"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<",
		"SPECI20142NLD6503101F2401151999999990<<<<<82",
	}
	img, err := cardimage.Render(lines, cardimage.Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	z := redact.Finder{Reader: reader(t)}.Find(img)
	if z.MRZByRule || len(z.Numbers) != 1 || !z.PortraitByRule {
		t.Fatalf("zones %+v, want line 2's number cells and the portrait by rule", z)
	}
	out := copyDecoded(t, img, z)
	// cardimage's TD3 page: 125 × 88 mm; line 2's baseline 3.5 mm above
	// the bottom.
	cell := func(j int) image.Point {
		return image.Pt(int((8+5+(float64(j)-0.5)*2.54)*pxmm), int((8+88-3.5-1.2)*pxmm))
	}
	for _, j := range []int{29, 33, 37, 42} {
		if l := meanLuma(out, cell(j), 8); l > 60 {
			t.Errorf("line 2 position %d has mean luma %.0f, want it blacked out", j, l)
		}
	}
	for _, j := range []int{1, 10, 20, 27} {
		if d := meanAbsDiff(out, img, cell(j), 14); d > 30 {
			t.Errorf("line 2 position %d changed by %.0f levels on average", j, d)
		}
	}
	face := image.Pt(int((8+0.2*125)*pxmm), int((8+0.32*88)*pxmm))
	if l := meanLuma(out, face, int(0.1*88*pxmm)); l > 60 {
		t.Errorf("portrait's mean luma %.0f, want it blacked out", l)
	}
}

// copyDecoded makes the copy of img with zones z and decodes it.
func copyDecoded(t *testing.T, img image.Image, z redact.Zones) image.Image {
	t.Helper()
	jpg, err := redact.Copy(img, z.All(), wm)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatalf("copy does not decode: %v", err)
	}
	return out
}

// BenchmarkCopy: finding the zones (MRZ read, document located, layout
// chosen; no face detector) and making the copy: of a rendered ID card of
// about 1 megapixel, and of a photographed 2014–2021 Dutch passport data
// page (1692 × 1248, perspective and noise) with its BSN in the VIZ.
func BenchmarkCopy(b *testing.B) {
	r, err := ocrb.NewReader()
	if err != nil {
		b.Fatal(err)
	}
	card, err := cardimage.Render(nlID, cardimage.Options{Seed: 11})
	if err != nil {
		b.Fatal(err)
	}
	p := pages(1)[0]
	passport := render(b, p, 1, true)
	for _, bc := range []struct {
		name string
		img  image.Image
	}{{"id card", card}, {"photographed passport", passport}} {
		b.Run(bc.name, func(b *testing.B) {
			var kind *redact.Kind
			if bc.name != "id card" {
				k, _ := redact.KindOf(p.lines)
				kind = &k
			}
			for b.Loop() {
				z := redact.Finder{Reader: r, Kind: kind}.Find(bc.img)
				if _, err := redact.Copy(bc.img, z.All(), wm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFindWithRead: an MRZ read beforehand gives the zones the reader
// would have found, without a reader.
func TestFindWithRead(t *testing.T) {
	t.Parallel()
	img, r := card(t), reader(t)
	res, err := r.Read(img)
	if err != nil {
		t.Fatal(err)
	}
	got, want := redact.Finder{Read: res}.Find(img), redact.Finder{Reader: r}.Find(img)
	if !slices.Equal(got.All(), want.All()) || got.Layout != want.Layout || got.Layout == "" {
		t.Errorf("with the read MRZ %+v, with the reader %+v", got, want)
	}
}
