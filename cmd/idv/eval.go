package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/idv-oss/idv/consumers/facematch"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/ocrb/readeval"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/evaluation"
)

const evalUsage = `usage: idv eval synth OUT [--images DIR]   make labelled inputs from the Debian test photos
       idv eval facematch DIR [--min-face PX] FAR/FRR per threshold over DIR/<identity>/<image>
       idv eval liveness DIR                   APCER per attack type, BPCER, over DIR/<case>/{case.json,frames}
       idv eval mrz [--n N] [--seed S]         MRZ read rates per photo degradation on generated cards
(synth, facematch and liveness need IDV_FACE_DIR to name the installed face engine: scripts/face-models.sh)`

// runEval measures the face engine as the stages use it (issue 5's
// evaluation; see face/evaluation), or the MRZ reader (issue 16; see
// document/ocrb/readeval), which needs no face engine.
func runEval(args []string, cfg config, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "mrz" {
		return evalMRZ(args[1:], stdout, stderr)
	}
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

// evalMRZ reads n generated cards under every degradation, then under
// those past the reader's limits, and prints the table of read rates and
// the spread of the characters' confidence that ocrb.Trusted's thresholds
// are set by: progress to stderr, the tables to stdout.
func evalMRZ(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval mrz", stderr)
	n := fs.Int("n", 24, "cards per degradation (TD1, TD2 and TD3 in turn)")
	seed := fs.Uint64("seed", 1, "seed of the cards and degradations: the same seed, the same samples")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || fs.NArg() > 0 {
		return errors.New(evalUsage)
	}
	r, err := ocrb.NewReader()
	if err != nil {
		return fmt.Errorf("eval mrz: %w", err)
	}
	figs, err := readeval.Run(r, slices.Concat(readeval.Degradations(), readeval.Limits()), *n, *seed, stderr)
	if err != nil {
		return fmt.Errorf("eval mrz: %w", err)
	}
	if err := readeval.Print(stdout, figs); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	return readeval.PrintConfidences(stdout, figs)
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
	fmt.Fprintf(stdout, "wrote %d face-match images to %s, %d bona fide and %d attack liveness cases to %s (min face %d px)\n",
		s.FaceImages, filepath.Join(out, "facematch"), s.LiveCases, s.AttackCases, filepath.Join(out, "liveness"),
		int(challenge.DefaultMinFacePixels))
	for _, sk := range s.Skipped {
		fmt.Fprintf(stdout, "not in liveness: %s\n", sk)
	}
	return nil
}
