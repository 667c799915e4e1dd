package evaluation

import (
	"fmt"
	"image"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
)

// Bare is what the face stages ask of the engine for one verification,
// without broker, database, storage, decryption or decoding: the largest
// face of the document and of every frame embedded (facematch), and every
// frame measured (liveness). Time it to know the engine's bound.
func Bare(e challenge.Engine, doc image.Image, frames []image.Image) error {
	embed := func(img image.Image) error {
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
		if _, reason, err := challenge.Measure(e, f, challenge.Config{}); err != nil || reason != "" {
			return fmt.Errorf("evaluation: bare: measure: %q %v", reason, err)
		}
	}
	return nil
}
