// Package liveness is the active-liveness stage: on idv.session.submitted,
// for a session whose checks include "liveness", it opens the selfie frames
// in memory with the session key, measures each with the face engine and
// judges, in the order the frames were taken, whether the person performed
// the challenge the server drew for the session (face/challenge). For an
// attempt whose challenge was handed out it checks the frames' reported
// capture times against the server's clock (challenge.CheckTiming); for a
// session with the light challenge it also judges the light frames: the
// colour reflected on the face must follow the attempt's drawn sequence
// (face/reflection), unless the person declined it, which sends the
// session to review. The app's injection signals are recorded as
// advisory values only. The result's score is the lowest cosine similarity of a later frame's face to
// the first frame's (named schemas.ScoreLivenessSamePerson in the result):
// a same-person figure, not a probability of liveness. The passive-liveness
// model's score is recorded as advisory only; the outcome never rests on it.
//
// Embeddings and decrypted frames are biometric data (GDPR art. 9): they
// are never stored, logged or put in an event. What the stage holds lives
// only for the length of one Handle call and its embeddings are cleared
// before it returns. For a session that asks for the face match too, a
// frame's embedding is also kept through Deps.Analyses for the face match
// in the same process, at most the Analyses' Hold (10 s by default), then
// zeroed (face/selfie).
package liveness

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/check"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/reflection"
	"github.com/idv-oss/idv/face/selfie"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/schemas"
)

// Check is the check's name in sessions, results and events.
const Check = schemas.CheckLiveness

// Models are the face engine's models the stage runs with cfg; open the
// engine with at least these. The passive-liveness model is one only with
// cfg.Challenge.Passive.
func Models(cfg Config) []string {
	m := []string{face.Detector, face.Landmarker, face.Feature, face.Pose, face.Eye}
	if cfg.Challenge.Passive {
		m = append(m, face.Liveness)
	}
	return m
}

// Config tunes the stage; the zero value is the default.
type Config struct {
	// Challenge tunes how frames are measured and judged, Light how the
	// light frames are.
	Challenge challenge.Config
	Light     reflection.Config
	// MaxPixels is the largest frame, in pixels, the stage decodes;
	// imagegate.DefaultMaxPixels when 0.
	MaxPixels int64
}

func (c Config) withDefaults() Config {
	c.Challenge = c.Challenge.WithDefaults()
	if c.MaxPixels <= 0 {
		c.MaxPixels = imagegate.DefaultMaxPixels
	}
	return c
}

// Engine is what the stage needs of the face engine (*face.Engine): what
// measuring a frame takes, what sharing its analysis takes, and the
// versions its results record.
type Engine interface {
	challenge.Engine
	selfie.Engine
	Models() map[string]string
	Version() string
}

// Challenges reads an attempt's challenge record: when it was handed out,
// its light sequence, the app's submission and its frames' upload times
// (postgres.Sessions).
type Challenges interface {
	Challenge(ctx context.Context, tenantID, id uuid.UUID, attempt int) (idv.AttemptChallenge, error)
}

// Deps are the stage's parts: the stores every check stage uses, the
// challenge records and the face engine.
type Deps struct {
	check.Stores
	Challenges Challenges
	Engine     Engine
	// Analyses shares each selfie frame's faces, landmarks and embedding
	// with the process's face match (selfie.Analyses); nil: the stage
	// reads every frame itself.
	Analyses *selfie.Analyses
}

// errNoChallenges is the stage wired without a store of challenge records.
var errNoChallenges = errors.New("liveness: no store reads the challenge records: set Deps.Challenges")

// Stage is the liveness check. It is safe for concurrent use if its Engine is.
type Stage struct {
	deps      Deps
	cfg       Config
	maxSelfie int64
}

// New returns the stage over its parts.
func New(deps Deps, cfg Config) *Stage {
	deps.Stores = deps.Stores.WithDefaults()
	slot, _ := schemas.SlotFor(schemas.Slots(1), schemas.Selfie)
	return &Stage{deps: deps, cfg: cfg.withDefaults(), maxSelfie: slot.MaxSize}
}

