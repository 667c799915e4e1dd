package readeval

import (
	"bytes"
	"image"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
)

var now = time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)

// TestRandomMRZParses: every generated MRZ is well formed, so a reading
// of it that does not parse is the reader's doing.
func TestRandomMRZParses(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, length := range []int{30, 36, 44} {
		for range 50 {
			text := strings.Join(RandomMRZ(rng, length), "\n")
			if _, err := mrz.ParseAt(text, now); err != nil {
				t.Fatalf("%q: %v", text, err)
			}
		}
	}
}

// TestJudge judges a real reading of a clean TD3 card, and copies of it
// edited the ways a reading goes wrong.
func TestJudge(t *testing.T) {
	smps, err := Samples(Degradations()[0], 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	truth := smps[2].Lines // TD3
	r, err := ocrb.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	read, err := r.Read(smps[2].Image)
	if err != nil {
		t.Fatal(err)
	}
	// edit returns a copy of read with character j of line i changed.
	edit := func(i, j int, f func(*ocrb.Char)) *ocrb.Result {
		c := *read // where each character was read comes along
		c.Lines = nil
		for _, l := range read.Lines {
			c.Lines = append(c.Lines, append(ocrb.Line(nil), l...))
		}
		f(&c.Lines[i][j])
		return &c
	}
	next := func(c *ocrb.Char) { c.Char = 'A' + (c.Char-'A'+1)%26 }
	for _, tc := range []struct {
		name string
		read *ocrb.Result
		want Outcome
	}{
		{"none", nil, Outcome{Chars: 88}},
		{"as read", read, Outcome{Exact: true, Trusted: true, Chars: 88, CharsRight: 88}},
		{"one character unsure", edit(1, 0, func(c *ocrb.Char) { c.Confidence = 0.3 }),
			Outcome{Exact: true, Chars: 88, CharsRight: 88}},
		// The name is under no check digit: a letter of it read wrong
		// with confidence passes everything but the truth.
		{"a letter of the name wrong, sure", edit(0, 5, next),
			Outcome{Trusted: true, TrustedWrong: true, Chars: 88, CharsRight: 87}},
		{"a letter of the name wrong, unsure", edit(0, 5, func(c *ocrb.Char) { next(c); c.Confidence = 0.3 }),
			Outcome{Chars: 88, CharsRight: 87}},
		{"a check digit wrong", edit(1, 9, func(c *ocrb.Char) { c.Char = '0' + (c.Char-'0'+1)%10 }),
			Outcome{Chars: 88, CharsRight: 87}},
	} {
		got := Judge(truth, tc.read, now)
		if len(got.Right.Confidence) != got.CharsRight {
			t.Errorf("%s: %d confidences of characters read right, want %d", tc.name, len(got.Right.Confidence), got.CharsRight)
		}
		got.Right, got.Wrong = Confidences{}, Confidences{}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestSamplesRepeat: the same seed gives the same samples, and sample i
// shows the same MRZ under every degradation.
func TestSamplesRepeat(t *testing.T) {
	ds := Degradations()
	var jpeg Degradation
	for _, d := range ds {
		if d.Name == "jpeg" {
			jpeg = d
		}
	}
	a, err := Samples(jpeg, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Samples(jpeg, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Samples(ds[0], 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !bytes.Equal(pixels(a[i].Image), pixels(b[i].Image)) {
			t.Errorf("sample %d differs between runs", i)
		}
		if strings.Join(a[i].Lines, "\n") != strings.Join(c[i].Lines, "\n") {
			t.Errorf("sample %d shows another MRZ under %s than under %s", i, jpeg.Name, ds[0].Name)
		}
	}
}

func pixels(img image.Image) []byte {
	var out []byte
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, byte(r>>8), byte(g>>8), byte(bl>>8))
		}
	}
	return out
}
