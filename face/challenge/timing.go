package challenge

import (
	"time"

	"github.com/idv-oss/idv/schemas"
)

// Timing is what the timing check reads of one attempt: when its challenge
// was handed out (nil: never), whether the session takes the light
// challenge, when the attempt was submitted, the capture times the app
// reported (ms after it received the challenge), and each selfie and
// light frame's declaration time (server clock) and upload time (the object
// store's clock, as the API read it at the submit).
type Timing struct {
	IssuedAt    *time.Time
	Light       bool
	SubmittedAt time.Time
	Reported    map[schemas.CaptureKind][]int
	Frames      []TimedFrame
}

// TimedFrame is one frame of the attempt, when the app declared it and
// when the object store stored it (zero: not known, as for a submit
// without a body).
type TimedFrame struct {
	Kind       schemas.CaptureKind
	Index      int
	DeclaredAt time.Time
	UploadedAt time.Time
}

// CheckTiming returns ReasonChallengeTiming, or "" when the frames' times
// fit. An attempt whose challenge was never handed out is not timed,
// unless the session takes the light challenge: then it fails. Otherwise
// every frame needs a reported time t, within its bounds (selfie/0 from
// schemas.SelfieLeadMs before the challenge, every other frame from 0, all
// up to schemas.ChallengeWindowMs); issued_at + t no later than the submit
// (plus schemas.TimingToleranceMs); and the frame declared and stored no
// earlier than issued_at + t (less the tolerance). Both are needed: a
// frame declared again later keeps an object uploaded before the
// challenge, and the store's time of an upload is to the second.
func CheckTiming(in Timing) string {
	if in.IssuedAt == nil {
		if in.Light {
			return ReasonChallengeTiming
		}
		return ""
	}
	tolerance := time.Duration(schemas.TimingToleranceMs) * time.Millisecond
	for _, f := range in.Frames {
		times := in.Reported[f.Kind]
		if f.Index >= len(times) {
			return ReasonChallengeTiming
		}
		ms := times[f.Index]
		low := 0
		if f.Kind == schemas.Selfie && f.Index == 0 {
			low = -schemas.SelfieLeadMs
		}
		if ms < low || ms > schemas.ChallengeWindowMs {
			return ReasonChallengeTiming
		}
		taken := in.IssuedAt.Add(time.Duration(ms) * time.Millisecond)
		if taken.After(in.SubmittedAt.Add(tolerance)) || f.DeclaredAt.Before(taken.Add(-tolerance)) ||
			(!f.UploadedAt.IsZero() && f.UploadedAt.Before(taken.Add(-tolerance))) {
			return ReasonChallengeTiming
		}
	}
	return ""
}
