// Package facematch is the face match stage: on idv.session.submitted, for a
// session whose checks include "face", it opens the document front and the
// selfie frames in memory with the session key, checks each is exactly what
// the app sealed and declared, decodes them behind a pixel cap, finds the
// face on the document and the one face in each selfie frame, and compares
// their 512-d embeddings (face). The score is the lowest cosine
// similarity over the selfie frames (named schemas.ScoreFaceMinCosine in
// the result); below Config.Threshold the faces do not match. The result (outcome, reasons, score, threshold, engine version and
// model hashes) is stored with its idv.check.completed event in one
// transaction.
//
// Embeddings are biometric data (GDPR art. 9): they are never stored,
// logged or put in an event, and those the stage holds live only for the
// length of one Handle call and are cleared before it returns. So are the
// decrypted captures and images. For a session that asks for the liveness
// check too, a selfie frame's embedding is also kept through Deps.Analyses
// for that check in the same process, at most the Analyses' Hold (10 s by
// default), then zeroed (face/selfie).
package facematch

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/consumers/check"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/document/chip"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/rules"
	"github.com/idv-oss/idv/face/selfie"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// Check is the check's name in sessions, results and events.
const Check = schemas.CheckFace

// Models are the face engine's models this stage runs; open the engine with
// at least these (face.Config{Models: facematch.Models}).
var Models = []string{face.Detector, face.Landmarker, face.Feature}

// Defaults of Config.
const (
	// DefaultThreshold is the lowest cosine similarity that counts as the
	// same person. FACTS (n=358 pairs of different people on this engine):
	// max 0.36, p95 0.19; the same photo re-encoded ≥ 0.91. Not calibrated on
	// a real population.
	DefaultThreshold = 0.40
	// DefaultMinFacePixels is the narrowest face box, in image pixels, the
	// stage compares: the capture page's face check asks for it too.
	DefaultMinFacePixels = rules.MinFacePixels
)

// Engine is what the stage needs of the face engine (*face.Engine): what
// reading a document's face and (shared) a selfie frame's takes, and the
// versions its results record.
type Engine interface {
	selfie.Engine
	Embed(img image.Image, f face.Face) ([]float32, error)
	Models() map[string]string
	Version() string
}

// Deps are the stage's parts: the stores every check stage uses, and the
// face engine.
type Deps struct {
	check.Stores
	Engine Engine
	// CSCAs, when set, let the stage take the reference face from the
	// document's chip (DG2) once passive authentication vouches for it;
	// nil: the document front is always the reference.
	CSCAs *chip.TrustStore
	// Analyses shares each selfie frame's faces, landmarks and embedding
	// with the process's liveness check (selfie.Analyses); nil: the stage
	// reads every frame itself.
	Analyses *selfie.Analyses
}

// Config tunes the stage. The zero value is the default.
type Config struct {
	// Threshold is the lowest cosine similarity between the document face
	// and every selfie face for a match; DefaultThreshold when 0.
	Threshold float64
	// MinFacePixels is the narrowest face box, in pixels, that is compared;
	// a narrower one is low_quality. DefaultMinFacePixels when 0.
	MinFacePixels float64
	// MaxPixels is the largest image, in pixels, the stage decodes;
	// imagegate.DefaultMaxPixels when 0.
	MaxPixels int64
}

// Stage is the face match. It is safe for concurrent use if its Engine is.
type Stage struct {
	deps Deps
	cfg  Config
	// Slot caps: an image larger than its slot is refused unread.
	maxDocument, maxSelfie int64
}

// New returns the stage over its parts.
func New(deps Deps, cfg Config) *Stage {
	deps.Stores = deps.Stores.WithDefaults()
	if cfg.Threshold == 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.MinFacePixels <= 0 {
		cfg.MinFacePixels = DefaultMinFacePixels
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = imagegate.DefaultMaxPixels
	}
	slots := schemas.Slots(1)
	doc, _ := schemas.SlotFor(slots, schemas.DocumentFront)
	selfie, _ := schemas.SlotFor(slots, schemas.Selfie)
	return &Stage{deps: deps, cfg: cfg, maxDocument: doc.MaxSize, maxSelfie: selfie.MaxSize}
}

