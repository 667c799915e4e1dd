package framecheck_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/framecheck"
	"github.com/idv-oss/idv/document/framecheck/framechecktest"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
	"github.com/idv-oss/idv/imagegate"
)

func checker(tb testing.TB) *framecheck.Checker {
	tb.Helper()
	r, err := ocrb.NewReader()
	if err != nil {
		tb.Fatal(err)
	}
	return framecheck.New(r, framecheck.Config{Gates: true})
}

// TestCheck: every vector gets its verdict, the same from the frame as
// from the photo it was made from and from the JPEG the page uploads of
// it (quality 0.92, which the server decodes and checks); the MRZ the
// photo gives is the one printed, when it gives one; and the page's
// answer names nothing printed on the card.
func TestCheck(t *testing.T) {
	t.Parallel()
	c := checker(t)
	for _, v := range framechecktest.Vectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			got := c.Check(framechecktest.Day, v.Frame)
			if !slices.Equal(got.Reasons, v.Reasons) || got.MRZ != v.MRZ {
				t.Errorf("reasons %q, MRZ %+v; want %q, %+v", got.Reasons, got.MRZ, v.Reasons, v.MRZ)
			}
			if got.Passed != (len(v.Reasons) == 0) || got.MRZ.Read != (got.Read != nil) || len(got.Measures) != 1 {
				t.Errorf("passed %v, read %v, %d measures; want %v, %v, 1", got.Passed, got.Read != nil, len(got.Measures),
					len(v.Reasons) == 0, got.MRZ.Read)
			}
			if got.MRZ.Parsed != (got.Document != nil) || got.MRZ.Parsed && strings.Join(strings.Fields(got.Text), "\n") != strings.Join(strings.Fields(v.Printed), "\n") {
				t.Errorf("parsed %v: document %v, text %q; want the printed MRZ", got.MRZ.Parsed, got.Document != nil, got.Text)
			}
			if src := c.Check(framechecktest.Day, v.Source); !reflect.DeepEqual(src, got) {
				t.Errorf("the photo gave %+v, its frame %+v", src, got)
			}
			if up := c.Check(framechecktest.Day, uploaded(t, v.Frame)); !slices.Equal(up.Reasons, got.Reasons) || up.MRZ != got.MRZ {
				t.Errorf("the uploaded JPEG gave %q, %+v; the frame %q, %+v", up.Reasons, up.MRZ, got.Reasons, got.MRZ)
			}
			framechecktest.AssertNothingPrinted(t, got.Value(), v.Printed)
		})
	}
}

// TestCheckPhotos: the rule over the photos of one document, as the server
// gives them (the back, then the front): every photo gated, none read
// after a failed gate, the first that shows an MRZ read; with the gates
// off nothing is gated (a photo they refuse is read), and without a
// reader nothing is read.
func TestCheckPhotos(t *testing.T) {
	t.Parallel()
	reader, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	sharp := framechecktest.Sharp(t)
	blurred := cardimage.Blur(sharp, 3)
	plain := image.NewRGBA(sharp.Bounds()) // a blank card: nothing to read
	draw.Draw(plain, plain.Bounds(), image.NewUniform(color.RGBA{200, 190, 170, 255}), image.Point{}, draw.Src)
	gated, ungated := framecheck.Config{Gates: true}, framecheck.Config{}
	parsed := framecheck.MRZ{Read: true, Trusted: true, Parsed: true}
	for _, tc := range []struct {
		name     string
		reader   *ocrb.Reader
		cfg      framecheck.Config
		photos   []image.Image
		reasons  []string
		measures int
		passed   bool
		mrz      framecheck.MRZ
		from     int
	}{
		{"no photo", reader, gated, nil, nil, 0, false, framecheck.MRZ{}, 0},
		{"one sharp photo", reader, gated, []image.Image{sharp}, nil, 1, true, parsed, 0},
		{"a failed gate on either photo: neither read", reader, gated, []image.Image{blurred, sharp},
			[]string{quality.ReasonBlurry}, 2, false, framecheck.MRZ{}, 0},
		{"every photo gated", reader, gated, []image.Image{blurred, blurred},
			[]string{quality.ReasonBlurry, quality.ReasonBlurry}, 2, false, framecheck.MRZ{}, 0},
		{"gates off: the first photo that shows an MRZ read", reader, ungated, []image.Image{plain, sharp}, nil, 0, true, parsed, 1},
		{"gates off: the blurred photo read", reader, ungated, []image.Image{blurred}, nil, 0, true, parsed, 0},
		{"no reader: gated, not read", nil, gated, []image.Image{sharp}, nil, 1, true, framecheck.MRZ{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := framecheck.New(tc.reader, tc.cfg).Check(framechecktest.Day, tc.photos...)
			if !slices.Equal(got.Reasons, tc.reasons) || len(got.Measures) != tc.measures || got.Passed != tc.passed {
				t.Errorf("reasons %q, %d measures, passed %v; want %q, %d, %v", got.Reasons, len(got.Measures), got.Passed,
					tc.reasons, tc.measures, tc.passed)
			}
			if got.MRZ != tc.mrz || (got.Read != nil) != tc.mrz.Read || got.From != tc.from || (got.Document != nil) != tc.mrz.Parsed {
				t.Errorf("MRZ %+v, read %v from photo %d, document %v; want %+v from photo %d",
					got.MRZ, got.Read != nil, got.From, got.Document != nil, tc.mrz, tc.from)
			}
			if !tc.mrz.Parsed && got.Text != "" {
				t.Errorf("no MRZ, but text of %d bytes", len(got.Text))
			}
		})
	}
}

