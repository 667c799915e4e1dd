package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/idv-oss/idv/document/cardimage"
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/infra/appclient"
	"github.com/idv-oss/idv/schemas"
)

// Workload is one kind of verification, made the same way every time: the
// checks each session asks for and its captures (Config.Checks and
// Config.Captures).
type Workload struct {
	Mode   string   // tiny or real
	Checks []string // the checks each session asks for
	doc    []byte
	mrz    string              // the MRZ text the document bears
	frames map[string][][]byte // selfie frames by challenge, JPEG
	engine *face.Engine        // real: for the bare-engine comparison
	// real: the decoded document photo and frames, which the bare-engine
	// comparison runs on
	decoded decodedCaptures
}

// decodedCaptures are a real workload's captures, decoded once: the
// document photo and, for each challenge, its steps and frames.
type decodedCaptures struct {
	doc        image.Image
	challenges []schemas.Challenge
	frames     [][]image.Image // by challenge
}

// Tiny is the document check on tiny generated images: a 96 × 60 picture
// as the document, the Dutch specimen card's MRZ and three small frames.
// It measures the control plane; run it with the image checks off, since
// such a picture is no photo of a document.
func Tiny() (*Workload, error) {
	w := &Workload{Mode: "tiny", Checks: []string{schemas.CheckDocument}, frames: map[string][][]byte{},
		mrz: mrz.SpecimenTD1(time.Now())}
	doc, err := jpegOf(tinyImage(96, 60, 0), 80)
	if err != nil {
		return nil, err
	}
	w.doc = doc
	for i := range 3 {
		f, err := jpegOf(tinyImage(48, 64, i), 80)
		if err != nil {
			return nil, err
		}
		w.frames[""] = append(w.frames[""], f)
	}
	return w, nil
}

// Real is the document, face and liveness checks with the face engine of
// faceDir: as the document a photo of a generated specimen card bearing
// Grace Hopper's portrait (grace_hopper.jpg in images, the Debian test
// photos) and, for each of the four challenges, frames of her performing
// it. Close releases the engine it opens.
func Real(faceDir, images string) (_ *Workload, err error) {
	if faceDir == "" || images == "" {
		return nil, errors.New("loadgen: the real workload needs the face engine's directory and the test photos' directory")
	}
	w := &Workload{Mode: "real", Checks: []string{schemas.CheckDocument, schemas.CheckFace, schemas.CheckLiveness},
		frames: map[string][][]byte{}, mrz: mrz.SpecimenTD1(time.Now())}
	if w.engine, err = face.Open(faceDir, face.Config{}); err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	photo, err := os.ReadFile(filepath.Join(images, "grace_hopper.jpg"))
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	img, err := jpeg.Decode(bytes.NewReader(photo))
	if err != nil {
		return nil, fmt.Errorf("loadgen: grace_hopper.jpg: %w", err)
	}
	f, err := evaluation.Locate(w.engine, img)
	if err != nil {
		return nil, err
	}
	if w.doc, err = cardimage.SpecimenPhoto(w.mrz, img, 0); err != nil {
		return nil, err
	}
	if w.decoded.doc, err = jpeg.Decode(bytes.NewReader(w.doc)); err != nil {
		return nil, fmt.Errorf("loadgen: document photo: %w", err)
	}
	for i, steps := range evaluation.Challenges {
		var seq []image.Image
		key := strings.Join(steps, " ")
		for _, fr := range synth.Sequence(img, f, steps, uint64(i)) {
			b, err := jpegOf(fr, 90)
			if err != nil {
				return nil, err
			}
			w.frames[key] = append(w.frames[key], b)
			dec, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			seq = append(seq, dec)
		}
		w.decoded.challenges = append(w.decoded.challenges, schemas.Challenge{Steps: steps})
		w.decoded.frames = append(w.decoded.frames, seq)
	}
	return w, nil
}

// Close releases the face engine of a real workload.
func (w *Workload) Close() {
	if w.engine != nil {
		w.engine.Close()
	}
}

// Captures are a session's captures: the document, the MRZ of the Dutch
// specimen card it bears, and the frames for its challenge.
func (w *Workload) Captures(ch *schemas.Challenge) ([]appclient.Capture, error) {
	key := ""
	if ch != nil {
		key = strings.Join(ch.Steps, " ")
	}
	frames, ok := w.frames[key]
	if !ok {
		return nil, fmt.Errorf("loadgen: no frames for challenge %q", key)
	}
	caps := []appclient.Capture{{Kind: schemas.DocumentFront, Plain: w.doc},
		{Kind: schemas.MRZ, Plain: []byte(w.mrz)}}
	for i, f := range frames {
		caps = append(caps, appclient.Capture{Kind: schemas.Selfie, Index: i, Plain: f})
	}
	return caps, nil
}
