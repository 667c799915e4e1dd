package challenge

import (
	"testing"
	"time"

	"github.com/idv-oss/idv/schemas"
)

func TestCheckTiming(t *testing.T) {
	issued := time.Date(2026, 12, 6, 19, 40, 0, 0, time.UTC)
	at := func(ms int) time.Time { return issued.Add(time.Duration(ms) * time.Millisecond) }
	frames := func(declared time.Time) []TimedFrame {
		var out []TimedFrame
		for i := range 3 {
			out = append(out, TimedFrame{Kind: schemas.Selfie, Index: i, DeclaredAt: declared})
		}
		for i := range 2 {
			out = append(out, TimedFrame{Kind: schemas.Light, Index: i, DeclaredAt: declared})
		}
		return out
	}
	uploaded := func(declared, stored time.Time) []TimedFrame {
		out := frames(declared)
		for i := range out {
			out[i].UploadedAt = stored
		}
		return out
	}
	good := map[schemas.CaptureKind][]int{schemas.Selfie: {-1200, 2400, 4100}, schemas.Light: {450, 700}}
	with := func(kind schemas.CaptureKind, i, ms int) map[schemas.CaptureKind][]int {
		out := map[schemas.CaptureKind][]int{schemas.Selfie: append([]int(nil), good[schemas.Selfie]...),
			schemas.Light: append([]int(nil), good[schemas.Light]...)}
		out[kind][i] = ms
		return out
	}
	for _, tc := range []struct {
		name string
		in   Timing
		want string
	}{
		{"in time", Timing{IssuedAt: &issued, SubmittedAt: at(6000), Reported: good, Frames: frames(at(5000))}, ""},
		{"never handed out, no light", Timing{SubmittedAt: at(6000), Frames: frames(at(5000))}, ""},
		{"never handed out, light", Timing{Light: true, SubmittedAt: at(6000), Frames: frames(at(5000))}, ReasonChallengeTiming},
		{"no times", Timing{IssuedAt: &issued, SubmittedAt: at(6000), Frames: frames(at(5000))}, ReasonChallengeTiming},
		{"a light time missing", Timing{IssuedAt: &issued, SubmittedAt: at(6000),
			Reported: map[schemas.CaptureKind][]int{schemas.Selfie: good[schemas.Selfie], schemas.Light: {450}}, Frames: frames(at(5000))}, ReasonChallengeTiming},
		{"selfie/0 long before", Timing{IssuedAt: &issued, SubmittedAt: at(6000), Reported: with(schemas.Selfie, 0, -60001), Frames: frames(at(5000))}, ReasonChallengeTiming},
		{"selfie/1 before the challenge", Timing{IssuedAt: &issued, SubmittedAt: at(6000), Reported: with(schemas.Selfie, 1, -1), Frames: frames(at(5000))}, ReasonChallengeTiming},
		{"past the window", Timing{IssuedAt: &issued, SubmittedAt: at(70000), Reported: with(schemas.Light, 1, 60001), Frames: frames(at(65000))}, ReasonChallengeTiming},
		{"stale: declared before taken", Timing{IssuedAt: &issued, SubmittedAt: at(6000), Reported: good, Frames: frames(at(-1000))}, ReasonChallengeTiming},
		{"too early: taken after the submit", Timing{IssuedAt: &issued, SubmittedAt: at(-1000), Reported: good, Frames: frames(at(5000))}, ReasonChallengeTiming},
		{"within the tolerance", Timing{IssuedAt: &issued, SubmittedAt: at(0), Reported: good, Frames: frames(at(0))}, ""},
		{"uploaded in time", Timing{IssuedAt: &issued, SubmittedAt: at(6000), Reported: good, Frames: uploaded(at(5000), at(4000))}, ""},
		// Declared again after the challenge, its object uploaded before.
		{"uploaded before taken", Timing{IssuedAt: &issued, SubmittedAt: at(6000), Reported: good, Frames: uploaded(at(5000), at(-10000))}, ReasonChallengeTiming},
	} {
		if got := CheckTiming(tc.in); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
