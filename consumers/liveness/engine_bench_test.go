package liveness

import (
	"testing"

	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/imagegate"
)

// BenchmarkLivenessFrames is the stage's CPU work on one verification of the
// real load (facetest.Workload: three frames performing a challenge) once
// its captures are opened: each frame decoded behind the pixel cap as
// capture.OpenImage does and measured (challenge.Measure), then the
// sequence judged. Storage, decryption and the database are left out.
func BenchmarkLivenessFrames(b *testing.B) {
	e := facetest.Engine(b)
	if err := e.Warm(); err != nil {
		b.Fatal(err)
	}
	vs := facetest.Workload(b, e)
	s := New(Deps{Engine: e}, Config{})
	facetest.CPULoop(b, func(i int) {
		v := vs[i%len(vs)]
		frames := make([]challenge.Frame, 0, len(v.Frames))
		for k, data := range v.Frames {
			img, reason := imagegate.Decode(data, s.cfg.MaxPixels)
			if reason != "" {
				b.Fatal(reason)
			}
			f, reason, err := challenge.Measure(s.deps.Engine, img, s.cfg.Challenge)
			if err != nil || reason != "" {
				b.Fatal(reason, err)
			}
			f.Index = k
			frames = append(frames, f)
		}
		if verdict := challenge.Judge(frames, v.Challenge, s.cfg.Challenge); len(verdict.Reasons) > 0 {
			b.Fatal(verdict.Reasons)
		}
	})
}
