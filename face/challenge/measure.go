package challenge

import (
	"errors"
	"fmt"
	"image"

	"github.com/idv-oss/idv/face"
)

// thumbnailSize is the side of the grey face crops compared for replays.
const thumbnailSize = 64

// Measure reads one frame: its single face's yaw, eye closure, passive
// score, embedding and thumbnail. A frame without exactly one face large
// enough to read gives a reason code instead.
func Measure(e Engine, img image.Image, cfg Config) (Frame, string, error) {
	cfg = cfg.WithDefaults()
	img = face.Prepare(img)
	f, reason, err := OneFace(e, img, cfg.MinFacePixels)
	if err != nil || reason != "" {
		return Frame{}, reason, err
	}
	lm, err := e.Landmarks(img, f)
	if errors.Is(err, face.ErrNoFace) {
		return Frame{}, ReasonLowQuality, nil
	}
	if err != nil {
		return Frame{}, "", fmt.Errorf("landmarks: %w", err)
	}
	var fr Frame
	pose, err := e.HeadPose(img, f)
	if err != nil {
		return Frame{}, "", fmt.Errorf("pose: %w", err)
	}
	fr.Yaw = pose.Yaw
	if fr.Eyes, err = e.Eyes(img, lm); err != nil {
		return Frame{}, "", fmt.Errorf("eyes: %w", err)
	}
	if fr.Passive, err = e.Passive(img, f); err != nil {
		return Frame{}, "", fmt.Errorf("passive: %w", err)
	}
	// The landmarks above place the embedding's alignment too: running
	// the landmark model again (Embed) would give the same points.
	if fr.Embedding, err = e.EmbedLandmarks(img, lm); err != nil {
		return Frame{}, "", fmt.Errorf("embed: %w", err)
	}
	fr.Thumbnail = face.Thumbnail(img, f, thumbnailSize)
	return fr, "", nil
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
	switch {
	case len(faces) == 0:
		return face.Face{}, ReasonNoFaceSelfie, nil
	case len(faces) > 1:
		return face.Face{}, ReasonMultipleFaces, nil
	case faces[0].Box.Width() < minPixels:
		return face.Face{}, ReasonLowQuality, nil
	}
	return faces[0], "", nil
}
