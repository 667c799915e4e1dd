package liveness

import (
	"context"
	"fmt"
	"slices"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/consumers/check"
	"github.com/idv-oss/idv/face/challenge"
	"github.com/idv-oss/idv/face/reflection"
	"github.com/idv-oss/idv/schemas"
)

// judgeLight measures the attempt's light frames and judges them against
// its drawn sequence and ref, the first selfie frame's embedding: the
// reasons, none when the light followed the sequence.
func (s *Stage) judgeLight(ctx context.Context, in check.Input, rec idv.AttemptChallenge, ref []float32) ([]string, error) {
	var times []int
	if rec.Submission != nil {
		times = rec.Submission.Timing[schemas.Light]
	}
	lights := framesOf(in.Captures, schemas.Light)
	frames := make([]reflection.Frame, 0, len(lights))
	defer func() {
		for _, f := range frames {
			clear(f.Embedding)
		}
	}()
	var unusable idv.Reasons
	for _, c := range lights {
		img, reason, err := capture.OpenImage(ctx, s.deps.Objects, in.Key, c, s.maxSelfie, s.cfg.MaxPixels)
		if err != nil {
			return nil, err
		}
		if reason == "" {
			var f reflection.Frame
			f, reason, err = reflection.Measure(s.deps.Engine, img, s.cfg.Light)
			if err != nil {
				return nil, fmt.Errorf("liveness: %s: %w", schemas.CaptureRef(c.Kind, c.Index), err)
			}
			f.Index, f.Ms = c.Index, -1
			if c.Index < len(times) {
				f.Ms = times[c.Index]
			}
			frames = append(frames, f)
		}
		if reason != "" {
			unusable.Add(reason)
		}
	}
	if len(unusable) > 0 {
		return unusable.Codes(), nil
	}
	return reflection.Judge(frames, ref, *rec.Light, s.cfg.Light).Reasons, nil
}

// framesOf are the captures of kind among caps, in index order.
func framesOf(caps []idv.Capture, kind schemas.CaptureKind) []idv.Capture {
	var out []idv.Capture
	for _, c := range caps {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b idv.Capture) int { return a.Index - b.Index })
	return out
}

// declined reports whether the person declined the session's light
// challenge in the attempt's submission.
func declined(sess idv.Session, rec idv.AttemptChallenge) bool {
	return sess.LightChallenge && rec.Submission != nil && rec.Submission.LightDeclined
}

// timingOf is what the timing check reads of the attempt: its challenge
// record, its submit, and its selfie and (unless declined) light frames.
func timingOf(in check.Input, rec idv.AttemptChallenge) challenge.Timing {
	t := challenge.Timing{IssuedAt: rec.IssuedAt, Light: in.Session.LightChallenge}
	if in.Session.SubmittedAt != nil {
		t.SubmittedAt = *in.Session.SubmittedAt
	}
	if rec.Submission != nil {
		t.Reported = rec.Submission.Timing
	}
	kinds := []schemas.CaptureKind{schemas.Selfie}
	if in.Session.LightChallenge && !declined(in.Session, rec) {
		kinds = append(kinds, schemas.Light)
	}
	for _, kind := range kinds {
		for _, c := range framesOf(in.Captures, kind) {
			t.Frames = append(t.Frames, challenge.TimedFrame{Kind: c.Kind, Index: c.Index, DeclaredAt: c.DeclaredAt,
				UploadedAt: rec.Uploaded.At(c.Kind, c.Index)})
		}
	}
	return t
}

// signals are the app's advisory signals as the result records them:
// signal_<name> 1 (yes) or 0 (no), those it sent only; nil for none.
func signals(rec idv.AttemptChallenge) map[string]float64 {
	if rec.Submission == nil || len(rec.Submission.Signals) == 0 {
		return nil
	}
	out := map[string]float64{}
	for name, yes := range rec.Submission.Signals {
		out["signal_"+name] = 0
		if yes {
			out["signal_"+name] = 1
		}
	}
	return out
}
