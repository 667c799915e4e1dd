package challenge

import (
	"fmt"
	"image"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/selfie"
)

// thumbnailSize is the side of the grey face crops compared for replays.
const thumbnailSize = 64

// Measure reads one frame: its single face's yaw, eye closure, embedding
// and thumbnail, and with cfg.Passive its passive-liveness score. A frame
// without exactly one face large enough to read gives a reason code
// instead.
func Measure(e Engine, img image.Image, cfg Config) (Frame, string, error) {
	return MeasureWith(e, img, cfg, func(img image.Image, minPixels float64) (selfie.Analysis, error) {
		return selfie.Analyse(e, img, minPixels)
	})
}

// Analyser reads a prepared frame's faces and, for its one face at least
// minPixels wide, that face's landmarks and embedding, as selfie.Analyse
// does (Measure's); the liveness stage's reads them through
// selfie.Analyses, shared with the face match. The Frame takes the
// embedding it gives, and MeasureWith clears it when it gives no Frame.
type Analyser func(img image.Image, minPixels float64) (selfie.Analysis, error)

// MeasureWith is Measure with the frame's faces, landmarks and embedding
// read by analyse.
func MeasureWith(e Engine, img image.Image, cfg Config, analyse Analyser) (Frame, string, error) {
	cfg = cfg.WithDefaults()
	img = face.Prepare(img)
	a, err := analyse(img, cfg.MinFacePixels)
	if err != nil {
		return Frame{}, "", err
	}
	reason := reasonOf(a.Faces, cfg.MinFacePixels)
	if reason == "" && a.Embedding == nil {
		reason = ReasonLowQuality // its landmarks found it outside the image
	}
	if reason != "" {
		clear(a.Embedding)
		return Frame{}, reason, nil
	}
	fr, err := measureFace(e, img, a, cfg.Passive)
	if err != nil {
		clear(a.Embedding)
		return Frame{}, "", err
	}
	return fr, "", nil
}

// measureFace reads the rest of a frame's one face, whose analysis a is:
// the landmarks there place the eyes (and placed the embedding's
// alignment), so the landmark model runs once a frame. The passive model
// runs only when passive is set.
func measureFace(e Engine, img image.Image, a selfie.Analysis, passive bool) (Frame, error) {
	f := a.Faces[0]
	fr := Frame{Embedding: a.Embedding}
	pose, err := e.HeadPose(img, f)
	if err != nil {
		return Frame{}, fmt.Errorf("pose: %w", err)
	}
	fr.Yaw = pose.Yaw
	if fr.Eyes, err = e.Eyes(img, a.Landmarks); err != nil {
		return Frame{}, fmt.Errorf("eyes: %w", err)
	}
	if passive {
		if fr.Passive, err = e.Passive(img, f); err != nil {
			return Frame{}, fmt.Errorf("passive: %w", err)
		}
	}
	fr.Thumbnail = face.Thumbnail(img, f, thumbnailSize)
	return fr, nil
}

// Detector finds faces (*face.Engine).
type Detector interface {
	Detect(img image.Image) ([]face.Face, error)
}

// OneFace is the single face of a frame, at least minPixels wide, or the
// reason there is none to read: no_face_selfie, multiple_faces or
// low_quality.
func OneFace(d Detector, img image.Image, minPixels float64) (face.Face, string, error) {
	faces, err := d.Detect(img)
	if err != nil {
		return face.Face{}, "", fmt.Errorf("detect: %w", err)
	}
	if reason := reasonOf(faces, minPixels); reason != "" {
		return face.Face{}, reason, nil
	}
	return faces[0], "", nil
}

// reasonOf is why faces, a frame's detections, hold no single face at
// least minPixels wide to read, or "" when they do.
func reasonOf(faces []face.Face, minPixels float64) string {
	switch {
	case len(faces) == 0:
		return ReasonNoFaceSelfie
	case len(faces) > 1:
		return ReasonMultipleFaces
	case faces[0].Box.Width() < minPixels:
		return ReasonLowQuality
	}
	return ""
}
