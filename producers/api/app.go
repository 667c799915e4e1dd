package api

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

type encryptionBody struct {
	KEM          string `json:"kem"`
	KEMID        uint16 `json:"kem_id"`
	KDF          string `json:"kdf"`
	KDFID        uint16 `json:"kdf_id"`
	AEAD         string `json:"aead"`
	AEADID       uint16 `json:"aead_id"`
	PublicKey    string `json:"public_key"`
	InfoTemplate string `json:"info_template"`
}

type appSessionBody struct {
	SessionID uuid.UUID `json:"session_id"`
	Status    string    `json:"status"`
	// Attempt is the attempt the app's captures are for (it is sealed into
	// each: the HPKE info), MaxAttempts how many the session allows.
	Attempt     int `json:"attempt"`
	MaxAttempts int `json:"max_attempts"`
	// Retake says what to take again and why, while the status is
	// retake_requested; empty otherwise.
	Retake []schemas.Retake `json:"retake"`
	// HandedOff is set once a hand-off code of the session was redeemed:
	// the session goes on on another device.
	HandedOff         bool           `json:"handed_off"`
	ExpiresAt         time.Time      `json:"expires_at"`
	AppTokenExpiresAt time.Time      `json:"app_token_expires_at"`
	Encryption        encryptionBody `json:"encryption"`
	SealedOverhead    int            `json:"sealed_overhead"`
	Slots             []schemas.Slot `json:"slots"`
	// Challenge is the liveness challenge, null when the session does not
	// ask for the liveness check.
	Challenge *schemas.Challenge `json:"challenge"`
	// ChipChallenge is the nonce, in hex, the app hands to the document's
	// chip for active authentication (capture chip_aa holds the answer);
	// null for sessions created before it existed.
	ChipChallenge *string `json:"chip_challenge"`
	consentBody
}

func (s *Server) getAppSession(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r)
	var (
		key       idv.WrappedKey
		consent   consentBody
		handedOff bool
	)
	err := idv.ReadTogether(r.Context(), s.reads, sess.TenantID, func(ctx context.Context) error {
		var err error
		if key, err = s.sessions.Key(ctx, sess.TenantID, sess.ID); err != nil {
			return err
		}
		if consent, err = s.consentOf(ctx, sess); err != nil {
			return err
		}
		handedOff, err = s.sessions.HandedOff(ctx, sess.TenantID, sess.ID)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, appSessionBody{consentBody: consent,
		SessionID: sess.ID, Status: string(sess.Status), Attempt: sess.Attempt, MaxAttempts: sess.MaxAttempts,
		Retake: retakeOf(sess), HandedOff: handedOff, ExpiresAt: sess.ExpiresAt,
		AppTokenExpiresAt: sess.AppTokenExpiresAt,
		Encryption: encryptionBody{
			KEM: "ML-KEM-768+X25519", KEMID: seal.SuiteKEM, KDF: "HKDF-SHA256", KDFID: seal.SuiteKDF,
			AEAD: "AES-256-GCM", AEADID: seal.SuiteAEAD,
			PublicKey:    base64.StdEncoding.EncodeToString(key.PublicKey),
			InfoTemplate: "idv/v2 capture {session_id} {attempt} {kind} {index}",
		},
		SealedOverhead: seal.Overhead,
		Slots:          schemas.SessionSlots(sess.Checks, sess.SelfieFrames, sess.LightChallenge),
		Challenge:      challengeOf(sess),
		ChipChallenge:  chipChallengeOf(sess),
	})
	return nil
}

func chipChallengeOf(sess idv.Session) *string {
	if len(sess.ChipChallenge) == 0 {
		return nil
	}
	h := hex.EncodeToString(sess.ChipChallenge)
	return &h
}

// challengeOf is the session's challenge as the app reads it: the steps,
// and whether the attempts take the light challenge (its sequence is
// handed out per attempt by POST /v1/app/session/challenge).
func challengeOf(sess idv.Session) *schemas.Challenge {
	if len(sess.Challenge) == 0 {
		return nil
	}
	return &schemas.Challenge{Steps: []string(sess.Challenge), Light: sess.LightChallenge}
}

