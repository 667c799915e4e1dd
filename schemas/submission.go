package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// The submission: the optional body of POST /v1/app/session/submit, which
// the capture page sends with what it recorded while taking the frames
// (issue 22): each frame's capture time, whether the person declined the
// light challenge, and the browser's advisory injection signals. It is
// outside input: ParseSubmission reads it strictly.

// The advisory signals a submission may carry, each a derived yes/no.
const (
	// SignalAutomation: the browser says it is driven by automation
	// (navigator.webdriver).
	SignalAutomation = "automation"
	// SignalVirtualCamera: the camera track's label names a known
	// virtual camera.
	SignalVirtualCamera = "virtual_camera"
	// SignalTrackMismatch: the track's settings do not fit the device or
	// the video element.
	SignalTrackMismatch = "track_mismatch"
	// SignalFrameRateMismatch: the frame rate the track claims does not
	// match the frames' timestamps.
	SignalFrameRateMismatch = "frame_rate_mismatch"
)

// Signals are the advisory signals a submission may name.
var Signals = []string{SignalAutomation, SignalVirtualCamera, SignalTrackMismatch, SignalFrameRateMismatch}

// MaxTimingMs bounds the magnitude of a capture time the parser accepts;
// whether a time is within its challenge's bounds is the liveness check's
// to judge (challenge_timing), not the parser's.
const MaxTimingMs = math.MaxInt32

// Submission is what the page recorded for one attempt.
type Submission struct {
	// Timing is, per capture kind (selfie, light) and index, the frame's
	// capture time in ms after the page received the challenge.
	Timing map[CaptureKind][]int `json:"timing,omitempty"`
	// LightDeclined: the person chose the path without the light
	// challenge (for people sensitive to light).
	LightDeclined bool `json:"light_declined,omitempty"`
	// Signals are the advisory signals the page sent, by name.
	Signals map[string]bool `json:"signals,omitempty"`
}

// SubmissionLimits are how many frames of each timed kind the session
// takes: a timing array longer than its slot is refused.
type SubmissionLimits struct {
	SelfieFrames, LightFrames int
}

// SubmissionError is a submission ParseSubmission refuses, and the field
// at fault (e.g. "timing.light", "signals.automation").
type SubmissionError struct {
	Field string
	Err   error
}

func (e *SubmissionError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *SubmissionError) Unwrap() error { return e.Err }

// ErrMalformedSubmission is the error of a body that is not one JSON object.
var ErrMalformedSubmission = errors.New("the submission is not one JSON object")

// ParseSubmission reads a submission strictly: one JSON object with only
// the known fields, each of its type; timing only for selfie and light, as
// arrays of integers no longer than their slots; signals only the known
// names, as booleans. A body that is not one JSON object is
// ErrMalformedSubmission; every other refusal a *SubmissionError.
func ParseSubmission(data []byte, lim SubmissionLimits) (Submission, error) {
	top, err := object(data)
	if err != nil {
		return Submission{}, err
	}
	var sub Submission
	for name, raw := range top {
		switch name {
		case "timing":
			sub.Timing, err = parseTiming(raw, lim)
		case "light_declined":
			sub.LightDeclined, err = parseBool(raw, name)
		case "signals":
			sub.Signals, err = parseSignals(raw)
		default:
			err = &SubmissionError{Field: name, Err: errors.New("unknown field")}
		}
		if err != nil {
			return Submission{}, err
		}
	}
	return sub, nil
}

// object decodes one JSON object into its members, refusing a member named
// twice (encoding/json would keep the last silently).
func object(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, ErrMalformedSubmission
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, ErrMalformedSubmission
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, ErrMalformedSubmission
		}
		if _, twice := out[name]; twice {
			return nil, &SubmissionError{Field: name, Err: errors.New("named twice")}
		}
		out[name] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, ErrMalformedSubmission
	}
	if _, err := dec.Token(); err == nil {
		return nil, ErrMalformedSubmission
	}
	return out, nil
}

func parseBool(raw json.RawMessage, field string) (bool, error) {
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &SubmissionError{Field: field, Err: errors.New("want true or false")}
}

func parseTiming(raw json.RawMessage, lim SubmissionLimits) (map[CaptureKind][]int, error) {
	members, err := object(raw)
	if err != nil {
		return nil, &SubmissionError{Field: "timing", Err: errors.New("want an object of kind → array of integers")}
	}
	out := map[CaptureKind][]int{}
	for name, v := range members {
		field := "timing." + name
		var most int
		switch CaptureKind(name) {
		case Selfie:
			most = lim.SelfieFrames
		case Light:
			most = lim.LightFrames
		default:
			return nil, &SubmissionError{Field: field, Err: errors.New("only selfie and light frames are timed")}
		}
		times, err := parseTimes(v, field, most)
		if err != nil {
			return nil, err
		}
		out[CaptureKind(name)] = times
	}
	return out, nil
}

// parseTimes reads an array of at most most integers (ms), written as
// JSON integers: no fraction, no exponent, no string.
func parseTimes(raw json.RawMessage, field string, most int) ([]int, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil || elems == nil {
		return nil, &SubmissionError{Field: field, Err: errors.New("want an array of integers")}
	}
	if len(elems) > most {
		return nil, &SubmissionError{Field: field, Err: fmt.Errorf("%d times, the slot takes at most %d", len(elems), most)}
	}
	out := make([]int, len(elems))
	for i, e := range elems {
		v, err := strconv.ParseInt(string(bytes.TrimSpace(e)), 10, 64)
		if err != nil || v > MaxTimingMs || v < -MaxTimingMs {
			return nil, &SubmissionError{Field: fmt.Sprintf("%s.%d", field, i), Err: errors.New("want an integer number of ms")}
		}
		out[i] = int(v)
	}
	return out, nil
}

func parseSignals(raw json.RawMessage) (map[string]bool, error) {
	members, err := object(raw)
	if err != nil {
		return nil, &SubmissionError{Field: "signals", Err: errors.New("want an object of signal → boolean")}
	}
	out := map[string]bool{}
	for name, v := range members {
		field := "signals." + name
		if !slices.Contains(Signals, name) {
			return nil, &SubmissionError{Field: field, Err: errors.New("unknown signal")}
		}
		if out[name], err = parseBool(v, field); err != nil {
			return nil, err
		}
	}
	return out, nil
}
