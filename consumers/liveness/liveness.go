// Package liveness is the active-liveness stage: on idv.session.submitted,
// for a session whose checks include "liveness", it opens the selfie frames
// in memory with the session key and checks, in the order the frames were
// taken, that the person performed the challenge the server drew for the
// session (schemas.Challenge): looking straight at the camera first, then
// each step — a head turn read by the pose model's yaw, a blink read by the
// eye model's closure — in order. Every frame must show the first frame's
// person (embedding similarity), and no two frames may be the same picture
// (a still replayed as a sequence). The passive-liveness model's score is
// recorded as advisory only: it did not tell screens and prints from faces
// (FACTS), so the outcome never rests on it.
//
// Embeddings and decrypted frames are biometric data (GDPR art. 9): they
// live only for the length of one Handle call and are never stored, logged
// or put in an event.
package liveness

import (
	"context"
	"fmt"
	"image"
	"slices"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/capture"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/imagegate"
	"github.com/idv-oss/idv/schemas"
)

// Check is the check's name in sessions, results and events.
const Check = schemas.CheckLiveness

// Models are the face engine's models this stage runs; open the engine with
// at least these.
var Models = []string{face.Detector, face.Landmarker, face.Feature, face.Pose, face.Eye, face.Liveness}

// Defaults of Config. Measured on synthetic sequences made from Debian's
// test photos (docs/measurements.md, "Face match and liveness, measured"); not calibrated
// on a real population.
const (
	DefaultTurnYaw       = 15.0 // degrees a turn must reach
	DefaultNeutralYaw    = 10.0 // degrees the first frame may be off straight
	DefaultBlink         = 0.5  // closure probability of both eyes for a blink
	DefaultSamePerson    = 0.45 // lowest cosine similarity to the first frame
	DefaultReplayDiff    = 0.35 // grey levels: face crops closer than this are one picture
	DefaultMinFacePixels = 64   // narrowest face box whose pose and eyes are read
)

// Config tunes the stage; the zero value is the default.
type Config struct {
	TurnYaw, NeutralYaw, Blink, SamePerson, ReplayDiff, MinFacePixels float64
	// MaxPixels is the largest frame, in pixels, the stage decodes;
	// imagegate.DefaultMaxPixels when 0.
	MaxPixels int64
}

func (c Config) withDefaults() Config {
	set := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&c.TurnYaw, DefaultTurnYaw)
	set(&c.NeutralYaw, DefaultNeutralYaw)
	set(&c.Blink, DefaultBlink)
	set(&c.SamePerson, DefaultSamePerson)
	set(&c.ReplayDiff, DefaultReplayDiff)
	set(&c.MinFacePixels, DefaultMinFacePixels)
	if c.MaxPixels <= 0 {
		c.MaxPixels = imagegate.DefaultMaxPixels
	}
	return c
}

// Engine is what the stage needs of the face engine (*face.Engine).
type Engine interface {
	Detect(img image.Image) ([]face.Face, error)
	Landmarks(img image.Image, f face.Face) ([68]face.Point, error)
	Embed(img image.Image, f face.Face) ([]float32, error)
	HeadPose(img image.Image, f face.Face) (face.HeadPose, error)
	Eyes(img image.Image, lm [68]face.Point) (face.Eyes, error)
	Passive(img image.Image, f face.Face) (float64, error)
	Models() map[string]string
	Version() string
}

// Deps are the stage's parts: the stores every check stage uses, and the
// face engine.
type Deps struct {
	capture.Stores
	Engine Engine
}

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
	sess, log, todo, err := capture.Begin(ctx, ev, s.deps.Sessions, s.deps.Results, Check, s.deps.Log)
	if err != nil || !todo {
		return err
	}
	ch := schemas.Challenge{Steps: sess.Challenge}
	if err := ch.Validate(); err != nil {
		return stage.Permanent(fmt.Errorf("liveness: session %s: %w", sess.ID, err))
	}
	v, err := s.judge(ctx, sess, ch)
	if err != nil {
		return err
	}
	res := idv.Result{SessionID: sess.ID, TenantID: sess.TenantID, Check: Check, Outcome: Outcome(v.Reasons),
		Reasons: v.Reasons, Score: v.SamePerson, Threshold: &s.cfg.SamePerson, Engine: s.deps.Engine.Version(),
		Models: s.models(), CompletedAt: s.deps.Now().UTC()}
	if v.SamePerson != nil {
		res.Advisory = map[string]float64{"passive_liveness": v.Passive}
	}
	if err := capture.Save(ctx, s.deps.Results, res); err != nil {
		return err
	}
	log.InfoContext(ctx, "liveness completed", "outcome", res.Outcome, "reasons", res.Reasons)
	return nil
}

// judge measures every selfie frame and judges the sequence; frames that
// give no usable face end the check with their reasons unjudged.
func (s *Stage) judge(ctx context.Context, sess idv.Session, ch schemas.Challenge) (Verdict, error) {
	key, err := capture.SessionKey(ctx, s.deps.Sessions, s.deps.Keys, sess)
	if err != nil {
		return Verdict{}, fmt.Errorf("liveness: %w", err)
	}
	caps, err := s.deps.Sessions.Captures(ctx, sess.TenantID, sess.ID)
	if err != nil {
		return Verdict{}, err
	}
	var selfies []idv.Capture
	for _, c := range caps {
		if c.Kind == schemas.Selfie {
			selfies = append(selfies, c)
		}
	}
	slices.SortFunc(selfies, func(a, b idv.Capture) int { return a.Index - b.Index })
	frames := make([]Frame, 0, len(selfies))
	defer func() {
		for _, f := range frames {
			clear(f.Embedding)
			clear(f.Thumbnail)
		}
	}()
	var unusable idv.Reasons
	for _, c := range selfies {
		img, reason, err := capture.OpenImage(ctx, s.deps.Objects, key, c, s.maxSelfie, s.cfg.MaxPixels)
		if err != nil {
			return Verdict{}, err
		}
		if reason == "" {
			var f Frame
			f, reason, err = Measure(s.deps.Engine, img, s.cfg)
			if err != nil {
				return Verdict{}, fmt.Errorf("liveness: %s: %w", schemas.CaptureRef(c.Kind, c.Index), err)
			}
			f.Index = c.Index
			frames = append(frames, f)
		}
		if reason != "" {
			unusable.Add(reason)
		}
	}
	if len(unusable) > 0 {
		return Verdict{Reasons: unusable.Codes()}, nil
	}
	return Judge(frames, ch, s.cfg), nil
}

// models are the hashes of the models this stage ran.
func (s *Stage) models() map[string]string { return face.Subset(s.deps.Engine.Models(), Models) }