type declaredCapture struct {
	Kind   schemas.CaptureKind `json:"kind"`
	Index  int                 `json:"index"`
	Size   int64               `json:"size"`
	SHA256 string              `json:"sha256"`
}

type uploadsRequest struct {
	Captures []declaredCapture `json:"captures"`
}

type uploadBody struct {
	Kind      schemas.CaptureKind `json:"kind"`
	Index     int                 `json:"index"`
	URL       string              `json:"url"`
	Fields    map[string]string   `json:"fields"`
	ExpiresAt time.Time           `json:"expires_at"`
}

func (s *Server) createUploads(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r)
	if !sess.Open() {
		return errNotOpen
	}
	var req uploadsRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	caps, err := validateDeclared(sess, req.Captures)
	if err != nil {
		return err
	}
	if err := s.sessions.DeclareCaptures(r.Context(), sess.TenantID, sess.ID, caps); err != nil {
		if errors.Is(err, idv.ErrConflict) {
			return errNotOpen
		}
		return err
	}
	out := struct {
		Uploads []uploadBody `json:"uploads"`
	}{Uploads: make([]uploadBody, 0, len(caps))}
	ttl := uploadTTL(s.cfg.UploadTTL, s.now(), sess)
	for _, c := range caps {
		// The policy admits exactly the declared size, so storage itself
		// refuses anything larger (or smaller) than what was declared.
		p, err := s.objects.PresignPost(r.Context(), c.ObjectKey, c.Size, c.Size, ttl)
		if err != nil {
			return err
		}
		out.Uploads = append(out.Uploads, uploadBody{Kind: c.Kind, Index: c.Index, URL: p.URL, Fields: p.Fields, ExpiresAt: p.Expires})
	}
	s.log.InfoContext(r.Context(), "uploads issued", "session_id", sess.ID, "count", len(caps))
	writeJSON(w, http.StatusOK, out)
	return nil
}

// validateDeclared checks each declared capture against the session's slots.
func validateDeclared(sess idv.Session, decl []declaredCapture) ([]idv.Capture, error) {
	if len(decl) == 0 || len(decl) > 32 {
		return nil, apiErr(http.StatusBadRequest, "invalid_request", "declare 1 to 32 captures")
	}
	slots := schemas.SessionSlots(sess.Checks, sess.SelfieFrames, sess.LightChallenge)
	seen := map[string]bool{}
	caps := make([]idv.Capture, 0, len(decl))
	for _, d := range decl {
		slot, ok := schemas.SlotFor(slots, d.Kind)
		if !ok {
			return nil, apiErr(http.StatusUnprocessableEntity, "unknown_capture_kind", "unknown capture kind").with("kind", string(d.Kind))
		}
		ref := schemas.CaptureRef(d.Kind, d.Index)
		if d.Index < 0 || d.Index >= slot.Max {
			return nil, apiErr(http.StatusUnprocessableEntity, "capture_index_out_of_range",
				"%s takes indexes 0..%d", d.Kind, slot.Max-1).with("capture", ref)
		}
		if seen[ref] {
			return nil, apiErr(http.StatusUnprocessableEntity, "capture_declared_twice", "capture declared twice").with("capture", ref)
		}
		seen[ref] = true
		if d.Size <= seal.Overhead || d.Size > slot.MaxSize {
			return nil, apiErr(http.StatusUnprocessableEntity, "capture_size_out_of_range",
				"a sealed %s must be %d..%d bytes", d.Kind, seal.Overhead+1, slot.MaxSize).with("capture", ref)
		}
		sum, err := hex.DecodeString(d.SHA256)
		if err != nil || len(sum) != 32 {
			return nil, apiErr(http.StatusUnprocessableEntity, "invalid_sha256",
				"sha256 must be 64 hex digits of the sealed bytes").with("capture", ref)
		}
		caps = append(caps, idv.Capture{SessionID: sess.ID, TenantID: sess.TenantID, Attempt: sess.Attempt, Kind: d.Kind, Index: d.Index,
			ObjectKey: schemas.ObjectKey(sess.TenantID.String(), sess.ID.String(), sess.Attempt, d.Kind, d.Index),
			Size:      d.Size, SHA256: sum})
	}
	return caps, nil
}

