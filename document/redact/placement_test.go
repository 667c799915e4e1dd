package redact_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/redact"
)

// design is one way Dutch documents print the BSN, as the issuer and
// municipalities describe it (RvIG "Waar vind ik mijn
// burgerservicenummer?"; the Rijksoverheid and municipal pages say the
// same): the side photographed, whether it bears the MRZ, and the range,
// in mm from the document's top left corner, where the printed number's
// block (caption above, number below) may sit. The ranges come from
// those descriptions and the document's size, never from the zones of
// redact.Layouts: the test asks whether the zones cover where documents
// print the number, not whether a number placed inside them is covered.
type design struct {
	name  string
	lines []string // the MRZ the app sends; printed unless noMRZ
	noMRZ bool     // the photographed side bears no MRZ
	// The block's left edge: from x0 to x1 mm (rightAt > 0: instead its
	// right edge from rightAt−x1 to rightAt−x0, for a number printed at the
	// right); its caption's top from y0 to y1 mm.
	x0, x1, y0, y1 float64
	rightAt        float64
}

// designs are the places the BSN is printed on Dutch documents:
//
//   - identity card 2014–2021 (BSN in the MRZ): on the back, which bears
//     the MRZ, at the top right ("persoonsnummer");
//   - identity card from August 2021 (no BSN in the MRZ): on the back, at
//     the top (the range takes in the whole width), and in a QR code;
//   - passport 2014–2021 (BSN in the MRZ) and from August 2021 (not in the
//     MRZ): on the back of the data page, which bears no MRZ (the range is
//     the whole page);
//   - identity card before 2014: on the front, beside the portrait; the
//     MRZ, with the BSN, is on the back;
//   - passport before 2014: on the front of the data page, among the
//     fields right of the portrait, above the MRZ.
//
// Documents of before 2014 were valid for five years and have all expired
// (the 2014 designs came on 9 March 2014), but the document check makes
// a copy of an expired document too: it declines it, and the copy is
// still stored for the tenant.
func designs() []design {
	td1BSN := []string{cardLine1("SPECI2014", "999999990"), "6503101F3111257NLD<<<<<<<<<<<4", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"}
	td1 := []string{cardLine1("SPECI2014", ""), "6503101F3111257NLD<<<<<<<<<<<4", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"}
	td1Old := []string{cardLine1("SPECI2012", "999999990"), "6503101F1702068NLD<<<<<<<<<<<8", "DE<BRUIJN<<WILLEKE<LISELOTTE<<"}
	td3BSN := []string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", passportLine2("SPECI2014", "999999990")}
	td3 := []string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", passportLine2("SPECI2014", "")}
	td3Old := []string{"P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<", passportLine2Expiring("SPECI2012", "999999990", "170206")}
	return []design{
		// The card is 85.6 × 54 mm; its MRZ's top about 39 mm down.
		{name: "NLD identity card 2014–2021, back", lines: td1BSN, x0: 2.5, x1: 15, rightAt: 85.6, y0: 2.5, y1: 12},
		{name: "NLD identity card 2021, back", lines: td1, x0: 2.5, x1: 50, y0: 2.5, y1: 12},
		// The data page is 125 × 88 mm.
		{name: "NLD passport 2014–2021, back of the data page", lines: td3BSN, noMRZ: true, x0: 5, x1: 85, y0: 5, y1: 70},
		{name: "NLD passport 2021, back of the data page", lines: td3, noMRZ: true, x0: 5, x1: 85, y0: 5, y1: 70},
		// Right of the portrait, which ends 28 mm from the left edge.
		{name: "NLD identity card before 2014, front", lines: td1Old, noMRZ: true, x0: 29, x1: 55, y0: 4, y1: 42},
		// Right of the portrait (to 42 mm), below the header, above the
		// MRZ (from 76 mm).
		{name: "NLD passport before 2014, data page", lines: td3Old, x0: 44, x1: 95, y0: 10, y1: 66},
	}
}

// placement is one page: the design, where and how large its BSN is
// printed, and how the photo of it was taken.
type placement struct {
	design
	seed            uint64
	caption         string
	x, y            float64 // the block's top left, mm
	capPitch, pitch float64 // mm per character: caption, number
	gap             float64 // mm from the caption's foot to the number's top
	pxmm            float64 // photo resolution on the document
	tilt, deg       float64 // perspective (Perspective's tilt), turn in degrees
	turned          bool    // upside down besides
}

// place draws page i's placement: the design in turn, the rest from a
// generator seeded by i. The number's size is 1.5–2.5 mm a character
// (OCR-B's capitals are as high as its pitch), the caption's 1.1–1.6 mm;
// the photo is taken at 10–14 pixels per mm, turned up to 4° either way
// (one in four upside down besides), with the perspective of a camera up
// to 3.5 % of the picture off square (Perspective), its JPEG at quality
// 90.
func place(i int) placement {
	ds := designs()
	rng := rand.New(rand.NewPCG(uint64(i), 19))
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	p := placement{design: ds[i%len(ds)], seed: uint64(i + 1)}
	p.caption = []string{"PERSOONSNUMMER", "PERSOONSNUMMER / PERSONAL NO."}[rng.IntN(2)]
	p.capPitch, p.pitch, p.gap = u(1.1, 1.6), u(1.5, 2.5), u(0.5, 1.5)
	w, _ := cardimage.Size(len(p.lines[0]))
	width := max(float64(len(p.caption))*p.capPitch, 9*p.pitch)
	if p.rightAt > 0 {
		p.x = p.rightAt - u(p.x0, p.x1) - width
	} else {
		p.x = u(p.x0, p.x1)
	}
	p.x = max(2.5, min(p.x, w-2.5-width)) // on the document
	p.y = u(p.y0, p.y1)
	p.pxmm, p.tilt, p.deg = u(10, 14), u(0.005, 0.035), u(-4, 4)
	p.turned = rng.IntN(4) == 0
	return p
}

// photo renders the page, with its BSN or without it (the same document
// and photo otherwise), photographed as p says and recompressed as a
// phone does (JPEG, quality 90).
func (p placement) photo(t testing.TB, withBSN bool) image.Image {
	t.Helper()
	w, h := cardimage.Size(len(p.lines[0]))
	fields := []cardimage.Field{}
	if withBSN {
		fields = append(fields,
			cardimage.Field{X: p.x / w, Y: p.y / h, Pitch: p.capPitch, Text: p.caption},
			cardimage.Field{X: p.x / w, Y: (p.y + p.capPitch + p.gap) / h, Pitch: p.pitch, Text: "999999990"})
	}
	img, err := cardimage.Render(p.lines, cardimage.Options{Seed: p.seed, PxPerMM: p.pxmm, Fields: fields, NoMRZ: p.noMRZ})
	if err != nil {
		t.Fatal(err)
	}
	deg := p.deg
	if p.turned {
		deg += 180
	}
	photo := cardimage.Noise(cardimage.Rotate(cardimage.Perspective(img, p.tilt, p.seed), deg), 2.5, p.seed)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photo, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCopyMasksBSNWherePrinted: over pages of the Dutch designs, each
// with its BSN printed where that design prints it (designs), at a place,
// size and in a photo drawn at random within the design's range, every
// pixel of the BSN's ink (caption and number) ends black in the copy. A
// page with any ink left fails: one readable BSN in a stored copy is a
// breach of art. 46 UAVG, so there is no threshold to pass.
//
// Ink is where the photo with the BSN differs from the same photo
// without it by more than 60 levels of luma; ink left, inkLeft.
// IDV_REDACT_PAGES sets how many pages run (default 12, two of each
// design); each page's figure and the totals are logged:
// `IDV_REDACT_PAGES=60 go test -run TestCopyMasksBSNWherePrinted -v ./document/redact`.
func TestCopyMasksBSNWherePrinted(t *testing.T) {
	t.Parallel()
	r := reader(t)
	n := 2 * len(designs())
	if v := os.Getenv("IDV_REDACT_PAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("IDV_REDACT_PAGES=%q: want a whole number ≥ 1", v)
		}
	}
	type figure struct {
		name      string
		ink, left int
	}
	var (
		mu      sync.Mutex
		figures []figure
	)
	t.Run("pages", func(t *testing.T) {
		for i := range n {
			p := place(i)
			t.Run(fmt.Sprintf("%d %s", i, p.name), func(t *testing.T) {
				t.Parallel()
				with, without := p.photo(t, true), p.photo(t, false)
				ink := inkOf(with, without)
				if len(ink) < 100 {
					t.Fatalf("only %d pixels of BSN ink", len(ink))
				}
				kind, _ := redact.KindOf(p.lines)
				z := redact.Finder{Reader: r, Kind: &kind}.Find(with)
				left := inkLeft(t, with, without, z, ink)
				mu.Lock()
				figures = append(figures, figure{p.name, len(ink), left})
				mu.Unlock()
				how := fmt.Sprintf("at (%.1f, %.1f) mm, number %.1f mm, %.1f px/mm, tilt %.3f, %.1f°, upside down %v; MRZ read %v, layout %q, fallback %v",
					p.x, p.y, p.pitch, p.pxmm, p.tilt, p.deg, p.turned, !z.MRZByRule, z.Layout, z.VIZByRule)
				if left > 0 {
					t.Errorf("%d of %d pixels of BSN ink left (%.1f %%), %s", left, len(ink), 100*float64(left)/float64(len(ink)), how)
				} else {
					t.Logf("all %d pixels of BSN ink black, %s", len(ink), how)
				}
			})
		}
	})
	// The totals, over all pages and per design.
	for _, name := range append([]string{"all designs"}, designNames()...) {
		pages, full, worst := 0, 0, 0.0
		for _, f := range figures {
			if name == "all designs" || f.name == name {
				pages++
				if f.left == 0 {
					full++
				}
				worst = max(worst, float64(f.left)/float64(f.ink))
			}
		}
		if pages > 0 {
			t.Logf("%s: %d pages, BSN fully masked on %d, ink left on %d; worst page: %.1f %% of the ink left",
				name, pages, full, pages-full, 100*worst)
		}
	}
}

func designNames() []string {
	var out []string
	for _, d := range designs() {
		out = append(out, d.name)
	}
	return out
}

// inkLeft counts the points of ink that still show in the copy of with:
// where, the zones z masked on both, the copy of with is more than 40
// levels of luma darker than the copy of without. Masked, both are black
// under the same watermark; ink as dark as the mask (the BSN's is) is
// told apart from it only by the copy without it.
func inkLeft(t *testing.T, with, without image.Image, z redact.Zones, ink []image.Point) int {
	t.Helper()
	a, b := copyDecoded(t, with, z), copyDecoded(t, without, z)
	n := 0
	for _, q := range ink {
		if luma(b.At(q.X, q.Y))-luma(a.At(q.X, q.Y)) > 40 {
			n++
		}
	}
	return n
}
