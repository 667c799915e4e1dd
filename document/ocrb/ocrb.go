// Package ocrb reads the machine-readable zone of a document photo with its
// own fixed-pitch OCR-B matcher, so the document check can compare the MRZ
// printed on the document with the MRZ text the app sent.
//
// The reader finds the MRZ as the lowest two or three long, evenly spaced
// lines of dark text, straightens a slight rotation (up to about ±4°),
// scales each line so its character pitch is a fixed number of pixels, and
// matches every cell on the pitch against templates shrunk from the OCR-B
// glyph atlas (package glyph) by normalised cross-correlation. It knows
// only the MRZ alphabet (0–9, A–Z, <) and the ICAO layouts: TD1 (3×30), TD2
// (2×36) and TD3 (2×44).
package ocrb

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"

	"github.com/idv-oss/idv/document/ocrb/glyph"
	"github.com/idv-oss/idv/document/raster"
)

// ErrNoMRZ means the reader found nothing it could take for an MRZ.
var ErrNoMRZ = errors.New("ocrb: no MRZ found")

// Char is one read character.
type Char struct {
	// Char is the best-matching character of the MRZ alphabet.
	Char byte
	// Confidence is its template's normalised cross-correlation with the
	// cell, 0–1 (a clean render scores above 0.9).
	Confidence float64
	// Runner is the second-best character and RunnerConfidence its score:
	// a close runner-up means the cell is ambiguous.
	Runner           byte
	RunnerConfidence float64
}

// Line is one MRZ line as read.
type Line []Char

// String returns the line's characters.
func (l Line) String() string {
	b := make([]byte, len(l))
	for i, c := range l {
		b[i] = c.Char
	}
	return string(b)
}

// Result is what the reader read.
type Result struct {
	Lines []Line
	// Angle is the rotation, in degrees, the reader straightened: within
	// ±4, plus 180 for a photo taken upside down.
	Angle float64

	// cells holds where each character was read, in the straightened
	// working plane; place maps them back to the photo (cells.go).
	cells [][]cellBox
	place placement
}

// Text returns the lines joined by newlines, as an app would send them.
func (r *Result) Text() string {
	s := make([]string, len(r.Lines))
	for i, l := range r.Lines {
		s[i] = l.String()
	}
	return strings.Join(s, "\n")
}

// Reader reads MRZs. It is safe for concurrent use.
type Reader struct {
	templates []template
	// flat holds the templates' pixels end to end, for correlate.
	flat []float32
	// scratch holds *scratch: the large buffers of a Read, kept for the
	// next one rather than allocated and cleared every time.
	scratch sync.Pool
}

// NewReader builds the matching templates from the glyph atlas.
func NewReader() (*Reader, error) {
	atlas, err := glyph.Load()
	if err != nil {
		return nil, fmt.Errorf("ocrb: %w", err)
	}
	r := &Reader{templates: buildTemplates(atlas)}
	for _, t := range r.templates {
		r.flat = append(r.flat, t.pix...)
	}
	r.scratch.New = func() any { return new(scratch) }
	return r, nil
}

// workWidth is the width the reader scales a photo down to before looking
// for the MRZ: enough for a TD3 line of 44 characters across a third of
// the picture to keep about 10 pixels of pitch.
const workWidth = 1600

// Read finds and reads the MRZ in img, upright or upside down. It returns
// ErrNoMRZ when there is no group of lines it can take for one.
func (r *Reader) Read(img image.Image) (*Result, error) {
	b := img.Bounds()
	if b.Dx() < 64 || b.Dy() < 32 {
		return nil, ErrNoMRZ
	}
	sc := r.scratch.Get().(*scratch)
	defer r.scratch.Put(sc)
	lum := raster.Luma(img, workWidth)
	place := placement{origin: b.Min, scale: float64(b.Dx()) / float64(lum.W), w: lum.W, h: lum.H}
	res, err := r.read(lum, sc)
	if err == nil {
		res.place, res.place.skew = place, res.Angle
	}
	if err == nil && res.confidence() >= uprightEnough {
		return res, nil
	}
	// A document photographed upside down has its MRZ at the top, read
	// backwards: turned round, it reads as any other.
	turned, terr := r.read(rotate180(lum), sc)
	if terr == nil && (err != nil || turned.confidence() > res.confidence()) {
		turned.place, turned.place.skew, turned.place.turned = place, turned.Angle, true
		turned.Angle += 180
		return turned, nil
	}
	return res, err
}

// uprightEnough is the mean confidence above which the reader does not try
// the photo upside down. Below it, both ways are read and the more
// confident wins: on the test cards a right-way-up read scores 0.79 (blur
// σ = 3) to 0.95 (clean), an MRZ read the wrong way up 0.65–0.72.
const uprightEnough = 0.85

// read reads the MRZ of the working plane lum, straightened first; the
// ink found before straightening serves as it is when there was nothing
// to straighten.
func (r *Reader) read(lum *raster.Plane, sc *scratch) (*Result, error) {
	dark := sc.binarise(lum)
	angle := skew(lum, dark, sc)
	if angle != 0 {
		lum = rotate(lum, angle)
		dark = sc.binarise(lum)
	}
	zone, ok := findZone(lum, dark)
	if !ok {
		return nil, ErrNoMRZ
	}
	res := &Result{Angle: angle}
	for _, band := range zone.lines {
		line, cells := r.readLine(lum, band, zone.length)
		res.Lines = append(res.Lines, line)
		res.cells = append(res.cells, cells)
	}
	return res, nil
}

// confidence is the mean confidence of every character read.
func (r *Result) confidence() float64 {
	var sum float64
	n := 0
	for _, l := range r.Lines {
		for _, c := range l {
			sum += c.Confidence
			n++
		}
	}
	return sum / float64(max(n, 1))
}

// rotate180 returns p turned half a turn.
func rotate180(p *raster.Plane) *raster.Plane {
	out := raster.New(p.W, p.H)
	for i, v := range p.Pix {
		out.Pix[len(p.Pix)-1-i] = v
	}
	return out
}