// uploaded is the frame as the server gets it from the page: a JPEG of
// quality 0.92 (web/src/main.js), decoded; Go's encoder stands in for the
// browser's.
func uploaded(t *testing.T, frame image.Image) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, frame, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestValue: the page's answer, the first photo's measures in it; the
// reading and its text stay out.
func TestValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		res  framecheck.Result
		want string
	}{
		{"passed and read", framecheck.Result{
			Measures: []quality.Measures{{Width: 1280, Height: 720, Focus: 812.5, Glare: 0.001, Colourfulness: 15.25, BorderEdges: 0.01, CardEdge: 0.7}},
			Passed:   true,
			MRZ:      framecheck.MRZ{Read: true, Trusted: true, Parsed: true},
			Read:     &ocrb.Result{Lines: []ocrb.Line{{{Char: 'I'}, {Char: 'D'}}}},
			Text:     "ID",
		}, `{"measures":{"borderEdges":0.01,"cardEdge":0.7,"colourfulness":15.25,"focus":812.5,"glare":0.001,"height":720,"width":1280},` +
			`"mrz":{"parsed":true,"read":true,"trusted":true},"reasons":[]}`},
		{"refused", framecheck.Result{Reasons: []string{quality.ReasonBlurry, quality.ReasonGlare}},
			`{"measures":{"borderEdges":0,"cardEdge":0,"colourfulness":0,"focus":0,"glare":0,"height":0,"width":0},` +
				`"mrz":{"parsed":false,"read":false,"trusted":false},"reasons":["image_blurry","image_glare"]}`},
	} {
		b, err := json.Marshal(tc.res.Value())
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("%s: %s\nwant %s", tc.name, b, tc.want)
		}
	}
}

func TestNewFrame(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		w, h int
		ok   bool
	}{
		{1280, 720, true},
		{1, 1, true},
		{0, 720, false},
		{1280, 0, false},
		{-1280, -720, false},
		{framecheck.MaxPixels + 1, 1, false},
		{1 << 30, 1 << 30, false}, // the product overflows 32 bits
	} {
		f, err := framecheck.NewFrame(tc.w, tc.h)
		if (err == nil) != tc.ok {
			t.Errorf("NewFrame(%d, %d): %v, want ok %v", tc.w, tc.h, err, tc.ok)
			continue
		}
		if tc.ok && (f.Bounds().Dx() != tc.w || f.Bounds().Dy() != tc.h || len(f.Pix) != 4*tc.w*tc.h) {
			t.Errorf("NewFrame(%d, %d): %v with %d bytes", tc.w, tc.h, f.Bounds(), len(f.Pix))
		}
	}
}

// The page refuses no frame the server would decode.
func TestMaxPixelsIsTheServers(t *testing.T) {
	if framecheck.MaxPixels != imagegate.DefaultMaxPixels {
		t.Errorf("MaxPixels %d, the server's imagegate.DefaultMaxPixels %d", framecheck.MaxPixels, imagegate.DefaultMaxPixels)
	}
}

// BenchmarkCheck times the checks natively on a 1280×720 frame that passes
// them, its MRZ read (BenchmarkCheckWasm in web/wasm times the same frame
// in Node).
func BenchmarkCheck(b *testing.B) {
	c, frame := checker(b), framechecktest.HD(b)
	for b.Loop() {
		if res := c.Check(framechecktest.Day, frame); !res.MRZ.Parsed {
			b.Fatalf("the frame's MRZ did not read: %+v", res)
		}
	}
}
