package doccheck

import (
	"github.com/idv-oss/idv/consumers/capture"
	"slices"

	"github.com/idv-oss/idv/consumers/doccheck/mrz"
	"github.com/idv-oss/idv/schemas"
)

// Reason codes of the document check besides the MRZ's own (mrz.Reason):
// stable, machine-readable, and free of document contents, because they
// travel in events and webhooks.
const (
	// ReasonCaptureTampered: a stored capture is not what the app declared
	// (size or SHA-256 differ, or it is missing), or it does not open under
	// the session key with its slot's HPKE info.
	ReasonCaptureTampered = capture.ReasonCaptureTampered
	// ReasonNotAnImage: a document image is neither JPEG nor PNG.
	ReasonNotAnImage = capture.ReasonNotAnImage
	// ReasonImageTooLarge: a document image has more pixels than the stage
	// decodes (Config.MaxPixels), or more bytes than it reads
	// (Config.MaxImageBytes).
	ReasonImageTooLarge = capture.ReasonImageTooLarge
	// ReasonImageCorrupt: a document image's header is readable but the
	// image is truncated or corrupt.
	ReasonImageCorrupt = capture.ReasonImageCorrupt
)

// resubmitReasons are the reasons a new photo can fix: the document itself
// is not in doubt, only the picture of it.
var resubmitReasons = []string{ReasonNotAnImage, ReasonImageTooLarge, ReasonImageCorrupt}

// Outcome maps reason codes to the check's outcome: none → passed; only
// reasons a new photo can fix → resubmit; anything else (a tampered capture,
// any MRZ or validity reason, a reason this function does not know) →
// failed.
func Outcome(reasons []string) string {
	if len(reasons) == 0 {
		return schemas.OutcomePassed
	}
	for _, r := range reasons {
		if !slices.Contains(resubmitReasons, r) {
			return schemas.OutcomeFailed
		}
	}
	return schemas.OutcomeResubmit
}

// reasonSet collects reason codes.
type reasonSet []string

func (s *reasonSet) add(r string) { *s = append(*s, r) }

func (s *reasonSet) addMRZ(rs ...mrz.Reason) {
	for _, r := range rs {
		s.add(string(r))
	}
}

// codes returns the reasons sorted, each once, and never nil: the event's
// reasons are an array, not null.
func (s reasonSet) codes() []string {
	out := slices.Clone([]string(s))
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}
