package presence

import "github.com/idv-oss/idv/face/rules"

// MinFacePixels is the face match's narrowest face: the width, in image
// pixels, of its detector's box (package face), under which it answers
// low_quality (face/rules, which consumers/facematch takes it from too).
// The page uploads a selfie frame at the size it checks it, so frame
// pixels are the server's image pixels.
const MinFacePixels = rules.MinFacePixels

// BoxWidthRatio is how much wider pigo's box is than the server
// detector's box of the same face, at most: 1.03 to 1.27 times on the
// test photos and the frames made from them (presencetest; TestServer
// fails when a vector exceeds it), four people's faces, most vectors
// Grace Hopper's at several sizes: a rough bound. A face passes when its
// box is at least MinFacePixels × BoxWidthRatio (78) pixels wide, so
// that the page does not let through a face the server finds too small;
// it may ask a face the server would have taken to come closer.
const BoxWidthRatio = 1.3

// Reason codes of the check, in the order Check gives them. The first two
// are spelled as the face match spells its reasons for the same finding.
const (
	// ReasonNoFaceSelfie: no face was found (face/rules).
	ReasonNoFaceSelfie = rules.ReasonNoFaceSelfie
	// ReasonMultipleFaces: more than one face was found; the face match
	// fails a selfie frame holding more than one (face/rules).
	ReasonMultipleFaces = rules.ReasonMultipleFaces
	// ReasonFaceTooSmall: the face's box is narrower than MinFacePixels ×
	// BoxWidthRatio; the face match would answer low_quality. Come closer.
	ReasonFaceTooSmall = "face_too_small"
	// ReasonFaceTooLarge: the face's box is wider or taller than the
	// oval. Move back.
	ReasonFaceTooLarge = "face_too_large"
	// ReasonFaceOffCentre: the face's centre is outside the oval, or less
	// than MinInside of its box is inside it. Not given with
	// ReasonFaceTooLarge: a face that cannot fit is not also off centre.
	ReasonFaceOffCentre = "face_off_centre"
)
