package synth

import (
	"image"
	"image/color"
	"slices"
	"testing"

	"github.com/idv-oss/idv/schemas"
)

// gradient is a test card whose every pixel differs from its neighbours.
func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	return img
}

func differs(a, b *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				n++
			}
		}
	}
	return n
}

func TestTurnHeadStaysInsideTheFace(t *testing.T) {
	src := gradient(200, 200)
	box := Box{80, 60, 120, 110}
	out := TurnHead(src, box, 30)
	if n := differs(src, out, image.Rect(0, 0, 200, 40)); n != 0 {
		t.Fatalf("%d pixels changed well above the face", n)
	}
	if n := differs(src, out, image.Rect(130, 0, 200, 200)); n != 0 {
		t.Fatalf("%d pixels changed beside the face", n)
	}
	if n := differs(src, out, image.Rect(80, 60, 120, 110)); n < 1000 {
		t.Fatalf("only %d pixels of the face changed", n)
	}
	if n := differs(src, TurnHead(src, box, 0), src.Bounds()); n != 0 {
		t.Fatalf("a turn of 0° changed %d pixels", n)
	}
}

func TestCloseEyesPaintsOnlyTheEyes(t *testing.T) {
	src := gradient(200, 200)
	var lm [68]Point
	for i := 36; i < 42; i++ { // an eye around (70, 80), 20 px wide
		lm[i] = Point{60 + float64((i-36)%4)*20/3, 80}
	}
	lm[36], lm[39] = Point{60, 80}, Point{80, 80}
	for i := 42; i < 48; i++ {
		lm[i] = Point{120 + float64((i-42)%4)*20/3, 80}
	}
	lm[42], lm[45] = Point{120, 80}, Point{140, 80}
	out := CloseEyes(src, lm)
	if n := differs(src, out, image.Rect(0, 100, 200, 200)); n != 0 {
		t.Fatalf("%d pixels changed below the eyes", n)
	}
	if n := differs(src, out, image.Rect(62, 76, 78, 84)); n < 100 {
		t.Fatalf("only %d pixels of the left eye changed", n)
	}
}

func TestTransformsKeepTheImage(t *testing.T) {
	src := gradient(64, 48)
	for _, tr := range Transforms() {
		out, err := tr.Apply(src)
		if err != nil {
			t.Fatalf("%s: %v", tr.Name, err)
		}
		want := src.Bounds().Size()
		if tr.Name == "half_size" {
			want = image.Pt(32, 24)
		}
		if got := out.Bounds().Size(); got != want {
			t.Errorf("%s: size %v, want %v", tr.Name, got, want)
		}
	}
}

func TestSequenceFramesDiffer(t *testing.T) {
	src := gradient(120, 120)
	f := Face{Box: Box{30, 30, 90, 90}}
	frames := Sequence(src, f, []string{schemas.StepTurnLeft, schemas.StepBlink, ""}, 3)
	if len(frames) != 4 {
		t.Fatalf("%d frames, want 4", len(frames))
	}
	if n := differs(frames[0], frames[3], src.Bounds()); n < 120*120/2 {
		t.Fatalf("two straight frames share all but %d pixels: no sensor noise", n)
	}
	again := Sequence(src, f, []string{schemas.StepTurnLeft, schemas.StepBlink, ""}, 3)
	if n := differs(frames[1], again[1], src.Bounds()); n != 0 {
		t.Fatalf("the same seed gave other frames (%d pixels differ)", n)
	}
}

func TestRenderedBlinkDepthAndExposure(t *testing.T) {
	src := gradient(200, 200)
	f := Face{Box: Box{40, 40, 160, 160}}
	for i := 36; i < 42; i++ {
		f.Landmarks[i] = Point{60 + float64((i-36)%4)*20/3, 80}
	}
	f.Landmarks[36], f.Landmarks[39] = Point{60, 80}, Point{80, 80}
	for i := 42; i < 48; i++ {
		f.Landmarks[i] = Point{120 + float64((i-42)%4)*20/3, 80}
	}
	f.Landmarks[42], f.Landmarks[45] = Point{120, 80}, Point{140, 80}
	open := Render{TurnDegrees: 35, BlinkDepth: 0, Noise: 0, Gain: 1}
	if n := differs(src, open.step(src, f, schemas.StepBlink).(*image.RGBA), src.Bounds()); n != 0 {
		t.Fatalf("a blink of depth 0 changed %d pixels", n)
	}
	eye := image.Rect(62, 76, 78, 84)
	shut := Tuning.step(src, f, schemas.StepBlink).(*image.RGBA)
	half := Render{BlinkDepth: 0.5}.step(src, f, schemas.StepBlink).(*image.RGBA)
	if n, full := differs(src, half, eye), differs(src, shut, eye); n < 100 || differs(half, shut, eye) < 100 || full < 100 {
		t.Fatalf("a half blink changed %d eye pixels, a full one %d: want both, and apart", n, full)
	}
	dark := Rendered(src, f, nil, Render{BlinkDepth: 1, Gain: 0.5}, 1)[0]
	if c := dark.RGBAAt(150, 150); c.R > 80 || c.G > 80 {
		t.Fatalf("gain 0.5 left pixel (150,150) at %v, source %v", c, src.RGBAAt(150, 150))
	}
	if !slices.EqualFunc(Sequence(src, f, []string{schemas.StepBlink}, 9), Rendered(src, f, []string{schemas.StepBlink}, Tuning, 9),
		func(a, b *image.RGBA) bool { return differs(a, b, a.Bounds()) == 0 }) {
		t.Fatal("Sequence differs from Rendered with Tuning")
	}
}
