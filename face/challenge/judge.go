package challenge

import (
	"math"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/face"
	"github.com/idv-oss/idv/schemas"
)

// Frame is what Measure read on one selfie frame. It holds biometric data
// (the embedding and the face crop): keep it in memory only, for as short as
// the judgement takes.
type Frame struct {
	Index     int
	Yaw       float64   // degrees; positive: the face points to the image's left
	Eyes      face.Eyes // closure probabilities
	Passive   float64   // advisory live probability; 0 unless Config.Passive
	Embedding []float32
	Thumbnail []float32
}

// Verdict is the judgement over a sequence of frames.
type Verdict struct {
	Reasons []string
	// SamePerson is the lowest cosine similarity of a frame's face to the
	// first frame's; nil with fewer than two frames.
	SamePerson *float64
	// Passive is the mean passive-liveness score (advisory; 0 unless
	// the frames were measured with Config.Passive).
	Passive float64
}

// Judge checks the frames, in the order taken, against the challenge: frame
// 0 looks straight at the camera with open eyes; then each step shows in a
// later frame than the step before it; no two frames are the same picture;
// every frame shows the first frame's person.
func Judge(frames []Frame, ch schemas.Challenge, cfg Config) Verdict {
	cfg = cfg.WithDefaults()
	var r idv.Reasons
	v := Verdict{}
	if len(frames) < schemas.MinChallengeFrames {
		r.Add(ReasonInsufficientFrames)
	}
	if len(frames) == 0 {
		v.Reasons = r.Codes()
		return v
	}
	for _, f := range frames {
		v.Passive += f.Passive / float64(len(frames))
	}
	if len(frames) > 1 {
		low := 2.0
		for _, f := range frames[1:] {
			low = math.Min(low, face.Cosine(frames[0].Embedding, f.Embedding))
		}
		v.SamePerson = &low
		if low < cfg.SamePerson {
			r.Add(ReasonDifferentPerson)
		}
	}
	if replayed(frames, cfg.ReplayDiff) {
		r.Add(ReasonReplayedFrames)
	}
	if !neutral(frames[0], cfg) {
		r.Add(ReasonStartMissing)
	}
	if reason := followed(frames[1:], ch, cfg); reason != "" {
		r.Add(reason)
	}
	v.Reasons = r.Codes()
	return v
}

// replayed reports whether any two frames are the same picture.
func replayed(frames []Frame, maxDiff float64) bool {
	for i := range frames {
		for j := i + 1; j < len(frames); j++ {
			if d := face.MeanAbsDiff(frames[i].Thumbnail, frames[j].Thumbnail); d >= 0 && d < maxDiff {
				return true
			}
		}
	}
	return false
}

func neutral(f Frame, cfg Config) bool {
	return math.Abs(f.Yaw) <= cfg.NeutralYaw && f.Eyes.Closed() < cfg.Blink
}

// shows reports whether a frame performs a step. In un-mirrored frames a
// person turning to their own left points the face to the image's right,
// which the pose model reports as negative yaw.
func shows(f Frame, step string, cfg Config) bool {
	switch step {
	case schemas.StepTurnLeft:
		return f.Yaw <= -cfg.TurnYaw
	case schemas.StepTurnRight:
		return f.Yaw >= cfg.TurnYaw
	case schemas.StepBlink:
		return math.Min(f.Eyes.Left, f.Eyes.Right) >= cfg.Blink
	}
	return false
}

// followed returns "" when the steps show in order in frames (each in a
// later frame than the one before it), else why not: a step that shows
// nowhere, or steps that all show but out of order.
func followed(frames []Frame, ch schemas.Challenge, cfg Config) string {
	next := 0
	inOrder := true
	for _, step := range ch.Steps {
		found := -1
		for i := next; i < len(frames); i++ {
			if shows(frames[i], step, cfg) {
				found = i
				break
			}
		}
		if found < 0 {
			inOrder = false
			break
		}
		next = found + 1
	}
	if inOrder {
		return ""
	}
	for _, step := range ch.Steps {
		any := false
		for _, f := range frames {
			any = any || shows(f, step, cfg)
		}
		if !any {
			return ReasonStepMissing
		}
	}
	return ReasonWrongOrder
}
