package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/idv-oss/idv/consumers/facematch"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/evaluation"
)

const evalUsage = `usage: idv eval synth OUT [--images DIR]   make labelled inputs from the Debian test photos
       idv eval facematch DIR [--min-face PX] FAR/FRR per threshold over DIR/<identity>/<image>
       idv eval liveness DIR                   FAR/FRR per threshold over DIR/<case>/{case.json,frames}
(IDV_FACE_DIR must name the installed face engine: scripts/face-models.sh)`

// runEval measures the face engine as the stages use it (issue 5's
// evaluation); see face/evaluation.
func runEval(args []string, cfg config, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return errors.New(evalUsage)
	}
	what, dir := args[0], args[1]
	fs := newFlagSet("eval "+what, stderr)
	images := fs.String("images", os.Getenv("IDV_TEST_IMAGES"), "directory of source photos (synth)")
	minFace := fs.Float64("min-face", facematch.DefaultMinFacePixels, "narrowest face compared, in pixels (facematch)")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if cfg.FaceDir == "" {
		return errors.New("eval: IDV_FACE_DIR is not set (run scripts/face-models.sh)")
	}
	engine, err := face.Open(cfg.FaceDir, face.Config{})
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer engine.Close()
	fmt.Fprintf(stdout, "engine %s\n", engine.Version())
	switch what {
	case "synth":
		return evalSynth(engine, *images, dir, stdout, stderr)
	case "facematch":
		r, err := evaluation.EvalFaceMatch(engine, dir, *minFace, stderr)
		if err != nil {
			return err
		}
		r.Print(stdout, []float64{0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8})
		return nil
	case "liveness":
		r, err := evaluation.EvalLiveness(engine, dir, stderr)
		if err != nil {
			return err
		}
		r.Print(stdout)
		return nil
	}
	return errors.New(evalUsage)
}

func evalSynth(engine *face.Engine, imagesDir, out string, stdout, stderr io.Writer) error {
	if imagesDir == "" {
		return errors.New("eval synth: --images (or IDV_TEST_IMAGES) must name the photos (scripts/test-images.sh)")
	}
	var photos []string
	for _, pat := range []string{"*.jpg", "*.png"} {
		m, err := filepath.Glob(filepath.Join(imagesDir, pat))
		if err != nil {
			return err
		}
		photos = append(photos, m...)
	}
	if len(photos) == 0 {
		return fmt.Errorf("eval synth: no .jpg or .png photos in %s", imagesDir)
	}
	s, err := evaluation.Synthesize(engine, photos, out, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d face-match images to %s, %d live and %d attack liveness cases to %s (min face %d px)\n",
		s.FaceImages, filepath.Join(out, "facematch"), s.LiveCases, s.AttackCases, filepath.Join(out, "liveness"),
		int(challenge.DefaultMinFacePixels))
	for _, sk := range s.Skipped {
		fmt.Fprintf(stdout, "not in liveness: %s\n", sk)
	}
	return nil
}
