// Package framecheck is the document check's image checks on the photos of
// one document, in their order and under their rule: the quality gates
// (package quality) first, on every photo; only when all pass, the MRZ
// read (package ocrb) from the first photo that shows one; and the rule a
// reading must meet to stand alone as the MRZ: trusted (ocrb.Trusted) and
// then parsed (mrz.ParseAt: layout and check digits), or it is no MRZ.
//
// The document check stage (consumers/doccheck) runs it on the images it
// receives, and the hosted capture page runs the same code, compiled to
// WebAssembly (web/wasm), on a camera frame before it uploads, so that
// what the page tells the person is what the server will find.
//
// A Result holds the reading and its text for the server, which compares
// it with the app's MRZ and the chip's and masks it in a redacted copy;
// its Value, what the page gets, holds reason codes, measures and
// booleans only, never the MRZ text or any other content of the document.
package framecheck

import (
	"image"
	"time"

	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
)

// Config tunes the checks.
type Config struct {
	// Gates runs the quality gates on every photo before anything reads
	// it. Off, every photo counts as passing them (the server's image
	// checks switch, consumers/doccheck Config.QualityGates); the page
	// turns them on.
	Gates bool
	// Quality holds the gates' thresholds: a zero field takes the
	// documented default (quality.DefaultConfig), a negative one turns its
	// gate off.
	Quality quality.Config
}

// Checker checks photos of documents. It is safe for concurrent use, and
// cheap to make: it holds only its reader and config.
type Checker struct {
	reader *ocrb.Reader
	cfg    Config
}

// New returns a checker reading MRZs with reader and tuned by cfg. With
// reader nil it gates the photos and reads nothing.
func New(reader *ocrb.Reader, cfg Config) *Checker {
	return &Checker{reader: reader, cfg: cfg}
}

// Check runs the quality gates on every photo of one document and, when
// all pass, reads the MRZ from the first photo, in the order given, that
// shows one (the server gives the back first: an identity card carries its
// MRZ there, a passport on its only page), and judges the reading; now is
// the day the MRZ's dates are parsed against.
func (c *Checker) Check(now time.Time, photos ...image.Image) Result {
	var res Result
	if c.cfg.Gates {
		for _, img := range photos {
			reasons, m := quality.Check(img, c.cfg.Quality)
			res.Reasons = append(res.Reasons, reasons...)
			res.Measures = append(res.Measures, m)
		}
	}
	res.Passed = len(photos) > 0 && len(res.Reasons) == 0
	if !res.Passed || c.reader == nil {
		// A photo that must be taken again is not read: what it shows
		// of the MRZ would be judged on a picture nobody keeps.
		return res
	}
	for i, img := range photos {
		if read, err := c.reader.Read(img); err == nil {
			res.Read, res.From = read, i
			break
		}
	}
	if res.Read == nil {
		return res
	}
	res.MRZ.Read = true
	text, ok := ocrb.Trusted(res.Read)
	if !ok {
		return res
	}
	res.MRZ.Trusted = true
	// A trusted reading that does not parse (a check digit wrong) is a
	// misread as likely as a forgery: no MRZ, not a wrong one.
	doc, err := mrz.ParseAt(text, now)
	if err != nil {
		return res
	}
	res.MRZ.Parsed, res.Text, res.Document = true, text, doc
	return res
}
