package evaluation

import (
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/progress"
	"github.com/idv-oss/idv/schemas"
)

// Locator finds the face a synthetic input is built around.
type Locator interface {
	Detect(img image.Image) ([]face.Face, error)
	Landmarks(img image.Image, f face.Face) ([68]face.Point, error)
}

// Challenges are the four challenges idv.NewChallenge draws from.
var Challenges = [][]string{
	{schemas.StepTurnLeft, schemas.StepBlink},
	{schemas.StepBlink, schemas.StepTurnLeft},
	{schemas.StepTurnRight, schemas.StepBlink},
	{schemas.StepBlink, schemas.StepTurnRight},
}

// Synthesized counts what Synthesize wrote.
type Synthesized struct {
	FaceImages, LiveCases, AttackCases int
	Skipped                            []string // photos left out of liveness, with why
}

// photo is a source photo and its face.
type photo struct {
	id   string // identity: the file's stem without trailing digits
	stem string
	img  image.Image
	face synth.Face
	ok   bool // face large enough for liveness
}

// Synthesize writes labelled inputs for both evaluations under out:
// out/facematch/<identity>/<transform>.jpg|png (every photo through
// synth.Transforms; photos named alike but for trailing digits, such as
// basketball1 and basketball2, are one identity) and out/liveness/<case>/
// with case.json and frames, for every photo whose face is large enough:
// for each challenge, three bona fide sequences drawn from the BonaFide…
// ranges and one case of each measurable attack type of Attacks, then the
// light challenge's cases (two bona fide, one of each light attack).
// Progress goes to w (package progress: a line per photo off a terminal).
func Synthesize(e Locator, photos []string, out string, w io.Writer) (Synthesized, error) {
	var s Synthesized
	var srcs []photo
	m := progress.New(w)
	for _, p := range photos {
		ph, err := locate(e, p)
		if err != nil {
			return s, err
		}
		srcs = append(srcs, ph)
		n, err := writeTransforms(ph, filepath.Join(out, "facematch", ph.id))
		if err != nil {
			return s, err
		}
		s.FaceImages += n
		m.Step("wrote %d face-match images", s.FaceImages)
	}
	m.Done()
	var usable []photo
	for _, ph := range srcs {
		if ph.ok {
			usable = append(usable, ph)
		} else {
			s.Skipped = append(s.Skipped, ph.stem+": no single face as wide as the liveness stage reads")
		}
	}
	m = progress.New(w)
	for i, ph := range usable {
		other := usable[(i+1)%len(usable)]
		for ci := range Challenges {
			live, attacks, err := writeCases(ph, other, ci, filepath.Join(out, "liveness"), uint64(i*len(Challenges)+ci))
			if err != nil {
				return s, err
			}
			s.LiveCases += live
			s.AttackCases += attacks
			m.Frame("wrote %d liveness cases", s.LiveCases+s.AttackCases)
		}
		m.Step("wrote %d liveness cases", s.LiveCases+s.AttackCases)
	}
	m.Done()
	return s, nil
}

func locate(e Locator, path string) (photo, error) {
	img, err := loadImage(path)
	if err != nil {
		return photo{}, err
	}
	stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	ph := photo{id: strings.TrimRight(stem, "0123456789"), stem: stem, img: img}
	if ph.id == "" {
		ph.id = stem
	}
	faces, err := e.Detect(img)
	if err != nil {
		return photo{}, fmt.Errorf("evaluation: detect %s: %w", path, err)
	}
	if len(faces) == 0 {
		return ph, nil
	}
	f := face.Largest(faces)
	if ph.face, err = faceOf(e, img, f); err != nil {
		return photo{}, fmt.Errorf("evaluation: %s: %w", path, err)
	}
	ph.ok = len(faces) == 1 && f.Box.Width() >= challenge.DefaultMinFacePixels
	return ph, nil
}

// Locate finds the largest face of img and its landmarks, as
// synth.Sequence wants them.
func Locate(e Locator, img image.Image) (synth.Face, error) {
	faces, err := e.Detect(img)
	if err != nil {
		return synth.Face{}, fmt.Errorf("evaluation: detect: %w", err)
	}
	if len(faces) == 0 {
		return synth.Face{}, fmt.Errorf("evaluation: no face found")
	}
	return faceOf(e, img, face.Largest(faces))
}

func faceOf(e Locator, img image.Image, f face.Face) (synth.Face, error) {
	lm, err := e.Landmarks(img, f)
	if err != nil {
		return synth.Face{}, fmt.Errorf("evaluation: landmarks: %w", err)
	}
	out := synth.Face{Box: synth.Box{X1: f.Box.X1, Y1: f.Box.Y1, X2: f.Box.X2, Y2: f.Box.Y2}}
	for i, p := range lm {
		out.Landmarks[i] = synth.Point{X: p.X, Y: p.Y}
	}
	return out, nil
}

