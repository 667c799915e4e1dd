package selfie

import (
	"context"
	"errors"
	"image"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/schemas"
)

// fakeEngine is a face engine whose findings the test sets: faces of the
// given widths, landmarks and a fresh embedding on every run. It counts its
// runs and can hold its first detection until release closes.
type fakeEngine struct {
	widths  []float64
	setup   string
	fail    atomic.Bool // Detect fails while set
	detects atomic.Int32
	embeds  atomic.Int32
	entered chan struct{} // closed when the first detection starts, if set
	release chan struct{} // the first detection waits for it, if set
}

func (e *fakeEngine) Detect(image.Image) ([]face.Face, error) {
	if e.detects.Add(1) == 1 && e.release != nil {
		close(e.entered)
		<-e.release
	}
	if e.fail.Load() {
		return nil, errors.New("the engine failed")
	}
	var faces []face.Face
	for _, w := range e.widths {
		faces = append(faces, face.Face{Box: face.Box{X2: w, Y2: w}, Score: 0.9})
	}
	return faces, nil
}

func (e *fakeEngine) Landmarks(image.Image, face.Face) ([68]face.Point, error) {
	var lm [68]face.Point
	for i := range lm {
		lm[i] = face.Point{X: float64(i), Y: 1}
	}
	return lm, nil
}

func (e *fakeEngine) EmbedLandmarks(image.Image, [68]face.Point) ([]float32, error) {
	n := e.embeds.Add(1)
	v := make([]float32, 512)
	for i := range v {
		v[i] = float32(n) + float32(i)/512
	}
	return v, nil
}

func (e *fakeEngine) Setup(models ...string) string { return e.setup }

// frame is a selfie frame's capture, as check.Load gives it.
func frame(index int) idv.Capture {
	session := uuid.New()
	return idv.Capture{SessionID: session, Attempt: 1, Kind: schemas.Selfie, Index: index,
		ObjectKey: "tenant/" + session.String() + "/1/selfie/0", SHA256: []byte("sealed sum")}
}

var img = image.NewRGBA(image.Rect(0, 0, 8, 8))

const maxPixels, minPixels = 1 << 20, 60

// analyse is one stage's read of c through d.
func analyse(t *testing.T, d *Analyses, e Engine, c idv.Capture) Analysis {
	t.Helper()
	a, err := d.Analyse(t.Context(), e, img, c, maxPixels, minPixels)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// kept is the analysis d keeps of c for readers still to come, and how many
// d keeps in all.
func (d *Analyses) keptOf(t *testing.T, e Engine, c idv.Capture) (*entry, int) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	k := analysisKey{object: c.ObjectKey, sha256: string(c.SHA256), session: c.SessionID, attempt: c.Attempt,
		kind: c.Kind, index: c.Index, maxPixels: maxPixels, setup: e.Setup(Models...)}
	return d.entries[k], d.kept
}

// zeroed reports whether v holds only zeros.
func zeroed(v []float32) bool { return !slices.ContainsFunc(v, func(x float32) bool { return x != 0 }) }

// TestAnalysesShare: two stages reading the same frame through one Analyses
// compute its analysis once and get equal copies of it, neither the other's
// nor the kept one's memory; the kept copy is forgotten and zeroed once both
// have it, and a third reader computes it again.
func TestAnalysesShare(t *testing.T) {
	t.Parallel()
	e := &fakeEngine{widths: []float64{100}}
	d := NewAnalyses(AnalysesConfig{})
	c := frame(0)
	first := analyse(t, d, e, c)
	en, kept := d.keptOf(t, e, c)
	if en == nil || kept != 1 || !en.shared.complete() {
		t.Fatalf("after the first of two readers: entry %v, %d kept, want one complete analysis", en != nil, kept)
	}
	second := analyse(t, d, e, c)
	if n, m := e.detects.Load(), e.embeds.Load(); n != 1 || m != 1 {
		t.Errorf("two readers: %d detections and %d embeddings, want one of each", n, m)
	}
	if !first.complete() || !slices.Equal(first.Embedding, second.Embedding) || first.Landmarks != second.Landmarks ||
		!slices.Equal(first.Faces, second.Faces) {
		t.Errorf("the second reader's analysis differs from the first's")
	}
	clear(first.Embedding) // as the first stage does when its Handle ends
	if zeroed(second.Embedding) {
		t.Error("clearing the first reader's embedding cleared the second's")
	}
	if again, kept := d.keptOf(t, e, c); again != nil || kept != 0 {
		t.Errorf("after both readers: entry %v, %d kept, want none", again != nil, kept)
	}
	if len(en.shared.Embedding) != 512 || !zeroed(en.shared.Embedding) || en.shared.Landmarks != ([68]face.Point{}) {
		t.Error("the kept analysis was not zeroed once both readers had it")
	}
	analyse(t, d, e, c)
	if n := e.detects.Load(); n != 2 {
		t.Errorf("a third reader: %d detections in all, want 2", n)
	}
}

