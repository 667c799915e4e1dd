package selfie_test

import (
	"image"
	"testing"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/rules"
	"github.com/idv-oss/idv/face/selfie"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/schemas"
)

// BenchmarkBothStages is what the face match and the liveness check compute
// on the selfie frames of one verification of the real load
// (facetest.Workload: three frames performing a challenge), decoded once as
// capture.Decodes hands them to both: the face match's reading of each
// frame (its analysis and width rule), and the liveness check's
// (challenge.MeasureWith) and judgement. "alone": each stage reads every
// frame itself (no Analyses); "shared": through one Analyses, the face
// match first. The document's face, which only the face match reads, is
// left out (BenchmarkFaceMatch in consumers/facematch has it).
func BenchmarkBothStages(b *testing.B) {
	e := facetest.Engine(b)
	if err := e.Warm(); err != nil {
		b.Fatal(err)
	}
	vs := facetest.Workload(b, e)
	frames := make([][]image.Image, len(vs))
	for i, v := range vs {
		for _, data := range v.Frames {
			img, reason := imagegate.Decode(data, imagegate.DefaultMaxPixels)
			if reason != "" {
				b.Fatal(reason)
			}
			frames[i] = append(frames[i], img)
		}
	}
	for _, shared := range []bool{false, true} {
		name := map[bool]string{false: "alone", true: "shared"}[shared]
		b.Run(name, func(b *testing.B) {
			var d *selfie.Analyses
			if shared {
				d = selfie.NewAnalyses(selfie.AnalysesConfig{})
			}
			facetest.CPULoop(b, func(i int) {
				v := vs[i%len(vs)]
				session := uuid.New() // a verification of its own: nothing shared across them
				measured := make([]challenge.Frame, 0, len(v.Frames))
				for k, img := range frames[i%len(vs)] {
					c := idv.Capture{SessionID: session, Attempt: 1, Kind: schemas.Selfie, Index: k,
						ObjectKey: schemas.ObjectKey("tenant", session.String(), 1, schemas.Selfie, k), SHA256: []byte("sealed")}
					a, err := d.Analyse(b.Context(), e, img, c, imagegate.DefaultMaxPixels, rules.MinFacePixels)
					if err != nil || a.Embedding == nil || a.Faces[0].Box.Width() < rules.MinFacePixels {
						b.Fatal("face match: ", err)
					}
					clear(a.Embedding)
					analyse := func(img image.Image, minPixels float64) (selfie.Analysis, error) {
						return d.Analyse(b.Context(), e, img, c, imagegate.DefaultMaxPixels, minPixels)
					}
					fr, reason, err := challenge.MeasureWith(e, img, challenge.Config{}, analyse)
					if err != nil || reason != "" {
						b.Fatal("liveness: ", reason, err)
					}
					fr.Index = k
					measured = append(measured, fr)
				}
				if verdict := challenge.Judge(measured, v.Challenge, challenge.Config{}); len(verdict.Reasons) > 0 {
					b.Fatal(verdict.Reasons)
				}
			})
		})
	}
}
