package selfie_test

import (
	"errors"
	"fmt"
	"image"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/rules"
	"github.com/idv-oss/idv/face/selfie"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/schemas"
)

// counting counts the model runs a shared analysis saves.
type counting struct {
	*face.Engine
	detects, landmarks, embeds atomic.Int32
}

func (c *counting) Detect(img image.Image) ([]face.Face, error) {
	c.detects.Add(1)
	return c.Engine.Detect(img)
}

func (c *counting) Landmarks(img image.Image, f face.Face) ([68]face.Point, error) {
	c.landmarks.Add(1)
	return c.Engine.Landmarks(img, f)
}

func (c *counting) EmbedLandmarks(img image.Image, lm [68]face.Point) ([]float32, error) {
	c.embeds.Add(1)
	return c.Engine.EmbedLandmarks(img, lm)
}

// Before the analyses were shared, the face match read a selfie frame with
// matchBefore and the liveness check with measureBefore (commit 0b81a8c's
// facematch.embedImage and challenge.Measure).

// matchBefore is the face match's reading of a selfie frame: its one face,
// at least rules.MinFacePixels wide, embedded by Embed; or the reason.
func matchBefore(e *face.Engine, img image.Image) ([]float32, string, error) {
	img = face.Prepare(img)
	faces, err := e.Detect(img)
	switch {
	case err != nil:
		return nil, "", err
	case len(faces) == 0:
		return nil, "no_face_selfie", nil
	case len(faces) > 1:
		return nil, "multiple_faces", nil
	}
	f := face.Largest(faces)
	if f.Box.Width() < rules.MinFacePixels {
		return nil, "low_quality", nil
	}
	v, err := e.Embed(img, f)
	if errors.Is(err, face.ErrNoFace) {
		return nil, "low_quality", nil
	}
	return v, "", err
}

// measureBefore is challenge.Measure as it was.
func measureBefore(e *face.Engine, img image.Image, cfg challenge.Config) (challenge.Frame, string, error) {
	cfg = cfg.WithDefaults()
	img = face.Prepare(img)
	f, reason, err := challenge.OneFace(e, img, cfg.MinFacePixels)
	if err != nil || reason != "" {
		return challenge.Frame{}, reason, err
	}
	lm, err := e.Landmarks(img, f)
	if errors.Is(err, face.ErrNoFace) {
		return challenge.Frame{}, challenge.ReasonLowQuality, nil
	}
	if err != nil {
		return challenge.Frame{}, "", err
	}
	var fr challenge.Frame
	pose, err := e.HeadPose(img, f)
	if err != nil {
		return challenge.Frame{}, "", err
	}
	fr.Yaw = pose.Yaw
	if fr.Eyes, err = e.Eyes(img, lm); err != nil {
		return challenge.Frame{}, "", err
	}
	if fr.Passive, err = e.Passive(img, f); err != nil {
		return challenge.Frame{}, "", err
	}
	if fr.Embedding, err = e.EmbedLandmarks(img, lm); err != nil {
		return challenge.Frame{}, "", err
	}
	fr.Thumbnail = face.Thumbnail(img, f, 64)
	return fr, "", nil
}

// matchShared is the face match's reading through d (consumers/facematch
// applies the same rule to the analysis it gets).
func matchShared(t *testing.T, d *selfie.Analyses, e selfie.Engine, img image.Image, c idv.Capture) ([]float32, string) {
	t.Helper()
	a, err := d.Analyse(t.Context(), e, img, c, imagegate.DefaultMaxPixels, rules.MinFacePixels)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case len(a.Faces) == 0:
		return nil, "no_face_selfie"
	case len(a.Faces) > 1:
		return nil, "multiple_faces"
	case a.Faces[0].Box.Width() < rules.MinFacePixels || a.Embedding == nil:
		return nil, "low_quality"
	}
	return a.Embedding, ""
}

// measureShared is the liveness check's reading through d, as
// consumers/liveness does it with IDV_LIVENESS_PASSIVE (measureBefore's
// reading runs the passive model).
func measureShared(t *testing.T, d *selfie.Analyses, e *counting, img image.Image, c idv.Capture) (challenge.Frame, string) {
	t.Helper()
	analyse := func(img image.Image, minPixels float64) (selfie.Analysis, error) {
		return d.Analyse(t.Context(), e, img, c, imagegate.DefaultMaxPixels, minPixels)
	}
	fr, reason, err := challenge.MeasureWith(e, img, challenge.Config{Passive: true}, analyse)
	if err != nil {
		t.Fatal(err)
	}
	return fr, reason
}

// testFrame is a selfie frame and how each stage read it before.
type testFrame struct {
	name    string
	img     image.Image
	v       []float32 // the face match's embedding (matchBefore)
	match   string    // its reason
	fr      challenge.Frame
	measure string // the liveness check's reason (measureBefore)
}