// Handle runs the face match of a submitted session once: a session that did
// not request it, or already has its result, is left alone. Errors retrying
// cannot fix (a malformed event, a session or key that is gone, a session
// without a document front or selfie) are stage.Permanent; any other error
// (storage, database, the engine) means "try again".
func (s *Stage) Handle(ctx context.Context, ev stage.Event) error {
	in, todo, err := check.Load(ctx, ev, s.deps.Stores, Check, nil)
	if err != nil || !todo {
		return err
	}
	sess, log := in.Session, in.Log
	m, err := s.match(ctx, in.Key, in.Captures, s.sharingFor(sess))
	if err != nil {
		return err
	}
	codes := m.reasons.Codes()
	res := idv.Result{SessionID: sess.ID, TenantID: sess.TenantID, Attempt: sess.Attempt, Check: Check, Outcome: Outcome(codes),
		Reasons: codes, Score: m.score, Threshold: &s.cfg.Threshold, Engine: s.deps.Engine.Version(),
		Models: s.models(), CompletedAt: s.deps.Now().UTC()}
	if s.deps.CSCAs != nil {
		res.Advisory = map[string]float64{"reference_chip_portrait": 0}
		if m.fromChip {
			res.Advisory["reference_chip_portrait"] = 1
		}
	}
	if ended, err := check.Record(ctx, s.deps.Results, res, log); err != nil || ended {
		return err
	}
	log.InfoContext(ctx, "face match completed", "outcome", res.Outcome, "reasons", codes)
	return nil
}

// models are the hashes of the models this stage ran, out of those the
// engine loaded.
func (s *Stage) models() map[string]string { return face.Subset(s.deps.Engine.Models(), Models) }

// matchResult is what a match found: the reasons, and the score when every
// face could be compared.
type matchResult struct {
	reasons  idv.Reasons
	score    *float64
	fromChip bool // the reference face is the chip's DG2 portrait
}

// sharing is what the stage shares of one session's captures with the
// process's other stages: the document front's decode with the document
// check, the selfie frames' decodes and analyses with the liveness check.
// Each is shared only when the session asks for that check, so that
// nothing of its captures is kept for a reader that will not come.
type sharing struct {
	document, selfies *capture.Decodes
	analyses          *selfie.Analyses
}

// sharingFor is what the stage shares of sess's captures.
func (s *Stage) sharingFor(sess idv.Session) sharing {
	sh := sharing{document: s.deps.Decodes.For(slices.Contains(sess.Checks, schemas.CheckDocument))}
	if slices.Contains(sess.Checks, schemas.CheckLiveness) {
		sh.selfies, sh.analyses = s.deps.Decodes, s.deps.Analyses
	}
	return sh
}

// match embeds the document face, then each selfie frame's face in index
// order (what it shares with other stages in sh), and scores the lowest
// similarity. Reasons from every capture are collected (a person told to
// retake a photo should hear about all of them); the score exists only when
// every frame was compared. Plaintext, images and the embeddings the stage
// holds stay in this call and are cleared before it returns.
func (s *Stage) match(ctx context.Context, key *seal.SessionKey, caps []idv.Capture, sh sharing) (matchResult, error) {
	var doc, chipCap, mrzCap *idv.Capture
	var selfies []idv.Capture
	for i, c := range caps {
		switch c.Kind {
		case schemas.DocumentFront:
			doc = &caps[i]
		case schemas.Selfie:
			selfies = append(selfies, c)
		case schemas.Chip:
			chipCap = &caps[i]
		case schemas.MRZ:
			mrzCap = &caps[i]
		}
	}
	// Submission requires both; their absence is a broken session, which
	// no retry will mend.
	if doc == nil || len(selfies) == 0 {
		return matchResult{}, stage.Permanent(fmt.Errorf("facematch: session %s lacks a document front or a selfie", key.SessionID()))
	}
	slices.SortFunc(selfies, func(a, b idv.Capture) int { return a.Index - b.Index })

	var m matchResult
	ref, fromChip, err := s.chipReference(ctx, key, chipCap, mrzCap, &m.reasons)
	if err != nil {
		return matchResult{}, err
	}
	m.fromChip = fromChip
	if !fromChip {
		if ref, err = s.embedCapture(ctx, key, *doc, sh, &m.reasons); err != nil {
			return matchResult{}, err
		}
	}
	defer clear(ref)
	complete := ref != nil
	minCos := 2.0
	for _, c := range selfies {
		v, err := s.embedCapture(ctx, key, c, sh, &m.reasons)
		if err != nil {
			return matchResult{}, err
		}
		if v == nil {
			complete = false
			continue
		}
		if ref != nil {
			minCos = min(minCos, face.Cosine(ref, v))
		}
		clear(v)
	}
	if complete {
		score := minCos
		m.score = &score
		if score < s.cfg.Threshold {
			m.reasons.Add(ReasonLowSimilarity)
		}
	}
	return m, nil
}

