package facematch_test

import (
	"image"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/consumers/check"
	"github.com/idv-oss/idv/consumers/facematch"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/facetest"
	"github.com/idv-oss/idv/face/selfie"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// countingEngine counts the detections the stage asks of the engine.
type countingEngine struct {
	*face.Engine
	detects atomic.Int32
}

func (c *countingEngine) Detect(img image.Image) ([]face.Face, error) {
	c.detects.Add(1)
	return c.Engine.Detect(img)
}

// stores are the bundle's stores for a stage.
func (b *bundle) stores() check.Stores {
	return check.Stores{Sessions: postgres.NewSessions(b.db.DB), Results: postgres.NewResults(b.db.DB), Keys: b.vault,
		Objects: b.store, Now: func() time.Time { return b.now }}
}

// load is what a check stage reads of a submitted session, before any
// has recorded its result.
func (b *bundle) load(t *testing.T, id uuid.UUID) check.Input {
	t.Helper()
	in, todo, err := check.Load(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id), b.stores(), facematch.Check, nil)
	if err != nil || !todo {
		t.Fatalf("Load: todo %v, %v", todo, err)
	}
	return in
}

// livenessReads reads a session's selfie frames through d as the liveness
// stage does (its analyser, at its narrowest face): the analyses it gets,
// in the captures' order.
func (b *bundle) livenessReads(t *testing.T, d *selfie.Analyses, e selfie.Engine, in check.Input) []selfie.Analysis {
	t.Helper()
	var out []selfie.Analysis
	for _, c := range in.Captures {
		if c.Kind != schemas.Selfie {
			continue
		}
		img, reason, err := capture.OpenImage(t.Context(), b.store, in.Key, c, c.Size, imagegate.DefaultMaxPixels)
		if err != nil || reason != "" {
			t.Fatalf("OpenImage: %q, %v", reason, err)
		}
		a, err := d.Analyse(t.Context(), e, img, c, imagegate.DefaultMaxPixels, challenge.DefaultMinFacePixels)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// result is the stage's stored result of a session, after handling it.
func (b *bundle) result(t *testing.T, st *facematch.Stage, id uuid.UUID) idv.Result {
	t.Helper()
	if err := st.Handle(t.Context(), b.event(t, schemas.TypeSessionSubmitted, id)); err != nil {
		t.Fatal(err)
	}
	res, err := postgres.NewResults(b.db.DB).Get(t.Context(), b.tenant, id, facematch.Check)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// incomplete counts the analyses without an embedding.
func incomplete(as []selfie.Analysis) int32 {
	return int32(len(slices.DeleteFunc(slices.Clone(as), func(a selfie.Analysis) bool { return a.Embedding != nil })))
}

// TestFaceMatchSharesAnalyses: a face match that shares its selfie frames'
// analyses with the liveness check (selfie.Analyses) gives the same
// outcome, reasons and score to the last bit as one that reads every frame
// itself, whether the liveness check read the frames first — the stage then
// detects only the document's face, and the frames the liveness check
// could not read in full — or after it, when the liveness check gets the
// very embeddings it would have computed.
func TestFaceMatchSharesAnalyses(t *testing.T) {
	b := setup(t)
	hopperRaw, hopper := photo(t, "grace_hopper.jpg")
	_, astronaut := photo(t, "astronaut.png")
	narrow := facetest.ScaledFace(t, b.engine, hopper, facematch.DefaultMinFacePixels, challenge.DefaultMinFacePixels, throughJPEG(t))
	for _, c := range []struct {
		name    string
		selfies [][]byte
	}{
		{"same person", [][]byte{encodeJPEG(t, scaled(hopper, 0.9), 85), encodeJPEG(t, scaled(hopper, 1.1), 75),
			encodeJPEG(t, hopper, 92)}},
		{"another person", [][]byte{encodeJPEG(t, scaled(astronaut, 0.9), 85), encodeJPEG(t, astronaut, 80)}},
		{"faces the liveness check finds too narrow", [][]byte{encodeJPEG(t, narrow, 90), encodeJPEG(t, hopper, 90)}},
		{"two faces and none", [][]byte{encodeJPEG(t, facetest.SideBySide(hopper, astronaut), 85), encodeJPEG(t, plain(640, 400), 85)}},
		{"too small", [][]byte{encodeJPEG(t, scaled(hopper, 0.2), 90)}},
	} {
		checks := []string{schemas.CheckDocument, facematch.Check, schemas.CheckLiveness}
		want := b.result(t, b.stage, b.intake(t, checks, hopperRaw, c.selfies...))
		for _, livenessFirst := range []bool{true, false} {
			e := &countingEngine{Engine: b.engine}
			d := selfie.NewAnalyses(selfie.AnalysesConfig{})
			st := facematch.New(facematch.Deps{Stores: b.stores(), Engine: e, Analyses: d}, facematch.Config{})
			id := b.intake(t, checks, hopperRaw, c.selfies...)
			in := b.load(t, id)
			var got idv.Result
			if livenessFirst {
				liveness := b.livenessReads(t, d, e, in)
				e.detects.Store(0)
				got = b.result(t, st, id)
				if n := e.detects.Load(); n != 1+incomplete(liveness) {
					t.Errorf("%s, liveness first: the stage detected faces %d times, want the document and %d frames",
						c.name, n, incomplete(liveness))
				}
			} else {
				alone := b.livenessReads(t, nil, e, in)
				got = b.result(t, st, id)
				e.detects.Store(0)
				shared := b.livenessReads(t, d, e, in)
				for i := range shared {
					if !sameReading(shared[i], alone[i]) {
						t.Errorf("%s, face match first: frame %d's shared analysis reads otherwise than the liveness check's own", c.name, i)
					}
				}
				if n := e.detects.Load(); n != incomplete(shared) {
					t.Errorf("%s, face match first: the liveness check detected faces %d times, want %d: "+
						"only in the frames the face match could not read in full", c.name, n, incomplete(shared))
				}
			}
			if got.Outcome != want.Outcome || !slices.Equal(got.Reasons, want.Reasons) || !sameScore(got.Score, want.Score) {
				t.Errorf("%s (liveness first %v): %s %v score %v; unshared %s %v score %v", c.name, livenessFirst,
					got.Outcome, got.Reasons, deref(got.Score), want.Outcome, want.Reasons, deref(want.Score))
			}
		}
		t.Logf("%s: %s %v score %v", c.name, want.Outcome, want.Reasons, deref(want.Score))
	}
}

// sameReading reports whether the liveness check reads a shared analysis
// as it reads its own: the same faces, and when its own is complete the
// same landmarks and embedding. (The face match reads faces 60 pixels wide
// in full, the liveness check from 64: it finds a face between them too
// narrow whatever the analysis holds.)
func sameReading(shared, own selfie.Analysis) bool {
	if !slices.Equal(shared.Faces, own.Faces) {
		return false
	}
	return own.Embedding == nil || slices.Equal(shared.Embedding, own.Embedding) && shared.Landmarks == own.Landmarks
}

// TestFaceMatchSharesOnlyWithLiveness: for a session that does not ask for
// the liveness check, which would read the same frames, the stage keeps
// nothing of them: a later reader through the same Analyses reads each
// frame itself.
func TestFaceMatchSharesOnlyWithLiveness(t *testing.T) {
	b := setup(t)
	raw, hopper := photo(t, "grace_hopper.jpg")
	selfies := [][]byte{encodeJPEG(t, scaled(hopper, 0.9), 85), encodeJPEG(t, hopper, 92)}
	e := &countingEngine{Engine: b.engine}
	d := selfie.NewAnalyses(selfie.AnalysesConfig{})
	st := facematch.New(facematch.Deps{Stores: b.stores(), Engine: e, Analyses: d}, facematch.Config{})
	id := b.intake(t, []string{schemas.CheckDocument, facematch.Check}, raw, selfies...)
	in := b.load(t, id)
	if res := b.result(t, st, id); res.Outcome != schemas.OutcomePassed {
		t.Fatalf("result %s %v", res.Outcome, res.Reasons)
	}
	e.detects.Store(0)
	b.livenessReads(t, d, e, in)
	if n := e.detects.Load(); n != int32(len(selfies)) {
		t.Errorf("a reader after the stage detected faces %d times for %d frames: something was kept", n, len(selfies))
	}
}

// throughJPEG is img as the stage sees it: encoded as a JPEG and decoded
// through the decoding gate.
func throughJPEG(t *testing.T) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		dec, reason := imagegate.Decode(encodeJPEG(t, img, 90), imagegate.DefaultMaxPixels)
		if reason != "" {
			t.Fatal(reason)
		}
		return dec
	}
}

func sameScore(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestFaceMatchSharesPreparedFrames: the selfie frames the stage shares
// with the liveness check (capture.Decodes) are shared prepared for the
// engine (selfie.Prepared): the liveness check's reads take the prepared
// *image.RGBA the face match left for them, each frame's decode and
// conversion then forgotten, rather than decoding anew.
func TestFaceMatchSharesPreparedFrames(t *testing.T) {
	b := setup(t)
	hopperRaw, hopper := photo(t, "grace_hopper.jpg")
	frames := [][]byte{encodeJPEG(t, scaled(hopper, 0.9), 85), encodeJPEG(t, hopper, 92)}
	id := b.intake(t, []string{schemas.CheckDocument, facematch.Check, schemas.CheckLiveness}, hopperRaw, frames...)
	in := b.load(t, id)
	decodes := capture.NewDecodes(capture.DecodesConfig{})
	stores := b.stores()
	stores.Decodes = decodes
	st := facematch.New(facematch.Deps{Stores: stores, Engine: b.engine}, facematch.Config{})
	if res := b.result(t, st, id); res.Outcome != idv.OutcomePassed {
		t.Fatalf("face match: %s %v", res.Outcome, res.Reasons)
	}
	held := decodes.Held() // the document front, for the document check, and the frames
	for _, c := range in.Captures {
		if c.Kind != schemas.Selfie {
			continue
		}
		img, reason, err := decodes.OpenImageAs(t.Context(), b.store, in.Key, c, c.Size, imagegate.DefaultMaxPixels, selfie.Prepared)
		if err != nil || reason != "" {
			t.Fatalf("frame %d: %q %v", c.Index, reason, err)
		}
		if _, ok := img.(*image.RGBA); !ok {
			t.Errorf("frame %d: the liveness check's read got a %T, want the prepared *image.RGBA", c.Index, img)
		}
		if again := face.Prepare(img); again != img {
			t.Errorf("frame %d: preparing the shared frame converted it again", c.Index)
		}
	}
	if got, want := decodes.Held(), held-len(frames); got != want {
		t.Errorf("after the liveness check's reads %d images held, want %d: the %d frames taken by their second reader",
			got, want, len(frames))
	}
}