// TestAnalysesWait: a reader that comes while the first computes waits for
// that analysis rather than computing its own.
func TestAnalysesWait(t *testing.T) {
	t.Parallel()
	e := &fakeEngine{widths: []float64{100}, entered: make(chan struct{}), release: make(chan struct{})}
	d := NewAnalyses(AnalysesConfig{})
	c := frame(0)
	got := make(chan Analysis, 2)
	read := func() {
		a, err := d.Analyse(t.Context(), e, img, c, maxPixels, minPixels)
		if err != nil {
			t.Error(err)
		}
		got <- a
	}
	var wg sync.WaitGroup
	wg.Go(read)
	<-e.entered // the first is computing
	en, _ := d.keptOf(t, e, c)
	wg.Go(read)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		d.mu.Lock()
		waiting := en.waiting
		d.mu.Unlock()
		if waiting == 1 {
			break // the second has come for the first's analysis
		}
		if time.Now().After(deadline) {
			t.Fatal("the second reader did not come in 10 s")
		}
	}
	close(e.release)
	wg.Wait()
	a, b := <-got, <-got
	if !a.complete() || !slices.Equal(a.Embedding, b.Embedding) {
		t.Error("two readers at once got different analyses")
	}
	if n := e.detects.Load(); n != 1 {
		t.Errorf("two readers at once: %d detections, want 1", n)
	}
	if en, kept := d.keptOf(t, e, c); en != nil || kept != 0 {
		t.Errorf("after both readers at once: entry %v, %d kept", en != nil, kept)
	}
}

// TestAnalysesHold: an analysis only one stage took is forgotten and zeroed
// after Hold, and a reader after that computes it again.
func TestAnalysesHold(t *testing.T) {
	t.Parallel()
	e := &fakeEngine{widths: []float64{100}}
	d := NewAnalyses(AnalysesConfig{Hold: time.Millisecond})
	c := frame(0)
	analyse(t, d, e, c)
	en, _ := d.keptOf(t, e, c)
	if en == nil {
		t.Fatal("no analysis kept")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if again, kept := d.keptOf(t, e, c); again == nil && kept == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an analysis kept 10 s past a hold of 1 ms")
		}
	}
	d.mu.Lock()
	wiped := zeroed(en.shared.Embedding)
	d.mu.Unlock()
	if !wiped {
		t.Error("an analysis forgotten after its hold was not zeroed")
	}
	analyse(t, d, e, c)
	if n := e.detects.Load(); n != 2 {
		t.Errorf("a reader after the hold: %d detections in all, want 2", n)
	}
}

