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
	"slices"
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
// live sequences of each challenge (plain, dark, JPEG quality 60) and
// attacks (a replayed still, a photo held still, a print held still, steps
// in the wrong order, the turn the wrong way, another person after frame 0).
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
		for ci, steps := range Challenges {
			live, attacks, err := writeCases(ph, other, steps, filepath.Join(out, "liveness"), uint64(i*len(Challenges)+ci))
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

// writeCases writes one challenge's live and attack cases for a photo.
func writeCases(ph, other photo, steps []string, dir string, seed uint64) (live, attacks int, err error) {
	tag := ph.stem + "_" + strings.Join(steps, "-")
	rng := rand.New(rand.NewPCG(seed, 7))
	write := func(kind string, isLive bool, frames []image.Image, quality int) error {
		return writeCase(filepath.Join(dir, tag+"_"+kind), Case{Steps: steps, Live: isLive, Kind: kind}, frames, quality)
	}
	seq := func(img image.Image, f synth.Face, s []string) []image.Image {
		return asImages(synth.Sequence(img, f, s, rng.Uint64()))
	}
	dark := synth.Levels(ph.img, 0.6, 0)
	cases := []struct {
		kind    string
		live    bool
		frames  []image.Image
		quality int
	}{
		{"live", true, seq(ph.img, ph.face, steps), 92},
		{"live_dark", true, seq(dark, ph.face, steps), 92},
		{"live_jpeg60", true, seq(ph.img, ph.face, steps), 60},
		{"replayed_still", false, repeat(ph.img, 1+len(steps)), 92},
		{"photo_held_still", false, seq(ph.img, ph.face, make([]string, len(steps))), 92},
		{"print_held_still", false, seq(synth.Halftone(ph.img), ph.face, make([]string, len(steps))), 92},
		{"wrong_order", false, seq(ph.img, ph.face, reversed(steps)), 92},
		{"wrong_direction", false, seq(ph.img, ph.face, flipped(steps)), 92},
		{"other_person", false, append(seq(ph.img, ph.face, nil), seq(other.img, other.face, steps)[1:]...), 92},
	}
	for _, c := range cases {
		if c.kind == "other_person" && other.id == ph.id {
			continue
		}
		if err := write(c.kind, c.live, c.frames, c.quality); err != nil {
			return live, attacks, err
		}
		if c.live {
			live++
		} else {
			attacks++
		}
	}
	return live, attacks, nil
}

func writeCase(dir string, c Case, frames []image.Image, quality int) error {
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

func reversed(steps []string) []string {
	out := slices.Clone(steps)
	slices.Reverse(out)
	return out
}

// flipped swaps the direction of every turn.
func flipped(steps []string) []string {
	out := slices.Clone(steps)
	for i, s := range out {
		switch s {
		case schemas.StepTurnLeft:
			out[i] = schemas.StepTurnRight
		case schemas.StepTurnRight:
			out[i] = schemas.StepTurnLeft
		}
	}
	return out
}
