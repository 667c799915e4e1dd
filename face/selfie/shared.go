package selfie

import (
	"context"
	"image"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Shared analyses follow capture.Decodes: the key is the frame's capture as
// capture.Open reads it — its object key, the SHA-256 of its sealed bytes,
// the session, attempt, kind and index its opening binds, and the decoder's
// pixel limit — so a stage gets a shared analysis only of the very image it
// would have decoded; and the engine's Setup of Models, so only of what its
// own engine would have read there. The narrowest face a stage reads
// (minPixels) is not in the key: only complete analyses are shared, whose
// faces, landmarks and embedding do not depend on it, and each stage
// applies its own width rule to what it gets. An analysis without an
// embedding (no face, several, too narrow for the stage that computed it,
// outside the image) and an engine's error are not shared: each stage meets
// them itself.

// Analyses shares selfie frames' analyses between the stages of one
// process. The nil *Analyses shares nothing: Analyse computes every call.
type Analyses struct {
	readers int
	hold    time.Duration
	max     int // entries kept at most

	mu      sync.Mutex
	entries map[analysisKey]*entry
	kept    int // settled entries in entries
}

// AnalysesConfig tunes an Analyses. The zero value is the default.
type AnalysesConfig struct {
	Readers    int           // stages that read the same frame; 2 when 0
	Hold       time.Duration // longest an analysis is kept; 10 s when 0
	MaxEntries int           // frames' analyses kept at most (about 3 KiB each); 1024 when 0
}

// NewAnalyses returns an empty Analyses.
func NewAnalyses(cfg AnalysesConfig) *Analyses {
	d := &Analyses{readers: cfg.Readers, hold: cfg.Hold, max: cfg.MaxEntries, entries: map[analysisKey]*entry{}}
	if d.readers <= 0 {
		d.readers = 2
	}
	if d.hold <= 0 {
		d.hold = 10 * time.Second
	}
	if d.max <= 0 {
		d.max = 1024
	}
	return d
}

// analysisKey names a frame as capture.Open reads and the decoder decodes
// it, and what the engine that reads it is.
type analysisKey struct {
	object    string
	sha256    string
	session   uuid.UUID
	attempt   int
	kind      schemas.CaptureKind
	index     int
	maxPixels int64
	setup     string
}

// entry is one frame's shared analysis. Its fields are guarded by the
// Analyses' mu; ready closes once the first reader's analysis is settled.
type entry struct {
	ready   chan struct{}
	settled bool
	shared  Analysis // the kept copy; complete only when it is shareable
	reads   int      // readers that came, the first included
	waiting int      // later readers that have not yet taken their copy
	gone    bool     // out of the map: no reader will come for it
	counted bool     // in Analyses.kept
	// expiry forgets it after hold; stopped when it is forgotten before.
	expiry *time.Timer
}

// Analyse is the package's Analyse of the prepared or unprepared image img
// of capture c (decoded with the pixel limit maxPixels) through d: a copy of
// the complete analysis another stage made of the same frame with an engine
// of the same Setup, or one made now and a copy kept for the other. The
// caller owns what it gets and clears its embedding when done; the copy d
// keeps is zeroed when it is forgotten.
func (d *Analyses) Analyse(ctx context.Context, e Engine, img image.Image, c idv.Capture,
	maxPixels int64, minPixels float64) (Analysis, error) {
	if d == nil {
		return Analyse(e, img, minPixels)
	}
	k := analysisKey{object: c.ObjectKey, sha256: string(c.SHA256), session: c.SessionID, attempt: c.Attempt,
		kind: c.Kind, index: c.Index, maxPixels: maxPixels, setup: e.Setup(Models...)}
	en, first := d.claim(k)
	if first {
		a, err := Analyse(e, img, minPixels)
		d.settle(k, en, a, err)
		return a, err
	}
	select {
	case <-en.ready:
	case <-ctx.Done():
		d.take(en, false)
		return Analysis{}, ctx.Err()
	}
	if a, ok := d.take(en, true); ok {
		return a, nil
	}
	return Analyse(e, img, minPixels) // it gave none to share: meet why
}

// claim is k's entry and whether the caller is the first, who computes.
func (d *Analyses) claim(k analysisKey) (*entry, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if en, ok := d.entries[k]; ok {
		en.reads++
		en.waiting++
		if en.reads >= d.readers {
			d.forget(k, en)
		}
		return en, false
	}
	en := &entry{ready: make(chan struct{}), reads: 1}
	d.entries[k] = en
	return en, true
}

// settle keeps a copy of the first reader's analysis for the others when it
// is complete, and wakes those waiting for it. An incomplete one is kept
// as a mark holding nothing, so that the other stage, which then computes
// its own, knows it is the last reader and keeps nothing either.
func (d *Analyses) settle(k analysisKey, en *entry, a Analysis, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil && a.complete() {
		en.shared = a.clone()
	}
	en.settled = true
	close(en.ready)
	if !en.gone && (en.reads >= d.readers || d.kept >= d.max) {
		d.forget(k, en)
	}
	if en.gone {
		d.release(en)
		return
	}
	en.counted = true
	d.kept++
	en.expiry = time.AfterFunc(d.hold, func() { d.expire(k, en) })
}

// take is a later reader's copy of en's analysis, when it wants one and the
// analysis is settled and complete; the last reader out of a forgotten
// entry zeroes it.
func (d *Analyses) take(en *entry, want bool) (Analysis, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	en.waiting--
	defer d.release(en)
	if !want || !en.settled || !en.shared.complete() {
		return Analysis{}, false
	}
	return en.shared.clone(), true
}

// expire forgets en after the hold if it is still kept.
func (d *Analyses) expire(k analysisKey, en *entry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.entries[k] == en {
		d.forget(k, en)
		d.release(en)
	}
}

// forget drops k's entry: no reader will come for it any more.
func (d *Analyses) forget(k analysisKey, en *entry) {
	delete(d.entries, k)
	en.gone = true
	if en.counted {
		d.kept--
		en.counted = false
	}
	if en.expiry != nil {
		en.expiry.Stop()
	}
}

// release zeroes a forgotten entry's analysis once it is settled and no
// reader still waits to copy it.
func (d *Analyses) release(en *entry) {
	if en.gone && en.settled && en.waiting == 0 {
		en.shared.wipe()
	}
}