// TestAnalysesNotShared: what gave no complete analysis — an engine's
// error, a frame with no face or two, a face too narrow for the stage that
// computed it — is computed again by the other stage, with its own
// minimum width; so is a frame read with another engine setup or pixel
// limit, every read through a nil Analyses or one of a single reader, and
// one over MaxEntries.
func TestAnalysesNotShared(t *testing.T) {
	t.Parallel()
	twice := func(name string, e *fakeEngine, d *Analyses, read func(*Analyses, idv.Capture, int) (Analysis, error)) []Analysis {
		t.Helper()
		c := frame(0)
		var out []Analysis
		for i := range 2 {
			a, _ := read(d, c, i)
			out = append(out, a)
		}
		if n := e.detects.Load(); n != 2 {
			t.Errorf("%s: %d detections for two readers, want 2", name, n)
		}
		if d == nil {
			return out
		}
		if en, _ := d.keptOf(t, e, c); en != nil {
			t.Errorf("%s: something kept after two readers", name)
		}
		return out
	}
	plain := func(e Engine) func(*Analyses, idv.Capture, int) (Analysis, error) {
		return func(d *Analyses, c idv.Capture, _ int) (Analysis, error) {
			return d.Analyse(t.Context(), e, img, c, maxPixels, minPixels)
		}
	}

	failing := &fakeEngine{widths: []float64{100}}
	failing.fail.Store(true)
	twice("an engine's error", failing, NewAnalyses(AnalysesConfig{}), func(d *Analyses, c idv.Capture, i int) (Analysis, error) {
		a, err := d.Analyse(t.Context(), failing, img, c, maxPixels, minPixels)
		if i == 0 {
			failing.fail.Store(false)
			if err == nil {
				t.Error("the engine's error was not returned")
			}
		} else if err != nil || !a.complete() {
			t.Errorf("after another stage's error: %v, complete %v", err, a.complete())
		}
		return a, err
	})
	for name, widths := range map[string][]float64{"no face": nil, "two faces": {100, 90}} {
		e := &fakeEngine{widths: widths}
		twice(name, e, NewAnalyses(AnalysesConfig{}), plain(e))
	}
	narrow := &fakeEngine{widths: []float64{62}}
	got := twice("a face too narrow for the first", narrow, NewAnalyses(AnalysesConfig{}),
		func(d *Analyses, c idv.Capture, i int) (Analysis, error) {
			return d.Analyse(t.Context(), narrow, img, c, maxPixels, []float64{64, 60}[i])
		})
	if got[0].complete() || !got[1].complete() {
		t.Errorf("a face 62 wide read at 64 then 60: complete %v then %v, want false then true", got[0].complete(), got[1].complete())
	}
	other := &fakeEngine{widths: []float64{100}, setup: "other"}
	same := &fakeEngine{widths: []float64{100}}
	d := NewAnalyses(AnalysesConfig{})
	c := frame(0)
	analyse(t, d, same, c)
	analyse(t, d, other, c)
	if n := same.detects.Load() + other.detects.Load(); n != 2 {
		t.Errorf("engines of two setups: %d detections, want 2", n)
	}
	if _, err := d.Analyse(t.Context(), same, img, c, maxPixels/2, minPixels); err != nil || same.detects.Load() != 2 {
		t.Errorf("another pixel limit: %v, %d detections, want 2", err, same.detects.Load())
	}
	var none *Analyses
	e := &fakeEngine{widths: []float64{100}}
	twice("no Analyses", e, none, plain(e))
	e = &fakeEngine{widths: []float64{100}}
	twice("one reader", e, NewAnalyses(AnalysesConfig{Readers: 1}), plain(e))
	e = &fakeEngine{widths: []float64{100}}
	small := NewAnalyses(AnalysesConfig{MaxEntries: 1})
	analyse(t, small, same, frame(1)) // takes the one place
	twice("over MaxEntries", e, small, plain(e))
}

// TestAnalysesCancelledReader: a reader whose context ends while it waits
// returns its context's error and takes nothing; the analysis is forgotten
// and zeroed all the same.
func TestAnalysesCancelledReader(t *testing.T) {
	t.Parallel()
	e := &fakeEngine{widths: []float64{100}, entered: make(chan struct{}), release: make(chan struct{})}
	d := NewAnalyses(AnalysesConfig{})
	c := frame(0)
	done := make(chan Analysis)
	go func() {
		a, err := d.Analyse(context.Background(), e, img, c, maxPixels, minPixels)
		if err != nil {
			t.Error(err)
		}
		done <- a
	}()
	<-e.entered
	en, _ := d.keptOf(t, e, c)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Analyse(ctx, e, img, c, maxPixels, minPixels); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled reader: %v, want context.Canceled", err)
	}
	close(e.release)
	if a := <-done; !a.complete() {
		t.Error("the first reader got no analysis")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !en.gone || en.waiting != 0 || !zeroed(en.shared.Embedding) {
		t.Errorf("after both readers: gone %v, waiting %d, zeroed %v", en.gone, en.waiting, zeroed(en.shared.Embedding))
	}
}
