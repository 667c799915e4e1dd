package face_test

import (
	"image"
	"math"
	"testing"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/synth"
)

// oneFace detects the single face of img.
func oneFace(t *testing.T, e *face.Engine, img image.Image) face.Face {
	t.Helper()
	faces, err := e.Detect(img)
	if err != nil || len(faces) != 1 {
		t.Fatalf("%d faces, %v; want one", len(faces), err)
	}
	return faces[0]
}

// TestHeadPoseFollowsTurn: the pose model reads both photos as roughly
// straight, and a synthetic turn towards the image's left as positive yaw,
// towards its right as negative, beyond the liveness stage's 15°.
func TestHeadPoseFollowsTurn(t *testing.T) {
	e := facetest.Engine(t)
	for _, name := range []string{"grace_hopper.jpg", "astronaut.png"} {
		img := facetest.Photo(t, name)
		f := facetest.Locate(t, e, img)
		yaw := func(deg float64) float64 {
			t.Helper()
			im := synth.TurnHead(img, f.Box, deg)
			p, err := e.HeadPose(im, oneFace(t, e, im))
			if err != nil {
				t.Fatal(err)
			}
			return p.Yaw
		}
		straight, left, right := yaw(0), yaw(synth.TurnDegrees), yaw(-synth.TurnDegrees)
		t.Logf("%s: yaw straight %.1f°, turned +%d° %.1f°, −%d° %.1f°", name, straight, synth.TurnDegrees, left, synth.TurnDegrees, right)
		if math.Abs(straight) > 10 || left < 15 || right > -15 {
			t.Errorf("%s: yaw straight %.1f, +turn %.1f, −turn %.1f", name, straight, left, right)
		}
	}
}

// TestEyesClosedByPaint: open eyes read as open, painted-shut ones as
// closed.
func TestEyesClosedByPaint(t *testing.T) {
	e := facetest.Engine(t)
	for _, name := range []string{"grace_hopper.jpg", "astronaut.png"} {
		img := facetest.Photo(t, name)
		f := facetest.Locate(t, e, img)
		eyes := func(im image.Image) face.Eyes {
			t.Helper()
			lm, err := e.Landmarks(im, oneFace(t, e, im))
			if err != nil {
				t.Fatal(err)
			}
			ey, err := e.Eyes(im, lm)
			if err != nil {
				t.Fatal(err)
			}
			return ey
		}
		open, shut := eyes(img), eyes(synth.CloseEyes(img, f.Landmarks))
		t.Logf("%s: closure open %.2f/%.2f, painted shut %.2f/%.2f", name, open.Left, open.Right, shut.Left, shut.Right)
		if open.Closed() > 0.2 || math.Min(shut.Left, shut.Right) < 0.6 {
			t.Errorf("%s: open eyes %+v, shut eyes %+v", name, open, shut)
		}
	}
}

// TestPassiveIsAProbability: the advisory score is a probability, and
// the same frame scores the same.
func TestPassiveIsAProbability(t *testing.T) {
	e := facetest.Engine(t)
	img := facetest.Photo(t, "grace_hopper.jpg")
	f := oneFace(t, e, img)
	a, err := e.Passive(img, f)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.Passive(img, f)
	if a < 0 || a > 1 || a != b {
		t.Fatalf("passive %v then %v", a, b)
	}
}

// TestThumbnailTellsSamePictureFromNewFrame: a picture compared with itself
// differs by 0, and re-encoded by less than the liveness stage's replay
// bound of 0.35 grey levels; a re-take with sensor noise by more.
func TestThumbnailTellsSamePictureFromNewFrame(t *testing.T) {
	e := facetest.Engine(t)
	img := facetest.Photo(t, "grace_hopper.jpg")
	f := oneFace(t, e, img)
	frames := synth.Sequence(img, facetest.Locate(t, e, img), []string{""}, 1)
	a := face.Thumbnail(img, f, 64)
	same := face.MeanAbsDiff(a, face.Thumbnail(img, f, 64))
	retake := face.MeanAbsDiff(face.Thumbnail(frames[0], f, 64), face.Thumbnail(frames[1], f, 64))
	again, err := synth.JPEG(img, 92)
	if err != nil {
		t.Fatal(err)
	}
	reencoded := face.MeanAbsDiff(a, face.Thumbnail(again, f, 64))
	t.Logf("same picture %.3f, re-encoded at JPEG quality 92 %.3f, re-take %.3f grey levels", same, reencoded, retake)
	if same != 0 || reencoded >= 0.35 || retake <= 0.35 {
		t.Fatalf("same picture %.3f, re-take %.3f", same, retake)
	}
	if d := face.MeanAbsDiff(a, a[:10]); d != -1 {
		t.Fatalf("sizes differ: %v, want −1", d)
	}
}

// BenchmarkHeadPose, BenchmarkEyes and BenchmarkPassive time the models the
// liveness stage adds to detection and embedding, on one detected face.
func BenchmarkHeadPose(b *testing.B) {
	e, img, f := benchFace(b)
	for b.Loop() {
		if _, err := e.HeadPose(img, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEyes(b *testing.B) {
	e, img, f := benchFace(b)
	lm, err := e.Landmarks(img, f)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Eyes(img, lm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPassive(b *testing.B) {
	e, img, f := benchFace(b)
	for b.Loop() {
		if _, err := e.Passive(img, f); err != nil {
			b.Fatal(err)
		}
	}
}

func benchFace(b *testing.B) (*face.Engine, image.Image, face.Face) {
	e := facetest.Engine(b)
	img := facetest.Photo(b, "grace_hopper.jpg")
	faces, err := e.Detect(img)
	if err != nil || len(faces) != 1 {
		b.Fatalf("%d faces, %v", len(faces), err)
	}
	return e, img, faces[0]
}

// TestWarm: every loaded model runs on zeros.
func TestWarm(t *testing.T) {
	if err := facetest.Engine(t).Warm(); err != nil {
		t.Fatal(err)
	}
}
