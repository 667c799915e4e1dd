package framecheck

import (
	"github.com/idv-oss/idv/document/mrz"
	"github.com/idv-oss/idv/document/ocrb"
	"github.com/idv-oss/idv/document/quality"
)

// Result is what Check found in the photos of one document.
type Result struct {
	// Reasons are the quality gates' reason codes (quality.Reason…) of
	// every photo, in the order of the photos; none when they pass them
	// or the gates are off.
	Reasons []string
	// Measures are what the gates measured, one per photo in the order
	// given; none when the gates are off.
	Measures []quality.Measures
	// Passed: there was a photo and none failed a gate (always, with the
	// gates off); only then is the MRZ read.
	Passed bool
	// MRZ says how the MRZ read went; all false when it was not read.
	MRZ MRZ

	// Read is what the reader read, from photo From; nil when nothing
	// was read. It holds the MRZ's characters: the server compares it
	// with the app's MRZ text (ocrb.Compare) and finds the MRZ's cells
	// in it for a redacted copy; it goes into no log, event or Value.
	Read *ocrb.Result
	From int
	// Text and Document are the MRZ the photos give, when the reading
	// can stand alone as one (MRZ.Parsed): its text (lines joined by
	// newlines) and its parse on the day Check was given. Empty and nil
	// otherwise, and then the photos give no MRZ.
	Text     string
	Document *mrz.Document
}

// MRZ is the outcome of reading the MRZ, without its text.
type MRZ struct {
	// Read: the reader found lines it takes for an MRZ.
	Read bool
	// Trusted: the reading can stand alone (ocrb.Trusted).
	Trusted bool
	// Parsed: the trusted reading parses, check digits included. The
	// server takes the MRZ from the photos only when a photo's reading is
	// trusted and parsed; without one it asks for a new photo
	// (ocrb.ReasonUnreadable).
	Parsed bool
}

// Value is r, the result of checking one photo, in the shapes syscall/js
// converts to JavaScript (and encoding/json to JSON) as they are:
// map[string]any, []any, float64, int and bool. The measures are the
// first photo's (zero when there are none). It holds no reading and no
// text.
//
//	{reasons: [string], mrz: {read, trusted, parsed},
//	 measures: {width, height, focus, glare, colourfulness, borderEdges, cardEdge}}
func (r Result) Value() map[string]any {
	reasons := make([]any, len(r.Reasons))
	for i, code := range r.Reasons {
		reasons[i] = code
	}
	var m quality.Measures
	if len(r.Measures) > 0 {
		m = r.Measures[0]
	}
	return map[string]any{
		"reasons": reasons,
		"measures": map[string]any{
			"width": m.Width, "height": m.Height, "focus": m.Focus, "glare": m.Glare,
			"colourfulness": m.Colourfulness, "borderEdges": m.BorderEdges, "cardEdge": m.CardEdge,
		},
		"mrz": map[string]any{"read": r.MRZ.Read, "trusted": r.MRZ.Trusted, "parsed": r.MRZ.Parsed},
	}
}
