package liveness

import (
	"bytes"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/reflection"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/imagegate"
)

// BenchmarkLightFrames is the stage's added CPU work for the light
// challenge on one verification once its captures are opened: its 8 light
// frames (Grace Hopper's photo lit by a drawn sequence at strength 0.3,
// JPEG 90) each decoded behind the pixel cap and measured
// (reflection.Measure: detection, landmarks, embedding, the inner face's
// colour), then judged against the sequence. Add BenchmarkLivenessFrames
// for a light session's whole liveness check.
func BenchmarkLightFrames(b *testing.B) {
	e := facetest.Engine(b)
	if err := e.Warm(); err != nil {
		b.Fatal(err)
	}
	img := facetest.Photo(b, "grace_hopper.jpg")
	f := facetest.Locate(b, e, img)
	rng := rand.New(rand.NewPCG(1, 2))
	seq := evaluation.DrawSequence(rng)
	times := evaluation.LightTimes(rng, seq)
	frames, err := evaluation.LightFrames(img, f, seq, times, 0.3, synth.Tuning, 3)
	if err != nil {
		b.Fatal(err)
	}
	var encoded [][]byte
	for _, fr := range frames {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, fr, &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		encoded = append(encoded, buf.Bytes())
	}
	ref, _, err := reflection.Measure(e, img, reflection.Config{})
	if err != nil {
		b.Fatal(err)
	}
	s := New(Deps{Engine: e}, Config{})
	facetest.CPULoop(b, func(int) {
		measured := make([]reflection.Frame, 0, len(encoded))
		for k, data := range encoded {
			img, reason := imagegate.Decode(data, s.cfg.MaxPixels)
			if reason != "" {
				b.Fatal(reason)
			}
			fr, reason, err := reflection.Measure(s.deps.Engine, img, s.cfg.Light)
			if err != nil || reason != "" {
				b.Fatal(reason, err)
			}
			fr.Index, fr.Ms = k, times[k]
			measured = append(measured, fr)
		}
		if v := reflection.Judge(measured, ref.Embedding, seq, s.cfg.Light); len(v.Reasons) > 0 {
			b.Fatal(v.Reasons)
		}
	})
}
