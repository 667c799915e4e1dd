// Package rules holds what the face match on the server and the face
// check on the capture page (face/presence, compiled to WebAssembly) must
// agree on — the narrowest face compared and the spelling of the findings
// both make — in a package of constants only, so that the page's module
// links nothing of the server's stage and the server nothing of the page's
// detector.
package rules

// MinFacePixels is the narrowest face box, in image pixels, the face match
// compares; a narrower face is low_quality.
const MinFacePixels = 60

// Reason codes both make for the same finding in a selfie frame.
const (
	// ReasonNoFaceSelfie: no face was found.
	ReasonNoFaceSelfie = "no_face_selfie"
	// ReasonMultipleFaces: more than one face was found.
	ReasonMultipleFaces = "multiple_faces"
)
