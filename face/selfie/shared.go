package selfie

import (
	"context"
	"image"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/internal/shareonce"
)

// Shared analyses follow capture.Decodes, through the same
// internal/shareonce: the key is the frame's capture.ImageKey — its
// object key, the SHA-256 of its sealed bytes, the session, attempt, kind
// and index its opening binds, and the decoder's pixel limit — so a stage
// gets a shared analysis only of the very image it would have decoded; and
// the engine's Setup of Models, so only of what its own engine would have
// read there. The narrowest face a stage reads (minPixels) is
// not in the key: only complete analyses are shared, whose faces,
// landmarks and embedding do not depend on it, and each stage applies its
// own width rule to what it gets. An analysis without an embedding (no
// face, several, too narrow for the stage that computed it, outside the
// image) and an engine's error are not shared: each stage meets
// them itself.

// Analyses shares selfie frames' analyses between the stages of one
// process, as a shareonce.Cache of analyses that hands each reader its own
// copy and zeroes the one it keeps once that is forgotten and no reader is
// still copying it. The nil *Analyses shares nothing: Analyse computes
// every call.
type Analyses struct {
	analyses *shareonce.Cache[analysisKey, Analysis]
}

// AnalysesConfig tunes an Analyses. The zero value is the default.
type AnalysesConfig struct {
	Readers    int           // stages that read the same frame; 2 when 0
	Hold       time.Duration // longest an analysis is kept; 10 s when 0
	MaxEntries int           // frames' analyses kept at most (about 3 KiB each); 1024 when 0
}

// NewAnalyses returns an empty Analyses.
func NewAnalyses(cfg AnalysesConfig) *Analyses {
	return &Analyses{analyses: shareonce.New[analysisKey](sharing(cfg))}
}

// sharing is how an Analyses shares: a copy of a complete analysis is kept,
// each later reader gets a copy of that, and it is zeroed when forgotten.
func sharing(cfg AnalysesConfig) shareonce.Config[Analysis] {
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 1024
	}
	return shareonce.Config[Analysis]{
		Readers: cfg.Readers, Hold: cfg.Hold, Budget: int64(cfg.MaxEntries),
		Share: func(a Analysis) (Analysis, bool) {
			if !a.complete() {
				return Analysis{}, false
			}
			return a.clone(), true
		},
		HandOut: Analysis.clone,
		Release: (*Analysis).wipe,
	}
}

// Prepared is the form the face stages read selfie frames in, through
// capture.Decodes.OpenImageAs: prepared for the engine (face.Prepare, a
// JPEG's YCbCr converted to RGBA) once per process, rather than once by
// each stage — the face match's analysis and the liveness check's
// measures both need the prepared frame.
var Prepared = capture.Form{Name: "face.Prepare", Convert: face.Prepare}

// analysisKey names a frame as capture.OpenImage reads and decodes it,
// and what the engine that reads it is.
type analysisKey struct {
	image capture.ImageKey
	setup string
}

// Analyse is the package's Analyse of the prepared or unprepared image img
// of capture c (decoded with the pixel limit maxPixels) through d: a copy of
// the complete analysis another stage made of the same frame with an engine
// of the same Setup, or one made now and a copy kept for the other. The
// caller owns what it gets and clears its embedding when done; the copy d
// keeps is zeroed when it is forgotten.
func (d *Analyses) Analyse(ctx context.Context, e Engine, img image.Image, c idv.Capture,
	maxPixels int64, minPixels float64) (Analysis, error) {
	if d == nil {
		return Analyse(e, img, minPixels)
	}
	k := analysisKey{image: capture.ImageKeyOf(c, maxPixels), setup: e.Setup(Models...)}
	return d.analyses.Do(ctx, k, func() (Analysis, error) { return Analyse(e, img, minPixels) })
}
