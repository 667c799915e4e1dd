package reflection_test

import (
	"image"
	"slices"
	"testing"

	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/reflection"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/schemas"
)

// measure measures frames with the engine, at times.
func measure(t *testing.T, e reflection.Engine, frames []image.Image) []reflection.Frame {
	t.Helper()
	var out []reflection.Frame
	for i, img := range frames {
		f, reason, err := reflection.Measure(e, img, reflection.Config{})
		if err != nil || reason != "" {
			t.Fatalf("frame %d: %q %v", i, reason, err)
		}
		f.Index, f.Ms = i, times[i]
		out = append(out, f)
	}
	return out
}

// TestMeasuredOnAPhoto: Grace Hopper's photo lit by the sequence through
// the whole frame, as the capture page's browser test does (strength 0.3)
// and weaker (0.1), with sensor noise, passes; lit by another sequence,
// or not lit at all, it does not.
func TestMeasuredOnAPhoto(t *testing.T) {
	e := facetest.Engine(t)
	img := facetest.Photo(t, "grace_hopper.jpg")
	f := facetest.Locate(t, e, img)
	ref, reason, err := reflection.Measure(e, img, reflection.Config{})
	if err != nil || reason != "" {
		t.Fatalf("%q %v", reason, err)
	}
	render := synth.Render{Noise: 3, Gain: 1}
	other := seq
	other.Sequence = slices.Clone(seq.Sequence)
	other.Sequence[2].Colour = "#33cc66"
	for _, tc := range []struct {
		name   string
		lights schemas.LightSequence
		s      float64
		want   []string
	}{
		{"the drawn sequence at 0.3", seq, 0.3, nil},
		{"the drawn sequence at 0.1", seq, 0.1, nil},
		{"another sequence", other, 0.3, []string{challenge.ReasonLightMismatch}},
		{"no reflection", seq, 0, []string{challenge.ReasonLightMismatch}},
	} {
		frames, err := evaluation.LightFrames(img, f, tc.lights, times, tc.s, render, 7)
		if err != nil {
			t.Fatal(err)
		}
		v := reflection.Judge(measure(t, e, frames), ref.Embedding, seq, reflection.Config{})
		if !slices.Equal(v.Reasons, tc.want) {
			t.Errorf("%s: %v, want %v (shift %.3f cosine %.2f)", tc.name, v.Reasons, tc.want, v.Shift, v.Cosine)
		}
	}
}
