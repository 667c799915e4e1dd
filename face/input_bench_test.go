package face

import "testing"

// BenchmarkInput is the Go work that fills each model's input from one
// prepared frame (Grace Hopper's photo as a JPEG of quality 90, as the load
// generator's frames are): the resizes and crops alone, without the model
// (BenchmarkModel) or the decoding. A frame of the liveness stage runs all
// of them once (eye twice); the face match runs detect, landmark and
// feature.
func BenchmarkInput(b *testing.B) {
	e := setup(b, Config{Models: []string{Detector, Landmarker}})
	img := Prepare(reencode(b, hopper(b), 90))
	f := oneFace(b, e, img)
	lm, err := e.Landmarks(img, f)
	if err != nil {
		b.Fatal(err)
	}
	m, err := alignment(lm)
	if err != nil {
		b.Fatal(err)
	}
	px := pixelsOf(img)
	for _, c := range []struct {
		model string
		fill  func(in []float32)
	}{
		{Detector, detectInput(px)},
		{Landmarker, landmarkInput(px, squared(f.Box))},
		{Pose, poseInput(px, poseCrop(f.Box))},
		{Eye, eyeInput(px, eyeCrop(lm[36:42]))},
		{Liveness, passiveInput(px, passiveCrop(f.Box))},
		{Feature, featureInput(px, m)},
	} {
		b.Run(c.model, func(b *testing.B) {
			mod, _ := lookup(c.model)
			in := make([]float32, inputSize(mod))
			cpuLoop(b, func() { c.fill(in) })
		})
	}
	b.Run("thumbnail", func(b *testing.B) {
		cpuLoop(b, func() { Thumbnail(img, f, 64) })
	})
}