type submittedBody struct {
	SessionID   uuid.UUID `json:"session_id"`
	Attempt     int       `json:"attempt"`
	Status      string    `json:"status"`
	SubmittedAt time.Time `json:"submitted_at"`
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r)
	if !sess.Open() {
		return errNotOpen
	}
	sub, err := submission(w, r, sess)
	if err != nil {
		return err
	}
	caps, err := s.sessions.Captures(r.Context(), sess.TenantID, sess.ID)
	if err != nil {
		return err
	}
	caps = idv.CapturesOf(caps, sess.Attempt)
	uploaded, err := s.checkStored(r, slotsOf(sess, sub), caps)
	if err != nil {
		return err
	}
	at := s.now()
	if sub != nil {
		err = idv.SubmitWith(r.Context(), s.sessions, sess, *sub, uploaded, at)
	} else {
		err = idv.Submit(r.Context(), s.sessions, sess, at)
	}
	if err != nil {
		if errors.Is(err, idv.ErrConflict) {
			return errNotOpen
		}
		return err
	}
	s.log.InfoContext(r.Context(), "session submitted", "tenant_id", sess.TenantID, "session_id", sess.ID)
	writeJSON(w, http.StatusOK, submittedBody{SessionID: sess.ID, Attempt: sess.Attempt, Status: string(idv.StatusSubmitted), SubmittedAt: at})
	return nil
}

// checkStored requires every required slot of slots declared, indexes
// without gaps, and every declared capture stored with its declared size.
// It returns when the store says the challenge's frames (selfie and light)
// were stored, for the liveness check's timing.
func (s *Server) checkStored(r *http.Request, slots []schemas.Slot, caps []idv.Capture) (idv.Uploads, error) {
	uploaded := idv.Uploads{}
	declared := map[string]idv.Capture{}
	for _, c := range caps {
		declared[schemas.CaptureRef(c.Kind, c.Index)] = c
	}
	for _, slot := range slots {
		for i := 0; i < slot.Max; i++ {
			ref := schemas.CaptureRef(slot.Kind, i)
			c, ok := declared[ref]
			if !ok {
				if i < slot.Min || hasLater(declared, slot, i) {
					return nil, apiErr(http.StatusUnprocessableEntity, "capture_missing", "capture %s is missing", ref).with("capture", ref)
				}
				continue
			}
			stored, err := s.checkObject(r, c, ref)
			if err != nil {
				return nil, err
			}
			uploaded.Add(c.Kind, c.Index, stored)
		}
	}
	return uploaded, nil
}

func hasLater(declared map[string]idv.Capture, slot schemas.Slot, i int) bool {
	for j := i + 1; j < slot.Max; j++ {
		if _, ok := declared[schemas.CaptureRef(slot.Kind, j)]; ok {
			return true
		}
	}
	return false
}

// checkObject requires the declared capture c stored with its declared
// size and returns when it was stored.
func (s *Server) checkObject(r *http.Request, c idv.Capture, ref string) (time.Time, error) {
	info, err := s.objects.Stat(r.Context(), c.ObjectKey)
	if errors.Is(err, idv.ErrObjectNotFound) {
		return time.Time{}, apiErr(http.StatusUnprocessableEntity, "capture_missing", "capture %s was declared but not uploaded", ref).with("capture", ref)
	}
	if err != nil {
		return time.Time{}, err
	}
	if info.Size != c.Size {
		return time.Time{}, apiErr(http.StatusUnprocessableEntity, "capture_size_mismatch",
			"capture %s holds %d bytes, %d were declared", ref, info.Size, c.Size).with("capture", ref)
	}
	return info.Stored, nil
}

// uploadTTL is how long an upload policy issued at now works: ttl, but no
// longer than the session's deadline, when its wipe is requested, nor than
// its app token, after which nothing of the session is uploaded.
func uploadTTL(ttl time.Duration, now time.Time, sess idv.Session) time.Duration {
	return max(min(ttl, sess.ExpiresAt.Sub(now), sess.AppTokenExpiresAt.Sub(now)), time.Second)
}
