package ocrb

import (
	"cmp"
	"slices"
	"strings"
)

// Reason codes of the comparison between the MRZ printed on the document
// and the MRZ the app sent: stable, and free of document contents.
const (
	// ReasonMismatch: the image shows, confidently, a different character
	// from the one the app sent, or a different number or length of lines.
	ReasonMismatch = "mrz_image_mismatch"
	// ReasonSuspect: they differ only by characters the check digits are
	// blind to and OCR confuses ('<'/0/A/K/U, G/6, S/8, B/1, Z/5, I/8): a
	// misread on either side, or an edit made to pass the check digits.
	ReasonSuspect = "mrz_suspect_characters"
	// ReasonUnreadable: too much of the MRZ in the image was read with too
	// little confidence, or none was found, to compare. It stands alone:
	// such a reading proves no mismatch either.
	ReasonUnreadable = "mrz_image_unreadable"
)

// CompareConfig holds the comparison's thresholds; a zero field means its
// default.
type CompareConfig struct {
	// MinConfidence is the least confidence of an image character that
	// may contradict the app; below it the character is unsure and
	// proves nothing. Default 0.6: clean renders read above 0.9, and
	// misreads on degraded ones mostly fall below 0.6.
	MinConfidence float64
	// MaxUnsure is the largest fraction of unsure characters before the
	// image counts as unreadable. Default 0.1.
	MaxUnsure float64
}

func (c CompareConfig) withDefaults() CompareConfig {
	c.MinConfidence = cmp.Or(c.MinConfidence, 0.6)
	c.MaxUnsure = cmp.Or(c.MaxUnsure, 0.1)
	return c
}

// Disagreement is one position where image and app differ. It holds
// document characters: it stays in memory and is never logged; only the
// reason codes leave the check.
type Disagreement struct {
	Line, Position int // 1-based
	Image, Device  byte
	Confidence     float64
	Suspect        bool // a blind-spot pair
}

// Comparison is the outcome of Compare.
type Comparison struct {
	// Reasons are the reason codes, sorted; nil when the two agree.
	Reasons       []string
	Disagreements []Disagreement
	// Unsure counts the image characters below MinConfidence that
	// differ from the app's.
	Unsure int
}

// blindPairs are the pairs of characters whose check-digit values differ by
// a multiple of ten and that look alike in OCR-B (FACTS, MRZ).
var blindPairs = func() map[[2]byte]bool {
	m := map[[2]byte]bool{}
	groups := []string{"<0AKU", "G6", "S8", "B1", "Z5", "I8"}
	for _, g := range groups {
		for i := 0; i < len(g); i++ {
			for j := 0; j < len(g); j++ {
				if i != j {
					m[[2]byte{g[i], g[j]}] = true
				}
			}
		}
	}
	return m
}()

// Suspect reports whether a and b are a check-digit blind-spot pair.
func Suspect(a, b byte) bool { return blindPairs[[2]byte{a, b}] }

// Compare compares the MRZ read from the image with the MRZ text the app
// sent (lines separated by newlines). read nil means no MRZ was found in
// the image.
func Compare(read *Result, device string, cfg CompareConfig) Comparison {
	cfg = cfg.withDefaults()
	if read == nil {
		return Comparison{Reasons: []string{ReasonUnreadable}}
	}
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(device, "\r", ""), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	var c Comparison
	total := 0
	mismatch := len(lines) != len(read.Lines)
	for i := range min(len(lines), len(read.Lines)) {
		img, dev := read.Lines[i], lines[i]
		if len(img) != len(dev) {
			mismatch = true
		}
		for j := range min(len(img), len(dev)) {
			total++
			got := img[j]
			if got.Char == dev[j] {
				continue
			}
			if got.Confidence < cfg.MinConfidence {
				c.Unsure++
				continue
			}
			d := Disagreement{Line: i + 1, Position: j + 1, Image: got.Char, Device: dev[j],
				Confidence: got.Confidence, Suspect: Suspect(got.Char, dev[j])}
			c.Disagreements = append(c.Disagreements, d)
			mismatch = mismatch || !d.Suspect
		}
	}
	if total > 0 && float64(c.Unsure) > cfg.MaxUnsure*float64(total) {
		// A reading this unsure is no evidence either way, not even
		// where it happens to be confident.
		c.Reasons = []string{ReasonUnreadable}
		return c
	}
	if mismatch {
		c.Reasons = append(c.Reasons, ReasonMismatch)
	}
	if slices.ContainsFunc(c.Disagreements, func(d Disagreement) bool { return d.Suspect }) {
		c.Reasons = append(c.Reasons, ReasonSuspect)
	}
	slices.Sort(c.Reasons)
	return c
}
