package ocrb

import (
	"strings"
	"testing"
)

// reading is a Result whose every character is read with confidence conf,
// a runner-up far behind, in cells 10 pixels apart.
func reading(lines []string, conf float64) *Result {
	r := &Result{place: placement{scale: 1, w: 1000, h: 1000}}
	for y, l := range lines {
		var line Line
		var cells []cellBox
		for i := range len(l) {
			line = append(line, Char{Char: l[i], Confidence: conf, Runner: '#', RunnerConfidence: 0.1})
			cells = append(cells, cellBox{x0: float64(10 * i), y0: float64(20 * y), x1: float64(10*i + 10), y1: float64(20*y + 15)})
		}
		r.Lines = append(r.Lines, line)
		r.cells = append(r.cells, cells)
	}
	return r
}

// A reading stands alone only as a whole layout of confident characters
// none of which is close to a runner-up the check digits cannot tell
// from it.
func TestTrusted(t *testing.T) {
	t.Parallel()
	td3 := []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}
	cases := map[string]struct {
		read *Result
		want bool
	}{
		"confident TD3": {reading(td3, 0.9), true},
		"nothing read":  {nil, false},
		"one line":      {reading(td3[:1], 0.9), false},
		"short line":    {reading([]string{td3[0], td3[1][:43]}, 0.9), false},
		"not a layout":  {reading([]string{td3[0][:40], td3[1][:40]}, 0.9), false},
		"one unsure character": {func() *Result {
			r := reading(td3, 0.9)
			r.Lines[1][5].Confidence = 0.5
			return r
		}(), false},
		"a 6 close to a G": {func() *Result {
			r := reading(td3, 0.9)
			r.Lines[1][20] = Char{Char: '6', Confidence: 0.85, Runner: 'G', RunnerConfidence: 0.82}
			return r
		}(), false},
		"a 6 far ahead of a G": {func() *Result {
			r := reading(td3, 0.9)
			r.Lines[1][20] = Char{Char: '6', Confidence: 0.9, Runner: 'G', RunnerConfidence: 0.6}
			return r
		}(), true},
		"printed too small": {func() *Result {
			r := reading(td3, 0.9)
			r.place.scale = 0.5 // 5 pixels of pitch in the photo
			return r
		}(), false},
		"a 6 close to a 5, which the check digits catch": {func() *Result {
			r := reading(td3, 0.9)
			r.Lines[1][20] = Char{Char: '6', Confidence: 0.85, Runner: '5', RunnerConfidence: 0.84}
			return r
		}(), true},
	}
	for name, c := range cases {
		text, ok := Trusted(c.read)
		if ok != c.want {
			t.Errorf("%s: trusted %t, want %t", name, ok, c.want)
		}
		if ok && text != c.read.Text() {
			t.Errorf("%s: text %q, want %q", name, text, c.read.Text())
		}
		if !ok && text != "" {
			t.Errorf("%s: untrusted reading returned text %q", name, strings.TrimSpace(text))
		}
	}
}
