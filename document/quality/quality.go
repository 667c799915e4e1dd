// Package quality holds the image quality gates a document photo passes
// before anything reads it: resolution, focus, glare, a greyscale copy, and
// a document that runs off the edge of the picture. Each gate has a reason
// code and a threshold in Config; every failure is one a new photo can fix,
// except greyscale_copy, which says the photo is of a copy and not of the
// document itself.
//
// The gates are pure functions of an image.Image: no I/O, no state.
package quality

import (
	"image"

	"github.com/idv-oss/idv/document/raster"
)

// Reason codes: stable, machine-readable, free of document contents.
const (
	// ReasonLowResolution: the image is smaller than Config.MinLongSide ×
	// Config.MinShortSide pixels.
	ReasonLowResolution = "image_low_resolution"
	// ReasonBlurry: the variance of the Laplacian, measured at
	// Config.FocusWidth, is below Config.MinFocus.
	ReasonBlurry = "image_blurry"
	// ReasonGlare: saturated near-white blobs cover more than
	// Config.MaxGlare of the image.
	ReasonGlare = "image_glare"
	// ReasonGreyscaleCopy: the image has next to no colour
	// (Config.MinColourfulness): a photo of a black-and-white copy, or a
	// greyscale scan, not of the document.
	ReasonGreyscaleCopy = "greyscale_copy"
	// ReasonNotInFrame: the document runs off the picture: a side of the
	// picture is crowded with edges, or shows no edge of the document
	// while its content crosses the border (Config.MaxBorderEdges,
	// MinCardEdge, MinCutEdges).
	ReasonNotInFrame = "document_not_in_frame"
)

// Config holds the gates' thresholds. The zero value of a field means its
// default (DefaultConfig); a negative threshold turns its gate off.
type Config struct {
	// MinLongSide and MinShortSide are the smallest image, in pixels, in
	// either orientation. Default 1000 × 600: an ID-1 card filling such a
	// picture gives its MRZ characters about 25 pixels of pitch.
	MinLongSide, MinShortSide int
	// AnalysisWidth is the width, in pixels, the other gates scale the
	// image down to (never up) before measuring, so their thresholds do
	// not depend on the camera. Default 800.
	AnalysisWidth int
	// MinFocus is the smallest variance of the 4-neighbour Laplacian of
	// the luma at AnalysisWidth. Default 100: the generated cards of the
	// tests measure 1200–1300 sharp, about 290 under a Gaussian blur of
	// σ = 1 pixel (at 1219 pixels wide), about 60 under σ = 2 and 17 under
	// σ = 3; the Debian test photos measure 860–1030.
	MinFocus float64
	// GlareLevel is the value (0–255) all three channels must reach for a
	// pixel to count as saturated. Default 250.
	GlareLevel float64
	// MinGlareBlob is the smallest connected saturated area, as a fraction
	// of the image, that counts as glare; isolated specks do not. Default
	// 0.0005.
	MinGlareBlob float64
	// MaxGlare is the largest fraction of the image glare blobs may cover.
	// Default 0.01: the Debian test photos measure under 0.008 (the
	// astronaut's white suit included), a glare disc of 8 % of the width on
	// a card 0.03.
	MaxGlare float64
	// MinColourfulness is the least colourfulness (the spread of the
	// opponent colour channels, Hasler and Süsstrunk without their mean
	// term, so a uniform colour cast does not count as colour) a photo of
	// a real document shows. Default 5: the generated cards measure 16–27,
	// the Debian test photos about 60, a greyscale copy 0, and camera noise
	// on a grey page a few units.
	MinColourfulness float64
	// BorderBand is the width of the band along each edge, as a fraction
	// of the image's shorter side, in which border edges are counted.
	// Default 0.02.
	BorderBand float64
	// MaxBorderEdges is the largest fraction of one side's band that may
	// be strong edge pixels; a negative value turns the whole frame gate
	// off. Default 0.05: a card framed with a margin measures 0, one whose
	// MRZ lines run through the left or right border 0.08–0.10.
	MaxBorderEdges float64
	// MinCardEdge is the shortest straight edge, as a fraction of the
	// side's length, that counts as the document's own edge along a side
	// (within ±5°, in the outer third). Default 0.5: the framed test cards
	// measure 0.65–0.82 on every side (0.65 tilted 3°); cut off, the side
	// measures 0.08–0.38 (the longest straight run is then a line of
	// text).
	MinCardEdge float64
	// MinCutEdges is the share of strong edges in a side's band above
	// which content is taken to cross the border. Default 0.005: framed
	// cards measure 0, a card cut through its last MRZ line 0.019.
	MinCutEdges float64
	// EdgeStrength is the gradient magnitude (Sobel, luma 0–255) of a
	// strong edge. Default 120.
	EdgeStrength float64
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		MinLongSide: 1000, MinShortSide: 600, AnalysisWidth: 800,
		MinFocus: 100, GlareLevel: 250, MinGlareBlob: 0.0005, MaxGlare: 0.01,
		MinColourfulness: 5, BorderBand: 0.02, MaxBorderEdges: 0.05, MinCardEdge: 0.5, MinCutEdges: 0.005,
		EdgeStrength: 120,
	}
}

// withDefaults fills zero fields with their defaults; settings names
// every field of Config.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, st := range settings {
		st.fillFrom(&c, &d)
	}
	return c
}

// Measures are what the gates measured, for logs, metrics and tuning; none
// of them reveals the document's contents.
type Measures struct {
	Width, Height int
	Focus         float64 // variance of the Laplacian
	Glare         float64 // fraction of the image in glare blobs
	Colourfulness float64
	BorderEdges   float64 // largest fraction of strong edges in one side's band
	CardEdge      float64 // shortest of the longest straight edges along each side
}

// Check runs every gate on img and returns the reasons it fails (nil when it
// passes) with the measures.
func Check(img image.Image, cfg Config) ([]string, Measures) {
	cfg = cfg.withDefaults()
	b := img.Bounds()
	m := Measures{Width: b.Dx(), Height: b.Dy()}
	if m.Width == 0 || m.Height == 0 {
		return []string{ReasonLowResolution}, m
	}
	// One pass over the full image; every other measure works on the
	// small planes.
	r, g, bl := raster.RGB(img, cfg.AnalysisWidth)
	y := luma(r, g, bl)
	m.Focus = Focus(y)
	m.Colourfulness = Colourfulness(r, g, bl)
	m.Glare = glare(r, g, bl, cfg)
	var reasons []string
	long, short := max(m.Width, m.Height), min(m.Width, m.Height)
	if cfg.MinLongSide > 0 && (long < cfg.MinLongSide || short < cfg.MinShortSide) {
		reasons = append(reasons, ReasonLowResolution)
	}
	if cfg.MinFocus > 0 && m.Focus < cfg.MinFocus {
		reasons = append(reasons, ReasonBlurry)
	}
	if cfg.MaxGlare > 0 && m.Glare > cfg.MaxGlare {
		reasons = append(reasons, ReasonGlare)
	}
	if cfg.MinColourfulness > 0 && m.Colourfulness < cfg.MinColourfulness {
		reasons = append(reasons, ReasonGreyscaleCopy)
	}
	if cfg.MaxBorderEdges > 0 && !inFrame(y, cfg, &m) {
		reasons = append(reasons, ReasonNotInFrame)
	}
	return reasons, m
}

func luma(r, g, b *raster.Plane) *raster.Plane {
	y := raster.New(r.W, r.H)
	for i := range y.Pix {
		y.Pix[i] = 0.299*r.Pix[i] + 0.587*g.Pix[i] + 0.114*b.Pix[i]
	}
	return y
}