// testFrames are selfie frames of every finding, read as before: the real
// load's frames performing their challenges, and frames with no face, two
// faces, a face too small for either stage, and one wide enough for the
// face match (60 pixels) but not for the liveness check (64).
func testFrames(t *testing.T, e *face.Engine) []testFrame {
	t.Helper()
	var frames []testFrame
	add := func(name string, img image.Image) {
		f := testFrame{name: name, img: img}
		var err error
		if f.v, f.match, err = matchBefore(e, img); err != nil {
			t.Fatal(err)
		}
		if f.fr, f.measure, err = measureBefore(e, img, challenge.Config{}); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
	for i, v := range facetest.Workload(t, e) {
		for k, data := range v.Frames {
			img, reason := imagegate.Decode(data, imagegate.DefaultMaxPixels)
			if reason != "" {
				t.Fatal(reason)
			}
			add(fmt.Sprintf("verification %d frame %d", i, k), img)
		}
	}
	hopper, astronaut := facetest.Photo(t, "grace_hopper.jpg"), facetest.Photo(t, "astronaut.png")
	add("no face", image.NewRGBA(image.Rect(0, 0, 320, 240)))
	add("two faces", facetest.SideBySide(hopper, astronaut))
	add("too small for both", facetest.ScaledFace(t, e, hopper, 30, 40, nil))
	add("wide enough for the face match only", facetest.ScaledFace(t, e, hopper, rules.MinFacePixels, challenge.DefaultMinFacePixels, nil))
	return frames
}

// readBoth is the two stages' readings of f through d, in either order.
func readBoth(t *testing.T, d *selfie.Analyses, e *counting, f testFrame,
	livenessFirst bool) ([]float32, string, challenge.Frame, string) {
	t.Helper()
	c := idv.Capture{SessionID: uuid.New(), Attempt: 1, Kind: schemas.Selfie, ObjectKey: f.name, SHA256: []byte(f.name)}
	if livenessFirst {
		fr, measure := measureShared(t, d, e, f.img, c)
		v, match := matchShared(t, d, e, f.img, c)
		return v, match, fr, measure
	}
	v, match := matchShared(t, d, e, f.img, c)
	fr, measure := measureShared(t, d, e, f.img, c)
	return v, match, fr, measure
}

// runsDue are the detections and embeddings reading f takes: once when
// the first reader reads it in full and shares it, else each reader's own.
func runsDue(f testFrame, shared, livenessFirst bool) (detects, embeds int32) {
	first, second := f.v != nil, f.fr.Embedding != nil
	if livenessFirst {
		first, second = second, first
	}
	switch {
	case shared && first:
		return 1, 1
	case first && second:
		return 2, 2
	case first || second:
		return 2, 1
	}
	return 2, 0
}

// TestSharedReadsAsBefore: on frames of every finding, the face match and
// the liveness check reading each frame through one Analyses — either one
// first — get bit-identical embeddings, the same measurements and the same
// reasons as each reading it alone did before, while the detector, the
// landmark model and the embedding run once a frame both stages use; with
// no Analyses each stage reads every frame itself, as before.
func TestSharedReadsAsBefore(t *testing.T) {
	base := facetest.Engine(t)
	frames := testFrames(t, base)
	for _, run := range []struct {
		name                  string
		shared, livenessFirst bool
	}{{"face match first", true, false}, {"liveness first", true, true}, {"no Analyses", false, false}} {
		e := &counting{Engine: base}
		var d *selfie.Analyses
		if run.shared {
			d = selfie.NewAnalyses(selfie.AnalysesConfig{})
		}
		var detects, embeds int32
		for _, f := range frames {
			v, match, fr, measure := readBoth(t, d, e, f, run.livenessFirst)
			if match != f.match || !slices.Equal(v, f.v) {
				t.Errorf("%s (%s): face match reason %q, embedding as before %v; want reason %q",
					f.name, run.name, match, slices.Equal(v, f.v), f.match)
			}
			if measure != f.measure || !reflect.DeepEqual(fr, f.fr) {
				t.Errorf("%s (%s): liveness reason %q, frame as before %v; want reason %q",
					f.name, run.name, measure, reflect.DeepEqual(fr, f.fr), f.measure)
			}
			dd, de := runsDue(f, run.shared, run.livenessFirst)
			detects, embeds = detects+dd, embeds+de
		}
		if d, m := e.detects.Load(), e.embeds.Load(); d != detects || m != embeds || e.landmarks.Load() != m {
			t.Errorf("%s: %d detections, %d landmark runs, %d embeddings; want %d, %d, %d",
				run.name, d, e.landmarks.Load(), m, detects, embeds, embeds)
		}
		t.Logf("%s: %d frames: %d detections, %d landmark runs, %d embeddings",
			run.name, len(frames), e.detects.Load(), e.landmarks.Load(), e.embeds.Load())
	}
	partial := func(f testFrame) bool { return f.v == nil || f.fr.Embedding == nil }
	if full := len(slices.DeleteFunc(slices.Clone(frames), partial)); full < 12 {
		t.Errorf("only %d frames both stages read in full, want the load's 12", full)
	}
}
