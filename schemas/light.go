package schemas

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// The light challenge (issue 22): on a policy that asks for it
// (Policy.LightChallenge), a session with the liveness check also has the
// capture page tint the screen with a sequence of colours the server draws
// per attempt (POST /v1/app/session/challenge) while it takes a burst of
// light frames; the liveness stage checks that the light reflected on the
// face follows the sequence.

// Light is the capture kind of the light frames: JPEG, in the order taken.
const Light CaptureKind = "light"

// LightBaseline is the neutral colour of every sequence's first segment,
// against which the face's reflected colour is measured.
const LightBaseline = "#ffffff"

// LightPalette are the colours a sequence's later segments are drawn from:
// blue, green, amber and cyan. No saturated red (WCAG 2.3.1 treats
// saturated red transitions as the most provoking for photosensitive
// people).
var LightPalette = []string{"#3366ff", "#33cc66", "#ffcc33", "#33ccff"}

// The light sequence's shape.
const (
	// LightSegments is how many segments a sequence has: the baseline
	// and three drawn colours.
	LightSegments = 4
	// LightFramesPerSegment is how many light frames the page takes in
	// each segment, in its second half.
	LightFramesPerSegment = 2
	// LightFrames is how many light frames a light session takes.
	LightFrames = LightSegments * LightFramesPerSegment
	// LightMinMs and LightMaxMs bound a segment's drawn duration: at most
	// two colour changes a second, far below WCAG 2.3.1's three flashes.
	LightMinMs = 600
	LightMaxMs = 900
	// ChallengeWindowMs is how long after the challenge was handed out
	// the frames of its steps and the light burst may be taken.
	ChallengeWindowMs = 60000
	// MaxChallengeIssues is how often one attempt's challenge may be
	// handed out (a reload draws it again); a retake is a new attempt.
	MaxChallengeIssues = 5
	// SelfieLeadMs is how long before the challenge was handed out the
	// first selfie frame may have been taken (it looks straight at the
	// camera, which needs no challenge).
	SelfieLeadMs = 60000
	// TimingToleranceMs is the tolerance of the timing check between the
	// page's clock and the server's.
	TimingToleranceMs = 5000
)

// LightSegment is one segment of a light sequence: the screen's colour
// (#rrggbb) for Ms milliseconds.
type LightSegment struct {
	Colour string `json:"colour"`
	Ms     int    `json:"ms"`
}

// LightSequence is the light challenge of one attempt: the segments in the
// order shown, starting at the moment the page received the challenge, and
// how many light frames to take (LightFramesPerSegment per segment, each
// in the second half of its segment).
type LightSequence struct {
	Frames   int            `json:"frames"`
	Sequence []LightSegment `json:"sequence"`
}

var hexColour = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// Validate checks the sequence's shape: the baseline first, then palette
// colours with no two neighbours alike, each segment LightMinMs..LightMaxMs,
// LightFramesPerSegment frames per segment.
func (l LightSequence) Validate() error {
	if len(l.Sequence) != LightSegments {
		return fmt.Errorf("light sequence of %d segments, want %d", len(l.Sequence), LightSegments)
	}
	if l.Frames != LightFrames {
		return fmt.Errorf("light sequence of %d frames, want %d", l.Frames, LightFrames)
	}
	for i, s := range l.Sequence {
		switch {
		case !hexColour.MatchString(s.Colour):
			return fmt.Errorf("light segment %d: colour %q is not #rrggbb", i, s.Colour)
		case i == 0 && s.Colour != LightBaseline:
			return fmt.Errorf("light segment 0 is %s, want the baseline %s", s.Colour, LightBaseline)
		case i > 0 && !slices.Contains(LightPalette, s.Colour):
			return fmt.Errorf("light segment %d: %s is not in the palette", i, s.Colour)
		case i > 0 && s.Colour == l.Sequence[i-1].Colour:
			return fmt.Errorf("light segments %d and %d are both %s", i-1, i, s.Colour)
		case s.Ms < LightMinMs || s.Ms > LightMaxMs:
			return fmt.Errorf("light segment %d lasts %d ms, outside %d..%d", i, s.Ms, LightMinMs, LightMaxMs)
		}
	}
	return nil
}

// Start is when segment i starts, in ms from the sequence's start.
func (l LightSequence) Start(i int) int {
	t := 0
	for _, s := range l.Sequence[:i] {
		t += s.Ms
	}
	return t
}

// Duration is the whole sequence's length in ms.
func (l LightSequence) Duration() int { return l.Start(len(l.Sequence)) }

// SegmentAt is the index of the segment shown at ms from the sequence's
// start; -1 before it or after its end.
func (l LightSequence) SegmentAt(ms int) int {
	if ms < 0 {
		return -1
	}
	for i, s := range l.Sequence {
		if ms < s.Ms {
			return i
		}
		ms -= s.Ms
	}
	return -1
}

// RGB is a #rrggbb colour's channels.
func RGB(colour string) ([3]float64, error) {
	var c [3]float64
	if !hexColour.MatchString(colour) {
		return c, fmt.Errorf("colour %q is not #rrggbb", colour)
	}
	for i := range 3 {
		var v int
		if _, err := fmt.Sscanf(colour[1+2*i:3+2*i], "%02x", &v); err != nil {
			return c, fmt.Errorf("colour %q: %w", colour, err)
		}
		c[i] = float64(v)
	}
	return c, nil
}

// LightSlot is the slot of a light session's light frames: LightFrames,
// each as large as a selfie frame may be.
func LightSlot() Slot {
	return Slot{Kind: Light, Min: LightFrames, Max: LightFrames, MaxSize: maxSelfieSize}
}

// DrawLightSequence draws a light sequence with intn (a uniform number in
// [0, n)): the baseline, then LightSegments-1 palette colours with no two
// neighbours alike, each segment lasting LightMinMs..LightMaxMs. IDV draws
// with crypto/rand (idv.NewLightSequence); the evaluation with a seeded
// generator, so that its cases are reproducible.
func DrawLightSequence(intn func(n int) (int, error)) (LightSequence, error) {
	l := LightSequence{Frames: LightFrames}
	prev := LightBaseline
	for i := range LightSegments {
		colour := LightBaseline
		if i > 0 {
			choices := slices.DeleteFunc(slices.Clone(LightPalette), func(c string) bool { return c == prev })
			k, err := intn(len(choices))
			if err != nil {
				return LightSequence{}, err
			}
			colour = choices[k]
		}
		ms, err := intn(LightMaxMs - LightMinMs + 1)
		if err != nil {
			return LightSequence{}, err
		}
		l.Sequence = append(l.Sequence, LightSegment{Colour: colour, Ms: LightMinMs + ms})
		prev = colour
	}
	return l, nil
}

// IssuedChallenge is the answer to POST /v1/app/session/challenge: the
// current attempt's challenge, handed out at IssuedAt (the server's
// clock), its steps, the window its frames must be taken in, and its light
// sequence (nil without the light challenge). The capture times a
// submission reports are ms after the app received it.
type IssuedChallenge struct {
	Attempt  int            `json:"attempt"`
	IssuedAt time.Time      `json:"issued_at"`
	Steps    []string       `json:"steps"`
	WindowMs int            `json:"window_ms"`
	Light    *LightSequence `json:"light"`
}
