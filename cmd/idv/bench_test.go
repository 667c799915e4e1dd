package main

import (
	"bytes"
	"image"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/evaluation"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/synth"
	"github.com/idv-oss/idv/schemas"
)

// BenchmarkVerification runs whole verifications with the document, face
// and liveness checks (Grace Hopper's photo as the document, three
// challenge frames made from it) through the system one at a time, from
// upload to signed webhook, and reports per verification the milliseconds
// each stage's handler took (idv_stage_duration_seconds) and, for
// comparison, the bare face engine's on the same decoded images: what
// facematch and liveness compute, without broker, database, storage,
// decryption or decoding.
func BenchmarkVerification(b *testing.B) {
	doc := holderCard(b)
	e := facetest.Engine(b)
	holder := facetest.Photo(b, "grace_hopper.jpg")
	holderFace := facetest.Locate(b, e, holder)
	s := startSystemWith(b, systemOptions{checks: []string{schemas.CheckDocument, schemas.CheckFace, schemas.CheckLiveness}})
	var frames []image.Image
	verify := func() {
		v := s.newVerification()
		v.replace(schemas.DocumentFront, doc)
		frames = asImages(synth.Sequence(holder, holderFace, v.session.Challenge.Steps, 7))
		v.setSelfies(b, frames)
		if r := s.await(v, s.submit(v, nil)); r.Decision != schemas.DecisionApproved {
			b.Fatalf("decision %s", r.Decision)
		}
	}
	verify() // warm: the first run of each ONNX session allocates
	before := stageSeconds(b, s)
	n := 0
	for b.Loop() {
		verify()
		n++
	}
	after := stageSeconds(b, s)
	for _, st := range []string{"doccheck", "facematch", "liveness", "decision", "notify"} {
		b.ReportMetric(1000*(after[st]-before[st])/float64(n), st+"-ms/verification")
	}
	b.ReportMetric(bareEngineMillis(b, e, doc, frames), "bare-engine-ms/verification")
}

// stageSeconds sums idv_stage_duration_seconds per stage.
func stageSeconds(b *testing.B, s *system) map[string]float64 {
	mfs, err := s.reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "idv_stage_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[label(m, "stage")] += m.GetHistogram().GetSampleSum()
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// bareEngineMillis is the mean time, over ten rounds, of what the face
// stages ask of the engine for one verification (evaluation.Bare).
func bareEngineMillis(b *testing.B, e *face.Engine, doc []byte, frames []image.Image) float64 {
	docImg, _, err := image.Decode(bytes.NewReader(doc))
	if err != nil {
		b.Fatal(err)
	}
	const rounds = 10
	start := time.Now()
	for range rounds {
		if err := evaluation.Bare(e, docImg, frames, challenge.Config{}); err != nil {
			b.Fatal(err)
		}
	}
	return float64(time.Since(start).Milliseconds()) / rounds
}
