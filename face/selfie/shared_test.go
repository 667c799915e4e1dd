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
	"github.com/idv-oss/idv/internal/shareonce"
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

// watched is an Analyses whose kept copies the test sees: each one as it
// was kept, and each one as its release left it.
type watched struct {
	*Analyses
	mu       sync.Mutex
	kept     []Analysis
	released []Analysis
}

// watch is a watched Analyses of cfg.
func watch(cfg AnalysesConfig) *watched {
	w := &watched{}
	s := sharing(cfg)
	share, release := s.Share, s.Release
	s.Share = func(a Analysis) (Analysis, bool) {
		a, ok := share(a)
		if ok {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.kept = append(w.kept, a)
		}
		return a, ok
	}
	s.Release = func(a *Analysis) {
		release(a)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.released = append(w.released, *a)
	}
	w.Analyses = &Analyses{analyses: shareonce.New[analysisKey](s)}
	return w
}

// seen is the copies w kept and those it released so far.
func (w *watched) seen() (kept, released []Analysis) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.kept), slices.Clone(w.released)
}

// zeroedOnce checks that w released one analysis, zeroed, by when.
func (w *watched) zeroedOnce(t *testing.T, when string) {
	t.Helper()
	if _, released := w.seen(); len(released) != 1 || !wiped(released[0]) {
		t.Errorf("the kept analysis was not zeroed %s: %d released", when, len(released))
	}
}

// again is who's read of c through w, the second detection in all.
func again(t *testing.T, w *watched, e *fakeEngine, c idv.Capture, who string) {
	t.Helper()
	if analyse(t, w.Analyses, e, c); e.detects.Load() != 2 {
		t.Errorf("%s: %d detections in all, want 2", who, e.detects.Load())
	}
}

// keptBy is how many analyses d keeps now.
func keptBy(d *Analyses) int {
	if d == nil {
		return 0
	}
	return d.analyses.Kept()
}

// wiped reports whether a is a complete analysis zeroed.
func wiped(a Analysis) bool {
	return len(a.Embedding) == 512 && zeroed(a.Embedding) && a.Landmarks == ([68]face.Point{})
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
	d := watch(AnalysesConfig{})
	c := frame(0)
	first := analyse(t, d.Analyses, e, c)
	if kept, _ := d.seen(); len(kept) != 1 || d.analyses.Kept() != 1 || !kept[0].complete() {
		t.Fatalf("after the first of two readers: %d copies made, %d kept, want one complete analysis", len(kept), d.analyses.Kept())
	}
	second := analyse(t, d.Analyses, e, c)
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
	if kept := d.analyses.Kept(); kept != 0 {
		t.Errorf("after both readers: %d kept, want none", kept)
	}
	d.zeroedOnce(t, "once both readers had it")
	again(t, d, e, c, "a third reader")
}

// TestAnalysesHold: an analysis only one stage took is forgotten and zeroed
// after Hold, and a reader after that computes it again.
func TestAnalysesHold(t *testing.T) {
	t.Parallel()
	e := &fakeEngine{widths: []float64{100}}
	d := watch(AnalysesConfig{Hold: time.Millisecond})
	c := frame(0)
	analyse(t, d.Analyses, e, c)
	if kept, _ := d.seen(); len(kept) != 1 {
		t.Fatal("no analysis kept")
	}
	for deadline := time.Now().Add(10 * time.Second); d.analyses.Kept() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("an analysis kept 10 s past a hold of 1 ms")
		}
	}
	d.zeroedOnce(t, "after its hold")
	again(t, d, e, c, "a reader after the hold")
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
		kept := keptBy(d)
		var out []Analysis
		for i := range 2 {
			a, _ := read(d, c, i)
			out = append(out, a)
		}
		if n := e.detects.Load(); n != 2 {
			t.Errorf("%s: %d detections for two readers, want 2", name, n)
		}
		if now := keptBy(d); now != kept {
			t.Errorf("%s: %d analyses kept after two readers, want %d as before", name, now, kept)
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
	d := watch(AnalysesConfig{})
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
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Analyse(ctx, e, img, c, maxPixels, minPixels); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled reader: %v, want context.Canceled", err)
	}
	if _, released := d.seen(); len(released) != 0 {
		t.Error("the analysis was released before it was made")
	}
	close(e.release)
	if a := <-done; !a.complete() {
		t.Error("the first reader got no analysis")
	}
	if _, released := d.seen(); d.analyses.Kept() != 0 || len(released) != 1 || !wiped(released[0]) {
		t.Errorf("after both readers: %d kept, %d released, want it forgotten and zeroed", d.analyses.Kept(), len(released))
	}
}
