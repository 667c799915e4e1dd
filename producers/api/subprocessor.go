package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Objections records tenants' objections to sub-processors and says what
// each tenant was told (postgres.Subprocessors).
type Objections interface {
	Object(ctx context.Context, o idv.Objection) (idv.Objection, bool, error)
	ForTenant(ctx context.Context, tenantID uuid.UUID) (map[string]idv.TenantView, error)
}

type subprocessorBody struct {
	schemas.Subprocessor
	AnnouncedAt *time.Time `json:"announced_at"`
	ObjectedAt  *time.Time `json:"objected_at"`
}

type subprocessorsBody struct {
	Subprocessors []subprocessorBody `json:"subprocessors"`
}

// listSubprocessors shows the register with, for the caller's tenant, when
// each entry was announced and whether it objected.
func (s *Server) listSubprocessors(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.duties.Register.Register(r.Context())
	if err != nil {
		return err
	}
	views, err := s.duties.Objections.ForTenant(r.Context(), tenantOf(r))
	if err != nil {
		return err
	}
	body := subprocessorsBody{Subprocessors: []subprocessorBody{}}
	for _, sp := range reg.Subprocessors {
		v := views[sp.ID]
		body.Subprocessors = append(body.Subprocessors, subprocessorBody{Subprocessor: sp,
			AnnouncedAt: v.AnnouncedAt, ObjectedAt: v.ObjectedAt})
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

type objectionRequest struct {
	Reason string `json:"reason"`
}

type objectionBody struct {
	ID             uuid.UUID `json:"id"`
	SubprocessorID string    `json:"subprocessor_id"`
	Reason         string    `json:"reason"`
	ObjectedAt     time.Time `json:"objected_at"`
}

// objectToSubprocessor records the tenant's objection to a register entry
// (the seeds' agreement, art. 5(1)); it is audited. Objecting again
// returns the first objection with 200.
func (s *Server) objectToSubprocessor(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.duties.Register.Register(r.Context())
	if err != nil {
		return err
	}
	sp, ok := reg.Subprocessor(r.PathValue("id"))
	if !ok {
		return errNotFound
	}
	var req objectionRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if len(req.Reason) > 2000 {
		return apiErr(http.StatusUnprocessableEntity, "invalid_objection", "reason must be at most 2000 bytes").with("field", "reason")
	}
	o, created, err := s.duties.Objections.Object(r.Context(), idv.Objection{ID: uuid.New(), TenantID: tenantOf(r),
		SubprocessorID: sp.ID, Reason: req.Reason, ObjectedAt: s.now()})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.log.InfoContext(r.Context(), "sub-processor objection", "tenant_id", o.TenantID, "subprocessor_id", sp.ID)
	}
	writeJSON(w, status, objectionBody{ID: o.ID, SubprocessorID: o.SubprocessorID, Reason: o.Reason, ObjectedAt: o.ObjectedAt.UTC()})
	return nil
}
