package ocrb_test

import (
	"strings"
	"testing"

	"github.com/idv-oss/idv/document/ocrb"
)

// reading is a Result whose every character is read with confidence conf
// and a runner-up '<' far behind.
func reading(lines []string, conf float64) *ocrb.Result {
	r := &ocrb.Result{}
	for _, l := range lines {
		var line ocrb.Line
		for i := range len(l) {
			line = append(line, ocrb.Char{Char: l[i], Confidence: conf, Runner: '#', RunnerConfidence: 0.1})
		}
		r.Lines = append(r.Lines, line)
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
		read *ocrb.Result
		want bool
	}{
		"confident TD3": {reading(td3, 0.9), true},
		"nothing read":  {nil, false},
		"one line":      {reading(td3[:1], 0.9), false},
		"short line":    {reading([]string{td3[0], td3[1][:43]}, 0.9), false},
		"not a layout":  {reading([]string{td3[0][:40], td3[1][:40]}, 0.9), false},
		"one unsure character": {func() *ocrb.Result {
			r := reading(td3, 0.9)
			r.Lines[1][5].Confidence = 0.5
			return r
		}(), false},
		"a 6 close to a G": {func() *ocrb.Result {
			r := reading(td3, 0.9)
			r.Lines[1][20] = ocrb.Char{Char: '6', Confidence: 0.85, Runner: 'G', RunnerConfidence: 0.8}
			return r
		}(), false},
		"a 6 far ahead of a G": {func() *ocrb.Result {
			r := reading(td3, 0.9)
			r.Lines[1][20] = ocrb.Char{Char: '6', Confidence: 0.9, Runner: 'G', RunnerConfidence: 0.6}
			return r
		}(), true},
		"a 6 close to a 5, which the check digits catch": {func() *ocrb.Result {
			r := reading(td3, 0.9)
			r.Lines[1][20] = ocrb.Char{Char: '6', Confidence: 0.85, Runner: '5', RunnerConfidence: 0.84}
			return r
		}(), true},
	}
	for name, c := range cases {
		text, ok := ocrb.Trusted(c.read)
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