// embedCapture opens, decodes and embeds the face of one capture: the
// document front's, or a selfie frame's, sharing what sh shares. It returns
// nil and adds a reason when the capture gives no usable face, or an error
// when a retry may help.
func (s *Stage) embedCapture(ctx context.Context, key *seal.SessionKey, c idv.Capture, sh sharing,
	reasons *idv.Reasons) ([]float32, error) {
	// Selfie frames are shared prepared (selfie.Prepared) with the
	// liveness check; the document front as decoded with the document
	// check, which reads it as it is.
	maxBytes, decodes, form := s.maxSelfie, sh.selfies, selfie.Prepared
	if c.Kind == schemas.DocumentFront {
		maxBytes, decodes, form = s.maxDocument, sh.document, capture.Form{}
	}
	img, reason, err := decodes.OpenImageAs(ctx, s.deps.Objects, key, c, maxBytes, s.cfg.MaxPixels, form)
	if err != nil {
		return nil, err
	}
	if reason != "" {
		reasons.Add(reason)
		return nil, nil
	}
	ref := schemas.CaptureRef(c.Kind, c.Index)
	if c.Kind == schemas.DocumentFront {
		return s.embedDocument(img, ref, reasons)
	}
	a, err := sh.analyses.Analyse(ctx, s.deps.Engine, img, c, s.cfg.MaxPixels, s.cfg.MinFacePixels)
	if err != nil {
		return nil, fmt.Errorf("facematch: %s: %w", ref, err)
	}
	return s.selfieEmbedding(a, reasons), nil
}

// selfieEmbedding is the embedding of a selfie frame's face, whose analysis
// a is, or nil with the reason it has none: the frame must hold exactly one
// face, at least MinFacePixels wide.
func (s *Stage) selfieEmbedding(a selfie.Analysis, reasons *idv.Reasons) []float32 {
	var reason string
	switch {
	case len(a.Faces) == 0:
		reason = ReasonNoFaceSelfie
	case len(a.Faces) > 1:
		reason = ReasonMultipleFaces
	case a.Faces[0].Box.Width() < s.cfg.MinFacePixels, a.Embedding == nil:
		reason = ReasonLowQuality // too narrow, or its box outside the image
	default:
		return a.Embedding
	}
	clear(a.Embedding)
	reasons.Add(reason)
	return nil
}

// embedDocument finds and embeds the largest face of a decoded document
// image (ID cards often carry a second, smaller "ghost" portrait).
func (s *Stage) embedDocument(img image.Image, ref string, reasons *idv.Reasons) ([]float32, error) {
	img = face.Prepare(img)
	faces, err := s.deps.Engine.Detect(img)
	if err != nil {
		return nil, fmt.Errorf("facematch: detect %s: %w", ref, err)
	}
	if len(faces) == 0 {
		reasons.Add(ReasonNoFaceDocument)
		return nil, nil
	}
	f := face.Largest(faces)
	if f.Box.Width() < s.cfg.MinFacePixels {
		reasons.Add(ReasonLowQuality)
		return nil, nil
	}
	v, err := s.deps.Engine.Embed(img, f)
	if errors.Is(err, face.ErrNoFace) {
		reasons.Add(ReasonLowQuality)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("facematch: embed %s: %w", ref, err)
	}
	return v, nil
}

// chipReference embeds the chip's DG2 portrait as the reference face when
// the stage has trusted CSCAs and the session's chip capture passes passive
// authentication against them and the app's MRZ: a portrait signed by the
// issuing state beats a photo of a document. It returns nil and false when
// there is no chip, no trust store, or passive authentication fails (the
// document check fails such a session); the document front is then the
// reference. When the chip vouches for its portrait, that portrait is the
// reference even if it shows no usable face.
func (s *Stage) chipReference(ctx context.Context, key *seal.SessionKey, chipCap, mrzCap *idv.Capture, reasons *idv.Reasons) ([]float32, bool, error) {
	if s.deps.CSCAs == nil || chipCap == nil || mrzCap == nil {
		return nil, false, nil
	}
	files, reason, err := capture.Open(ctx, s.deps.Objects, key, *chipCap)
	if err != nil || reason != "" {
		return nil, false, err
	}
	defer clear(files)
	mrzText, reason, err := capture.Open(ctx, s.deps.Objects, key, *mrzCap)
	if err != nil || reason != "" {
		return nil, false, err
	}
	defer clear(mrzText)
	f, err := chip.ParseFiles(files)
	if err != nil {
		return nil, false, nil
	}
	r := chip.NewVerifier(s.deps.CSCAs).Verify(chip.Input{SOD: f.SOD, DataGroups: f.DataGroups,
		MRZ: string(mrzText), At: s.deps.Now()})
	if !r.Passive || r.Portrait == nil {
		return nil, false, nil
	}
	img, reason := imagegate.Decode(r.Portrait.Image, s.cfg.MaxPixels)
	if reason != "" {
		reasons.Add(ReasonNoFaceDocument)
		return nil, true, nil
	}
	v, err := s.embedDocument(img, "chip/DG2", reasons)
	return v, true, err
}

// Spec describes the stage to the broker and the consume loop, beside
// its handler.
var Spec = idv.Stage{
	Name:     "facematch",
	Consumes: []string{schemas.TypeSessionSubmitted},
	Retry:    idv.RetryThroughOutage(),
	// CPU-bound: one ONNX intra-op thread per handler, so about one
	// handler per core.
	Concurrency: 2,
}
