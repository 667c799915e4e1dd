package api

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// errNoCopy: the session has no redacted copy (the policy asked for none
// when the document was checked, the check has not run, or the front did
// not pass the image gates).
var errNoCopy = apiErr(http.StatusNotFound, "no_redacted_copy", "the session has no redacted document copy")

// getRedactedCopy answers GET /v1/sessions/{id}/redacted-copy[?side=back]
// with the redacted copy of the document's front (or back) the document
// check kept (package redact),
// opened with the session key for this response only, as image/jpeg. The
// read is recorded in the audit log as a personal-data read before the
// copy leaves (docs/design.md invariant 6).
func (s *Server) getRedactedCopy(w http.ResponseWriter, r *http.Request) error {
	sess, err := byPathID(r, s.sessions.Get)
	if err != nil {
		return err
	}
	if sess.Ended() {
		return errEnded
	}
	caps, err := s.sessions.Captures(r.Context(), sess.TenantID, sess.ID)
	if err != nil {
		return err
	}
	index := schemas.RedactedCopyFront
	switch r.URL.Query().Get("side") {
	case "", "front":
	case "back":
		index = schemas.RedactedCopyBack
	default:
		return apiErr(http.StatusBadRequest, "invalid_request", "side must be front or back").with("field", "side")
	}
	caps = idv.CapturesOf(caps, sess.Attempt) // the attempt decided on
	i := slices.IndexFunc(caps, func(c idv.Capture) bool { return c.Kind == schemas.RedactedCopy && c.Index == index })
	if i < 0 {
		return errNoCopy
	}
	c := caps[i]
	sealed, err := s.objects.Get(r.Context(), c.ObjectKey, c.Size)
	if errors.Is(err, idv.ErrObjectNotFound) {
		return errNoCopy
	}
	if err != nil {
		return fmt.Errorf("redacted copy of %s: %w", sess.ID, err)
	}
	if sum := sha256.Sum256(sealed); !bytes.Equal(sum[:], c.SHA256) {
		return fmt.Errorf("redacted copy of %s: stored bytes differ from their record", sess.ID)
	}
	key, err := s.sessionKey(r, sess)
	if err != nil {
		return err
	}
	plain, err := seal.Open(key, seal.CaptureInfo(sess.ID, c.Attempt, string(schemas.RedactedCopy), index), sealed)
	if err != nil {
		return fmt.Errorf("open redacted copy of %s: %w", sess.ID, err)
	}
	defer clear(plain)
	if err := s.audit.Record(r.Context(), idv.AuditEntry{TenantID: sess.TenantID, At: s.now(),
		Actor: idv.ActorAPIKey(apiKeyOf(r)), Action: idv.AuditPersonalDataRead, SessionID: sess.ID,
		Detail: map[string]string{"capture": string(c.Kind)}}); err != nil {
		return fmt.Errorf("record read of %s: %w", sess.ID, err)
	}
	s.log.InfoContext(r.Context(), "personal data read", "tenant_id", sess.TenantID, "session_id", sess.ID, "capture", schemas.RedactedCopy)
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(plain) // the status is sent: a client gone now is the client's loss
	return nil
}
