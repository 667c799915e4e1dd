// Package selfie reads a selfie frame's face with the face engine — the
// faces found, and for a frame with exactly one face wide enough, its
// landmarks and embedding (Analyse) — and shares that reading between the
// stages of one process (Analyses; issue 20). The face match
// (consumers/facematch) and the liveness check (consumers/liveness) read
// the same frames, and each ran the detector, the landmark model and the
// embedding on every one of them; through one Analyses the first stage to
// want a frame's analysis computes it, a stage that wants it meanwhile
// waits for it, and the other takes it.
//
// Embeddings are biometric data (GDPR art. 9). Each stage gets a copy of
// its own, which it clears before its Handle call returns, as before. The
// copy an Analyses keeps for the other stage is zeroed and dropped once
// both stages have taken it, or Hold (10 s by default) after it was
// computed, whichever comes first: so a frame's embedding may now outlive
// the Handle call that computed it, in the process's memory only, by at
// most Hold — the full Hold when the other stage never comes for it (a
// stage that failed before that frame, or runs in another process). The
// stages share only for sessions that ask for both checks. Nothing of it is
// ever stored, logged or put in an event.
package selfie

import (
	"errors"
	"fmt"
	"image"
	"slices"

	"github.com/idv-oss/idv/face"
)

// Models are the face engine's models an analysis runs.
var Models = []string{face.Detector, face.Landmarker, face.Feature}

// Reader is what an analysis needs of the face engine (*face.Engine).
type Reader interface {
	Detect(img image.Image) ([]face.Face, error)
	Landmarks(img image.Image, f face.Face) ([68]face.Point, error)
	EmbedLandmarks(img image.Image, lm [68]face.Point) ([]float32, error)
}

// Engine is what a shared analysis needs of the face engine (*face.Engine):
// a Reader that names what decides its models' results
// (face.Engine.Setup). Analyses are shared only between engines whose
// Setup of Models is the same.
type Engine interface {
	Reader
	Setup(models ...string) string
}

// Analysis is what the face engine read of a selfie frame. Landmarks and
// Embedding are those of Faces[0]; Embedding is nil when they were not
// read: the frame holds no face or several, its face is narrower than the
// analysis was asked to read, or its box lies outside the image (Landmarks
// gave face.ErrNoFace).
type Analysis struct {
	Faces     []face.Face // as Detect found them, strongest first
	Landmarks [68]face.Point
	Embedding []float32 // 512-d, L2-normalised (face.Engine.EmbedLandmarks)
}

// Analyse reads img's faces and, when it holds exactly one at least
// minPixels wide, that face's landmarks and embedding: what
// face.Engine.Embed gives, as it is Landmarks then EmbedLandmarks. img is
// prepared first (face.Prepare), which costs nothing when it already is.
// Errors are the engine's, not findings about the frame.
func Analyse(e Reader, img image.Image, minPixels float64) (Analysis, error) {
	img = face.Prepare(img)
	faces, err := e.Detect(img)
	if err != nil {
		return Analysis{}, fmt.Errorf("detect: %w", err)
	}
	a := Analysis{Faces: faces}
	if len(faces) != 1 || faces[0].Box.Width() < minPixels {
		return a, nil
	}
	lm, err := e.Landmarks(img, faces[0])
	if errors.Is(err, face.ErrNoFace) {
		return a, nil
	}
	if err != nil {
		return Analysis{}, fmt.Errorf("landmarks: %w", err)
	}
	if a.Embedding, err = e.EmbedLandmarks(img, lm); err != nil {
		return Analysis{}, fmt.Errorf("embed: %w", err)
	}
	a.Landmarks = lm
	return a, nil
}

// complete reports whether a holds its face's embedding.
func (a Analysis) complete() bool { return a.Embedding != nil }

// clone is a copy of a that shares no memory with it.
func (a Analysis) clone() Analysis {
	return Analysis{Faces: slices.Clone(a.Faces), Landmarks: a.Landmarks, Embedding: slices.Clone(a.Embedding)}
}

// wipe zeroes a's embedding and landmarks.
func (a *Analysis) wipe() {
	clear(a.Embedding)
	a.Landmarks = [68]face.Point{}
	a.Faces = nil
}
