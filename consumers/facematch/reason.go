package facematch

import (
	"github.com/idv-oss/idv/consumers/capture"
	"slices"

	"github.com/idv-oss/idv/schemas"
)

// Reason codes of the face match: stable, machine-readable and free of
// anything personal, because they travel in events and webhooks.
const (
	// ReasonNoFaceDocument: the detector found no face on the document front.
	ReasonNoFaceDocument = "no_face_document"
	// ReasonNoFaceSelfie: the detector found no face in a selfie frame.
	ReasonNoFaceSelfie = "no_face_selfie"
	// ReasonMultipleFaces: a selfie frame holds more than one face.
	ReasonMultipleFaces = "multiple_faces"
	// ReasonLowQuality: a face is too small to compare (narrower than
	// Config.MinFacePixels).
	ReasonLowQuality = "low_quality"
	// ReasonLowSimilarity: the least similar selfie frame scored below
	// Config.Threshold against the document face.
	ReasonLowSimilarity = "low_similarity"

	// The image reasons are spelled as the document check spells them, so
	// that a webhook consumer sees one vocabulary.

	// ReasonCaptureTampered: a stored capture is not what the app declared
	// (size or SHA-256 differ, or it is missing), or it does not open under
	// the session key with its slot's HPKE info.
	ReasonCaptureTampered = capture.ReasonCaptureTampered
	// ReasonNotAnImage: an image is neither JPEG nor PNG.
	ReasonNotAnImage = capture.ReasonNotAnImage
	// ReasonImageTooLarge: an image has more pixels than the stage decodes
	// or more bytes than its slot allows.
	ReasonImageTooLarge = capture.ReasonImageTooLarge
	// ReasonImageCorrupt: an image's header is readable but the image is
	// truncated or corrupt.
	ReasonImageCorrupt = capture.ReasonImageCorrupt
)

// failReasons say the person in the selfies is not (or not only) the
// document's holder, or the captures were tampered with. Every other
// reason is one a new photo can fix.
var failReasons = []string{ReasonLowSimilarity, ReasonMultipleFaces, ReasonCaptureTampered}

// resubmitReasons are the reasons a new photo can fix.
var resubmitReasons = []string{ReasonNoFaceDocument, ReasonNoFaceSelfie, ReasonLowQuality,
	ReasonNotAnImage, ReasonImageTooLarge, ReasonImageCorrupt}

// Outcome maps reason codes to the check's outcome: none → passed; only
// reasons a new photo can fix → resubmit; any other (low_similarity,
// multiple_faces, capture_tampered, a reason this function does not know) →
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