func writeTransforms(ph photo, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("evaluation: %w", err)
	}
	stem := ph.stem
	n := 0
	for _, t := range synth.Transforms() {
		img, err := t.Apply(ph.img)
		if err != nil {
			return n, err
		}
		name := fmt.Sprintf("%s_%s", stem, t.Name)
		if err := writeJPEG(filepath.Join(dir, name+".jpg"), img, 95); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// writeCases writes one challenge's bona fide and attack cases for a
// photo (Attacks says how each attack is made). seed sets the sensor noise
// of the tuning-rendered cases; the bona fide draws come from their own
// fixed seed (bonaFideSeed), so they do not move with the attacks.
func writeCases(ph, other photo, ci int, dir string, seed uint64) (live, attacks int, err error) {
	steps := Challenges[ci]
	tag := ph.stem + "_" + strings.Join(steps, "-")
	rng := rand.New(rand.NewPCG(seed, 7))
	draws := rand.New(rand.NewPCG(bonaFideSeed, seed))
	seq := func(img image.Image, s []string) []image.Image {
		return asImages(synth.Sequence(img, ph.face, s, rng.Uint64()))
	}
	// recorded is a genuine session drawn as the bona fide set is.
	recorded := func(p photo, s []string) ([]image.Image, Case) {
		r, q := drawBonaFide(draws)
		return asImages(synth.Rendered(p.img, p.face, s, r, draws.Uint64())), Case{Render: &r, Quality: q}
	}
	type out struct {
		kind   string
		frames []image.Image
		c      Case
	}
	var cases []out
	for i := range 3 {
		frames, c := recorded(ph, steps)
		c.Live = true
		cases = append(cases, out{fmt.Sprintf("%s_%d", KindBonaFide, i+1), frames, c})
	}
	replay, rc := recorded(ph, steps)
	replayOther, oc := recorded(ph, Challenges[(ci+1)%len(Challenges)])
	mine, _ := recorded(ph, steps)
	theirs, tc := recorded(other, steps)
	none := make([]string, len(steps))
	cases = append(cases,
		out{"printed_photo", seq(synth.Halftone(ph.img), none), Case{}},
		out{"photo_on_screen", seq(synth.Moire(ph.img), none), Case{}},
		out{"still_frames", repeat(ph.img, 1+len(steps)), Case{}},
		out{"photo_animation", seq(ph.img, steps), Case{Render: &synth.Tuning}},
		out{"session_replay", replay, rc},
		out{"session_replay_other_challenge", replayOther, oc},
	)
	if other.id != ph.id {
		cases = append(cases, out{"frames_from_other_session", append(mine[:1], theirs[1:]...), tc})
	}
	light, err := lightCases(ph, steps, draws)
	if err != nil {
		return live, attacks, err
	}
	for _, c := range cases {
		c.c.Steps = steps
		c.c.Kind = strings.TrimRight(strings.TrimRight(c.kind, "0123456789"), "_")
		if c.c.Quality == 0 {
			c.c.Quality = 92
		}
		if err := writeCase(filepath.Join(dir, tag+"_"+c.kind), c.c, c.frames); err != nil {
			return live, attacks, err
		}
		if c.c.Live {
			live++
		} else {
			attacks++
		}
	}
	for _, c := range light {
		c.label.Steps = steps
		c.label.Kind = strings.TrimRight(strings.TrimRight(c.kind, "0123456789"), "_")
		if c.label.Quality == 0 {
			c.label.Quality = 92
		}
		dir := filepath.Join(dir, tag+"_"+c.kind)
		if err := writeCase(dir, c.label, c.selfie); err != nil {
			return live, attacks, err
		}
		if err := writeFrames(lightDir(dir), c.light, c.label.Quality); err != nil {
			return live, attacks, err
		}
		if c.label.Live {
			live++
		} else {
			attacks++
		}
	}
	return live, attacks, nil
}

func writeCase(dir string, c Case, frames []image.Image) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "case.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	return writeFrames(dir, frames, c.Quality)
}

// writeFrames writes frames into dir as 00.jpg, 01.jpg, … at quality.
func writeFrames(dir string, frames []image.Image, quality int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	for i, f := range frames {
		if err := writeJPEG(filepath.Join(dir, fmt.Sprintf("%02d.jpg", i)), f, quality); err != nil {
			return err
		}
	}
	return nil
}

func writeJPEG(path string, img image.Image, quality int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: quality}); err != nil {
		f.Close()
		return fmt.Errorf("evaluation: encode %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	return nil
}

func asImages(frames []*image.RGBA) []image.Image {
	out := make([]image.Image, len(frames))
	for i, f := range frames {
		out[i] = f
	}
	return out
}

func repeat(img image.Image, n int) []image.Image {
	out := make([]image.Image, n)
	for i := range out {
		out[i] = img
	}
	return out
}
