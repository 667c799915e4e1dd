package ocrb

// The thresholds a reading must clear to stand alone as the MRZ, with no
// text from the app to compare it with (Trusted). Set by `idv eval mrz`
// over synthetic cards (docs/measurements.md): with every character at
// least 0.7 and the check digits right, no trusted reading was wrong; at
// 0.6 two of 330 were. The blind-pair margin is a guard the check digits
// cannot give: at 0.1 it refused most cards printed heavier or thinner
// than the font (their '<' scores close to 'K' or '0'), at 0.05 it
// refuses the close calls only.
const (
	// TrustMinConfidence is the least confidence of every character.
	TrustMinConfidence = 0.7
	// TrustMinMargin is the least lead of a character over its runner-up
	// when the two are a check-digit blind pair (G/6, S/8, B/1, …): a
	// misread between them passes the check digits, so only the reading's
	// own certainty guards against it.
	TrustMinMargin = 0.05
	// TrustMinPitch is the least character pitch, in pixels of the photo:
	// at 5.5 pixels (the card at 18 % of the test resolution) two of 24
	// trusted readings were wrong, at 7.6 (25 %) none of 24. The image
	// quality gate refuses such photos first when it is on; this holds
	// when it is off.
	TrustMinPitch = 7.0
)

// layouts are the MRZ layouts by line count and length: TD1 (3×30), TD2
// (2×36) and TD3 (2×44).
var layouts = map[[2]int]bool{{3, 30}: true, {2, 36}: true, {2, 44}: true}

// Trusted returns the reading's text (lines joined by newlines) when it can
// stand alone as the MRZ: a whole ICAO layout, every character at least
// TrustMinConfidence, none whose runner-up is a blind pair within
// TrustMinMargin, and printed at least TrustMinPitch pixels apart.
// It does not check the check digits; the caller parses the text. read nil
// (no MRZ found) is never trusted.
func Trusted(read *Result) (string, bool) {
	if read == nil || len(read.Lines) == 0 || !layouts[[2]int{len(read.Lines), len(read.Lines[0])}] ||
		read.Pitch() < TrustMinPitch {
		return "", false
	}
	for _, l := range read.Lines {
		if len(l) != len(read.Lines[0]) {
			return "", false
		}
		for _, c := range l {
			if c.Confidence < TrustMinConfidence {
				return "", false
			}
			if Suspect(c.Char, c.Runner) && c.Confidence-c.RunnerConfidence < TrustMinMargin {
				return "", false
			}
		}
	}
	return read.Text(), true
}

// Pitch is the MRZ's character pitch in the photo, in pixels: the width of
// the first line's cells over their count; 0 when the result has none.
func (r *Result) Pitch() float64 {
	if r == nil || len(r.cells) == 0 || len(r.cells[0]) == 0 {
		return 0
	}
	box, ok := r.Cells(1, 1, len(r.cells[0]))
	if !ok {
		return 0
	}
	return float64(box.Dx()) / float64(len(r.cells[0]))
}
