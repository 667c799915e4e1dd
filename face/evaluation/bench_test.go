package evaluation_test

import (
	"image"
	"testing"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/schemas"
)

// verification is one of the real load's verifications (facetest.Workload)
// with its captures decoded, as the load generator's bound times them.
type verification struct {
	challenge schemas.Challenge
	doc       []byte
	frames    [][]byte
	decDoc    image.Image
	decFrames []image.Image
}

// workload opens the engine, warms it up and builds the real load's four
// verifications.
func workload(b *testing.B) (*face.Engine, []verification) {
	b.Helper()
	e := facetest.Engine(b)
	if err := e.Warm(); err != nil {
		b.Fatal(err)
	}
	var out []verification
	for _, v := range facetest.Workload(b, e) {
		d := verification{challenge: v.Challenge, doc: v.Document, frames: v.Frames, decDoc: decode(b, v.Document)}
		for _, f := range v.Frames {
			d.decFrames = append(d.decFrames, decode(b, f))
		}
		out = append(out, d)
	}
	return e, out
}

func decode(b *testing.B, data []byte) image.Image {
	b.Helper()
	img, reason := imagegate.Decode(data, imagegate.DefaultMaxPixels)
	if reason != "" {
		b.Fatal(reason)
	}
	return img
}

// BenchmarkBareMatch is the face match of one verification on decoded
// images (document and three frames), as the load generator's bound times
// it.
func BenchmarkBareMatch(b *testing.B) {
	e, vs := workload(b)
	facetest.CPULoop(b, func(i int) {
		v := vs[i%len(vs)]
		if err := evaluation.BareMatch(e, v.decDoc, v.decFrames); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkBareLiveness is the liveness check of one verification on
// decoded frames, as the load generator's bound times it: as the stage
// runs it by default, and with the advisory passive-liveness model
// (IDV_LIVENESS_PASSIVE).
func BenchmarkBareLiveness(b *testing.B) {
	e, vs := workload(b)
	for _, tc := range []struct {
		name string
		cfg  challenge.Config
	}{{"default", challenge.Config{}}, {"passive", challenge.Config{Passive: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			facetest.CPULoop(b, func(i int) {
				v := vs[i%len(vs)]
				if err := evaluation.BareLiveness(e, v.decFrames, v.challenge, tc.cfg); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkDecode is decoding one verification's captures once each
// (document and three frames), as the stages' decoding gate does.
func BenchmarkDecode(b *testing.B) {
	_, vs := workload(b)
	facetest.CPULoop(b, func(i int) {
		v := vs[i%len(vs)]
		decode(b, v.doc)
		for _, f := range v.frames {
			decode(b, f)
		}
	})
}

// BenchmarkMeasureFrame is challenge.Measure on one decoded frame.
func BenchmarkMeasureFrame(b *testing.B) {
	e, vs := workload(b)
	frames := vs[0].decFrames
	facetest.CPULoop(b, func(i int) {
		if _, reason, err := challenge.Measure(e, frames[i%len(frames)], challenge.Config{}); err != nil || reason != "" {
			b.Fatal(reason, err)
		}
	})
}

// BenchmarkMatchDocument is the face match's work on the document photo:
// prepare, detect, embed the largest face.
func BenchmarkMatchDocument(b *testing.B) {
	e, vs := workload(b)
	facetest.CPULoop(b, func(int) {
		if err := evaluation.BareMatch(e, vs[0].decDoc, nil); err != nil {
			b.Fatal(err)
		}
	})
}