// Handle runs the liveness check of a submitted session once. Errors
// retrying cannot fix (a malformed event, a session or key that is gone, a
// session asking for liveness without a challenge) are stage.Permanent.
func (s *Stage) Handle(ctx context.Context, ev stage.Event) error {
	if s.deps.Challenges == nil {
		return stage.Permanent(errNoChallenges)
	}
	var rec idv.AttemptChallenge
	in, todo, err := check.Load(ctx, ev, s.deps.Stores, Check, func(ctx context.Context, sess idv.Session) error {
		var err error
		rec, err = s.deps.Challenges.Challenge(ctx, sess.TenantID, sess.ID, sess.Attempt)
		return err
	})
	if err != nil || !todo {
		return err
	}
	sess, log := in.Session, in.Log
	ch := schemas.Challenge{Steps: sess.Challenge}
	if err := ch.Validate(); err != nil {
		return stage.Permanent(fmt.Errorf("liveness: session %s: %w", sess.ID, err))
	}
	v, err := s.judge(ctx, in, ch, rec)
	if err != nil {
		return err
	}
	var reasons idv.Reasons
	for _, r := range v.Reasons {
		reasons.Add(r)
	}
	if r := challenge.CheckTiming(timingOf(in, rec)); r != "" {
		reasons.Add(r)
	}
	if declined(sess, rec) {
		reasons.Add(challenge.ReasonLightDeclined)
	}
	codes := reasons.Codes()
	res := idv.Result{SessionID: sess.ID, TenantID: sess.TenantID, Attempt: sess.Attempt, Check: Check, Outcome: Outcome(codes),
		Reasons: codes, Score: v.SamePerson, Threshold: &s.cfg.Challenge.SamePerson, Engine: s.deps.Engine.Version(),
		Models: s.models(), CompletedAt: s.deps.Now().UTC(), Advisory: signals(rec)}
	if v.SamePerson != nil && s.cfg.Challenge.Passive {
		if res.Advisory == nil {
			res.Advisory = map[string]float64{}
		}
		res.Advisory["passive_liveness"] = v.Passive
	}
	if ended, err := check.Record(ctx, s.deps.Results, res, log); err != nil || ended {
		return err
	}
	log.InfoContext(ctx, "liveness completed", "outcome", res.Outcome, "reasons", res.Reasons)
	return nil
}

// judge measures every selfie frame and judges the sequence, then, for a
// session with the light challenge not declined, the light frames against
// the first frame's person and the attempt's sequence; frames that give no
// usable face end the check with their reasons unjudged.
func (s *Stage) judge(ctx context.Context, in check.Input, ch schemas.Challenge, rec idv.AttemptChallenge) (challenge.Verdict, error) {
	key, selfies := in.Key, framesOf(in.Captures, schemas.Selfie)
	frames := make([]challenge.Frame, 0, len(selfies))
	defer func() {
		for _, f := range frames {
			clear(f.Embedding)
			clear(f.Thumbnail)
		}
	}()
	var unusable idv.Reasons
	// The face match reads the same frames when the session asks for it.
	decodes := s.deps.Decodes.For(slices.Contains(in.Session.Checks, schemas.CheckFace))
	for _, c := range selfies {
		img, reason, err := decodes.OpenImageAs(ctx, s.deps.Objects, key, c, s.maxSelfie, s.cfg.MaxPixels, selfie.Prepared)
		if err != nil {
			return challenge.Verdict{}, err
		}
		if reason == "" {
			var f challenge.Frame
			f, reason, err = challenge.MeasureWith(s.deps.Engine, img, s.cfg.Challenge, s.analyser(ctx, in.Session, c))
			if err != nil {
				return challenge.Verdict{}, fmt.Errorf("liveness: %s: %w", schemas.CaptureRef(c.Kind, c.Index), err)
			}
			f.Index = c.Index
			frames = append(frames, f)
		}
		if reason != "" {
			unusable.Add(reason)
		}
	}
	if len(unusable) > 0 {
		return challenge.Verdict{Reasons: unusable.Codes()}, nil
	}
	v := challenge.Judge(frames, ch, s.cfg.Challenge)
	if !in.Session.LightChallenge || declined(in.Session, rec) || rec.Light == nil || len(frames) == 0 {
		return v, nil
	}
	light, err := s.judgeLight(ctx, in, rec, frames[0].Embedding)
	if err != nil {
		return challenge.Verdict{}, err
	}
	v.Reasons = append(v.Reasons, light...)
	return v, nil
}

// analyser reads frame c's faces, landmarks and embedding through the
// stage's Analyses for a session whose face match reads the same frames;
// for another, itself, so that nothing of its frames is kept for a reader
// that will not come.
func (s *Stage) analyser(ctx context.Context, sess idv.Session, c idv.Capture) challenge.Analyser {
	shared := s.deps.Analyses
	if !slices.Contains(sess.Checks, schemas.CheckFace) {
		shared = nil
	}
	return func(img image.Image, minPixels float64) (selfie.Analysis, error) {
		return shared.Analyse(ctx, s.deps.Engine, img, c, s.cfg.MaxPixels, minPixels)
	}
}

// models are the hashes of the models this stage ran.
func (s *Stage) models() map[string]string { return face.Subset(s.deps.Engine.Models(), Models(s.cfg)) }

// Spec describes the stage to the broker and the consume loop, beside
// its handler.
var Spec = idv.Stage{
	Name:     "liveness",
	Consumes: []string{schemas.TypeSessionSubmitted},
	Retry:    idv.RetryThroughOutage(),
	// CPU-bound: one ONNX intra-op thread per handler, so about one
	// handler per core.
	Concurrency: 2,
}
