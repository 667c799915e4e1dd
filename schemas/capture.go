package schemas

import (
	"fmt"
	"slices"
)

// CaptureKind names what a capture holds. Every capture is sealed on the
// device to the session key before upload.
type CaptureKind string

// The capture kinds of a session.
const (
	DocumentFront CaptureKind = "document_front"
	DocumentBack  CaptureKind = "document_back"
	Selfie        CaptureKind = "selfie"
	MRZ           CaptureKind = "mrz"
	// Chip holds the files an app read from the document's contactless
	// chip (eMRTD): EF.SOD and the data groups, concatenated as read.
	Chip CaptureKind = "chip"
	// ChipAA is the chip's answer to INTERNAL AUTHENTICATE over the
	// session's chip_challenge (active authentication, ICAO 9303-11).
	ChipAA CaptureKind = "chip_aa"
	// RedactedCopy is a redacted copy of a side of the document that
	// the document check keeps when the tenant's policy asks for one
	// (Policy.RedactedCopy), sealed to the session key like a capture
	// and stored under the session's prefix: index RedactedCopyFront of
	// the front, RedactedCopyBack of the back when the app sent one. IDV
	// makes it; no app can upload one, so it has no slot.
	RedactedCopy CaptureKind = "redacted_copy"
)

// The indexes of the redacted copies, one per side of the document.
const (
	RedactedCopyFront = 0
	RedactedCopyBack  = 1
)

// Slot says how many captures of a kind a session takes and how large each
// may be once sealed.
type Slot struct {
	Kind    CaptureKind `json:"kind"`
	Min     int         `json:"min"`
	Max     int         `json:"max"`
	MaxSize int64       `json:"max_size"`
}

// Sealed-size caps per kind: the sealing overhead is about 1 KiB, so these
// are the plaintext budgets plus headroom.
const (
	maxDocumentSize = 15 << 20
	maxSelfieSize   = 5 << 20
	maxMRZSize      = 4 << 10
	maxChipSize     = 2<<20 + 4<<10
	maxChipAASize   = 4 << 10
)

// ChipChallengeBytes is the length of the nonce a session gives the app for
// the chip's active authentication (RND.IFD: 8 bytes in ICAO 9303-11).
const ChipChallengeBytes = 8

// Slots returns the capture slots of a session that takes selfieFrames
// selfie frames, in the order an app should fill them.
func Slots(selfieFrames int) []Slot {
	return []Slot{
		{Kind: DocumentFront, Min: 1, Max: 1, MaxSize: maxDocumentSize},
		{Kind: DocumentBack, Min: 0, Max: 1, MaxSize: maxDocumentSize},
		{Kind: Selfie, Min: 1, Max: selfieFrames, MaxSize: maxSelfieSize},
		// The MRZ as the app read it, optional: without it the document
		// check reads the MRZ from the photos.
		{Kind: MRZ, Min: 0, Max: 1, MaxSize: maxMRZSize},
		{Kind: Chip, Min: 0, Max: 1, MaxSize: maxChipSize},
		{Kind: ChipAA, Min: 0, Max: 1, MaxSize: maxChipAASize},
	}
}

// SessionSlots are the capture slots of a session running checks with
// selfieFrames selfie frames: Slots, with the selfie required only when a
// check uses it (face or liveness). A document-only session needs no
// photo of the face, so an app (the hosted page) takes none. A session
// with the light challenge (light) also has the light frames' slot
// (LightSlot).
func SessionSlots(checks []string, selfieFrames int, light bool) []Slot {
	slots := Slots(selfieFrames)
	if !NeedsSelfie(checks) {
		for i := range slots {
			if slots[i].Kind == Selfie {
				slots[i].Min = 0
			}
		}
	}
	if light {
		slots = append(slots, LightSlot())
	}
	return slots
}

// NeedsSelfie reports whether checks use the selfie frames: the face
// match or the liveness check.
func NeedsSelfie(checks []string) bool {
	return slices.Contains(checks, CheckFace) || slices.Contains(checks, CheckLiveness)
}

// SlotFor finds the slot of kind among slots.
func SlotFor(slots []Slot, kind CaptureKind) (Slot, bool) {
	for _, s := range slots {
		if s.Kind == kind {
			return s, true
		}
	}
	return Slot{}, false
}

// CaptureRef names one capture as "kind/index", the form error messages and
// logs use.
func CaptureRef(kind CaptureKind, index int) string {
	return fmt.Sprintf("%s/%d", kind, index)
}

// ObjectKey is where a capture of an attempt is stored: ids and codes
// only, under the tenant and session so a session's objects can be listed
// and deleted together. Sessions created before attempts existed keep
// their keys without one (the captures row holds each key).
func ObjectKey(tenantID, sessionID string, attempt int, kind CaptureKind, index int) string {
	return fmt.Sprintf("%s/%s/%d/%s/%d", tenantID, sessionID, attempt, kind, index)
}

// Retake names, for the person, what to take again and why: the captures
// of one kind of subject (RetakeDocument, RetakeSelfie) and the reasons
// the checks gave.
type Retake struct {
	Capture string   `json:"capture"`
	Reasons []string `json:"reasons"`
}

// ReasonMRZImageUnreadable is the document check's reason for an MRZ the
// photo does not let it read with confidence (document/ocrb): a retake can
// fix it, and after the last attempt a person reads it (review).
const ReasonMRZImageUnreadable = "mrz_image_unreadable"

// What a retake asks the person to take again.
const (
	RetakeDocument = "document" // the photos of the document (front, and back if sent)
	RetakeSelfie   = "selfie"   // the photos of the face
)

// RetakeOf is what a check's resubmit reason asks the person to take
// again: the document check's reasons are about the document photos; face
// match's about the document's portrait (no_face_document) or the selfie;
// the liveness check's about the selfie frames.
func RetakeOf(check, reason string) string {
	switch {
	case check == CheckDocument, reason == "no_face_document":
		return RetakeDocument
	default:
		return RetakeSelfie
	}
}

// SessionPrefix is the object-key prefix of every capture of a session.
func SessionPrefix(tenantID, sessionID string) string {
	return tenantID + "/" + sessionID + "/"
}
