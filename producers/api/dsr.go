package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// DSRs records data subjects' requests (postgres.DSRs).
type DSRs interface {
	idv.DSRRecorder
}

type dsrRequest struct {
	Kind string `json:"kind"`
}

type dsrBody struct {
	ID         uuid.UUID `json:"id"`
	Kind       string    `json:"kind"`
	ReceivedAt time.Time `json:"received_at"`
}

// createDSR takes a data subject's request about its session (access,
// rectification, erasure, objection) and forwards it to the controller as
// a dsr.received webhook; IDV, the processor, does not answer it itself.
func (s *Server) createDSR(w http.ResponseWriter, r *http.Request) error {
	var req dsrRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if !slices.Contains(schemas.DSRKinds, req.Kind) {
		return apiErr(http.StatusUnprocessableEntity, "invalid_dsr_kind", "kind must be one of %s",
			strings.Join(schemas.DSRKinds, ", ")).with("field", "kind")
	}
	sess := sessionOf(r)
	d := idv.DSR{ID: uuid.New(), TenantID: sess.TenantID, SessionID: sess.ID, Kind: req.Kind, ReceivedAt: s.now()}
	if err := idv.RecordDSR(r.Context(), s.duties.DSRs, d); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "data subject request received", "tenant_id", d.TenantID, "session_id", d.SessionID, "kind", d.Kind)
	writeJSON(w, http.StatusAccepted, dsrBody{ID: d.ID, Kind: d.Kind, ReceivedAt: d.ReceivedAt})
	return nil
}
