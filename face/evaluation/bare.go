package evaluation

import (
	"fmt"
	"image"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/schemas"
)

// Bare is what the face stages of one process ask of the engine for one
// verification, without broker, database, storage, decryption or decoding:
// they share each selfie frame's faces, landmarks and embedding
// (face/selfie.Analyses), so the face match's own work is the document's
// face (BareMatch of the document alone) and every frame is measured once
// (liveness, without judging the sequence, as cfg says). Time it to know
// the engine's bound.
func Bare(e challenge.Engine, doc image.Image, frames []image.Image, cfg challenge.Config) error {
	if err := BareMatch(e, doc, nil); err != nil {
		return err
	}
	for _, f := range frames {
		if _, reason, err := challenge.Measure(e, f, cfg); err != nil || reason != "" {
			return fmt.Errorf("evaluation: bare: measure: %q %v", reason, err)
		}
	}
	return nil
}

// BareMatch is what the face match stage asks of the engine for one
// verification, on decoded images: each image prepared (face.Prepare), its
// largest face detected and embedded, the document's and every frame's.
func BareMatch(e challenge.Engine, doc image.Image, frames []image.Image) error {
	embed := func(img image.Image) error {
		img = face.Prepare(img)
		faces, err := e.Detect(img)
		if err != nil {
			return fmt.Errorf("evaluation: bare: %w", err)
		}
		if len(faces) == 0 {
			return fmt.Errorf("evaluation: bare: no face")
		}
		_, err = e.Embed(img, face.Largest(faces))
		return err
	}
	if err := embed(doc); err != nil {
		return err
	}
	for _, f := range frames {
		if err := embed(f); err != nil {
			return err
		}
	}
	return nil
}

// BareLiveness is what the liveness stage asks of the engine for one
// verification, on decoded frames: each frame measured
// (challenge.Measure), then the sequence judged against ch, both as cfg
// says (the stage's liveness.Config.Challenge). It fails
// unless the sequence passes, as a bound measured on refused frames would
// time less than the stage does.
func BareLiveness(e challenge.Engine, frames []image.Image, ch schemas.Challenge, cfg challenge.Config) error {
	measured := make([]challenge.Frame, 0, len(frames))
	for i, f := range frames {
		fr, reason, err := challenge.Measure(e, f, cfg)
		if err != nil || reason != "" {
			return fmt.Errorf("evaluation: bare: measure: %q %v", reason, err)
		}
		fr.Index = i
		measured = append(measured, fr)
	}
	if v := challenge.Judge(measured, ch, cfg); len(v.Reasons) > 0 {
		return fmt.Errorf("evaluation: bare: judged %v", v.Reasons)
	}
	return nil
}
