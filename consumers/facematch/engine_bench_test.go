package facematch

import (
	"testing"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/selfie"
	"github.com/idv-oss/idv/imagegate"
)

// BenchmarkFaceMatch is the stage's CPU work on one verification of the real
// load (facetest.Workload: a card photo and three frames) once its captures
// are opened: each decoded behind the pixel cap as capture.OpenImage does,
// its face found and embedded (embedDocument; a frame's analysis with no
// Analyses to share it, and selfieEmbedding), and the frames scored against
// the document. Storage, decryption and the database are left out.
func BenchmarkFaceMatch(b *testing.B) {
	e := facetest.Engine(b)
	if err := e.Warm(); err != nil {
		b.Fatal(err)
	}
	vs := facetest.Workload(b, e)
	s := New(Deps{Engine: e}, Config{})
	embed := func(data []byte, document bool) []float32 {
		img, reason := imagegate.Decode(data, s.cfg.MaxPixels)
		if reason != "" {
			b.Fatal(reason)
		}
		var reasons idv.Reasons
		var v []float32
		var err error
		if document {
			v, err = s.embedDocument(img, "benchmark", &reasons)
		} else {
			var a selfie.Analysis
			var none *selfie.Analyses
			a, err = none.Analyse(b.Context(), e, img, idv.Capture{}, s.cfg.MaxPixels, s.cfg.MinFacePixels)
			v = s.selfieEmbedding(a, &reasons)
		}
		if err != nil || v == nil {
			b.Fatal(reasons, err)
		}
		return v
	}
	facetest.CPULoop(b, func(i int) {
		v := vs[i%len(vs)]
		ref := embed(v.Document, true)
		for _, f := range v.Frames {
			if c := face.Cosine(ref, embed(f, false)); c < s.cfg.Threshold {
				b.Fatalf("frame scored %.3f", c)
			}
		}
	})
}
