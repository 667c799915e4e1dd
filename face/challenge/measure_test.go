package challenge_test

import (
	"image"
	"slices"
	"testing"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/schemas"
)

// judge measures frames with the real engine and judges them.
func judge(t *testing.T, e challenge.Engine, frames []image.Image, ch schemas.Challenge) []string {
	t.Helper()
	var measured []challenge.Frame
	for i, img := range frames {
		f, reason, err := challenge.Measure(e, img, challenge.Config{})
		if err != nil || reason != "" {
			t.Fatalf("frame %d: reason %q, err %v", i, reason, err)
		}
		measured = append(measured, f)
	}
	return challenge.Judge(measured, ch, challenge.Config{}).Reasons
}

func images(frames []*image.RGBA) []image.Image {
	out := make([]image.Image, len(frames))
	for i, f := range frames {
		out[i] = f
	}
	return out
}

// TestChallengesOnSyntheticSequences: for every challenge the server can
// draw, frames performing it pass; the same steps reversed, the turn the
// wrong way, and one photo sent as every frame fail with their reasons.
func TestChallengesOnSyntheticSequences(t *testing.T) {
	e := facetest.Engine(t)
	img := facetest.Photo(t, "grace_hopper.jpg")
	f := facetest.Locate(t, e, img)
	for i, steps := range [][]string{
		{schemas.StepTurnLeft, schemas.StepBlink}, {schemas.StepBlink, schemas.StepTurnLeft},
		{schemas.StepTurnRight, schemas.StepBlink}, {schemas.StepBlink, schemas.StepTurnRight},
	} {
		ch := schemas.Challenge{Steps: steps}
		if got := judge(t, e, images(synth.Sequence(img, f, steps, uint64(i))), ch); len(got) != 0 {
			t.Errorf("%v performed: reasons %v", ch, got)
		}
		rev := slices.Clone(steps)
		slices.Reverse(rev)
		if got := judge(t, e, images(synth.Sequence(img, f, rev, uint64(i))), ch); !slices.Equal(got, []string{challenge.ReasonWrongOrder}) {
			t.Errorf("%v performed in reverse: reasons %v", ch, got)
		}
		still := []image.Image{img, img, img}
		if got := judge(t, e, still, ch); !slices.Contains(got, challenge.ReasonReplayedFrames) {
			t.Errorf("%v answered with one photo three times: reasons %v", ch, got)
		}
	}
	wrongWay := schemas.Challenge{Steps: []string{schemas.StepTurnLeft, schemas.StepBlink}}
	frames := synth.Sequence(img, f, []string{schemas.StepTurnRight, schemas.StepBlink}, 9)
	if got := judge(t, e, images(frames), wrongWay); !slices.Equal(got, []string{challenge.ReasonStepMissing}) {
		t.Errorf("turned the wrong way: reasons %v", got)
	}
}

// TestMeasureReasons: frames without exactly one large-enough face give
// their reason codes.
func TestMeasureReasons(t *testing.T) {
	e := facetest.Engine(t)
	img := facetest.Photo(t, "grace_hopper.jpg")
	blank := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for _, tc := range []struct {
		name string
		img  image.Image
		want string
	}{
		{"no face", blank, challenge.ReasonNoFaceSelfie},
		{"face too small", synth.Scale(img, 0.25), challenge.ReasonLowQuality},
		{"two faces", facetest.SideBySide(img, img), challenge.ReasonMultipleFaces},
	} {
		_, reason, err := challenge.Measure(e, tc.img, challenge.Config{})
		if err != nil || reason != tc.want {
			t.Errorf("%s: reason %q, err %v; want %q", tc.name, reason, err, tc.want)
		}
	}
}

// BenchmarkMeasure is everything the liveness stage computes on one
// decoded frame: detection, landmarks, pose, eyes, passive score,
// embedding and thumbnail.
func BenchmarkMeasure(b *testing.B) {
	e := facetest.Engine(b)
	img := facetest.Photo(b, "grace_hopper.jpg")
	for b.Loop() {
		if _, reason, err := challenge.Measure(e, img, challenge.Config{}); err != nil || reason != "" {
			b.Fatal(reason, err)
		}
	}
}

// counting counts the landmark runs Measure asks of the engine.
type counting struct {
	*face.Engine
	landmarks, embeds int
}

func (c *counting) Landmarks(img image.Image, f face.Face) ([68]face.Point, error) {
	c.landmarks++
	return c.Engine.Landmarks(img, f)
}

func (c *counting) Embed(img image.Image, f face.Face) ([]float32, error) {
	c.embeds++ // Embed runs the landmark model again
	return c.Engine.Embed(img, f)
}

// TestMeasureRunsLandmarksOnce: a frame's landmarks place both the eyes
// and the embedding's alignment, and the embedding is the one Embed gives.
func TestMeasureRunsLandmarksOnce(t *testing.T) {
	e := facetest.Engine(t)
	img := facetest.Photo(t, "grace_hopper.jpg")
	c := &counting{Engine: e}
	fr, reason, err := challenge.Measure(c, img, challenge.Config{})
	if err != nil || reason != "" {
		t.Fatalf("Measure: reason %q, err %v", reason, err)
	}
	if c.landmarks != 1 || c.embeds != 0 {
		t.Errorf("Measure ran Landmarks %d times and Embed %d times, want once and never", c.landmarks, c.embeds)
	}
	prepared := face.Prepare(img)
	faces, err := e.Detect(prepared)
	if err != nil || len(faces) != 1 {
		t.Fatalf("Detect: %d faces, err %v", len(faces), err)
	}
	want, err := e.Embed(prepared, faces[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fr.Embedding, want) {
		t.Error("Measure's embedding differs from Embed's on the same face")
	}
}

// countingEngine is the real engine, counting its passive model's runs.
type countingEngine struct {
	challenge.Engine
	passive int
}

func (c *countingEngine) Passive(img image.Image, f face.Face) (float64, error) {
	c.passive++
	return c.Engine.Passive(img, f)
}

// TestPassiveOnlyWhenAsked: the advisory passive-liveness model does not
// run on a frame measured with the default config, and its score is 0;
// with Config.Passive it runs once a frame and its score is a probability
// above 0 on this photo.
func TestPassiveOnlyWhenAsked(t *testing.T) {
	e := &countingEngine{Engine: facetest.Engine(t)}
	img := facetest.Photo(t, "grace_hopper.jpg")
	fr, reason, err := challenge.Measure(e, img, challenge.Config{})
	if err != nil || reason != "" || e.passive != 0 || fr.Passive != 0 {
		t.Fatalf("default config: reason %q, err %v, passive model ran %d times, score %v; want it not run", reason, err, e.passive, fr.Passive)
	}
	fr, reason, err = challenge.Measure(e, img, challenge.Config{Passive: true})
	if err != nil || reason != "" || e.passive != 1 || !(fr.Passive > 0 && fr.Passive <= 1) {
		t.Fatalf("Passive set: reason %q, err %v, passive model ran %d times, score %v; want once, a probability above 0", reason, err, e.passive, fr.Passive)
	}
	t.Logf("passive score %.3f", fr.Passive)
}
