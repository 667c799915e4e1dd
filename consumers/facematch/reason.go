package facematch

import (
	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/face/rules"
	"github.com/idv-oss/idv/imagegate"
)

// Reason codes of the face match: stable, machine-readable and free of
// anything personal, because they travel in events and webhooks.
const (
	// ReasonNoFaceDocument: the detector found no face on the document front.
	ReasonNoFaceDocument = "no_face_document"
	// ReasonNoFaceSelfie: the detector found no face in a selfie frame.
	ReasonNoFaceSelfie = rules.ReasonNoFaceSelfie
	// ReasonMultipleFaces: a selfie frame holds more than one face.
	ReasonMultipleFaces = rules.ReasonMultipleFaces
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
	ReasonNotAnImage = imagegate.ReasonNotAnImage
	// ReasonImageTooLarge: an image has more pixels than the stage decodes
	// or more bytes than its slot allows.
	ReasonImageTooLarge = imagegate.ReasonImageTooLarge
	// ReasonImageCorrupt: an image's header is readable but the image is
	// truncated or corrupt.
	ReasonImageCorrupt = imagegate.ReasonImageCorrupt
)

// resubmitReasons are the reasons a new photo can fix.
var resubmitReasons = []string{ReasonNoFaceDocument, ReasonNoFaceSelfie, ReasonLowQuality,
	ReasonNotAnImage, ReasonImageTooLarge, ReasonImageCorrupt}

// Outcome maps reason codes to the check's outcome: none → passed; only
// reasons a new photo can fix → resubmit; any other (low_similarity,
// multiple_faces, capture_tampered, a reason this function does not know) →
// failed.
func Outcome(reasons []string) idv.Outcome { return idv.OutcomeOf(reasons, resubmitReasons) }
