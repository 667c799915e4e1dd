package api

import (
	"context"
	"net/http"

	"github.com/idv-oss/idv/schemas"
)

// RegisterSource gives the processor configuration as it is now. It is
// read on each request, so an entry added to the register (and announced
// with idv subprocessors sync) is listed and can be objected to without
// restarting the API.
type RegisterSource interface {
	Register(ctx context.Context) (schemas.Register, error)
}

// FixedRegister is a register that never changes.
type FixedRegister schemas.Register

// Register returns r.
func (r FixedRegister) Register(context.Context) (schemas.Register, error) {
	return schemas.Register(r), nil
}

// Duties are the parts behind the routes of IDV's duties as a processor
// (GDPR art. 28(3) and 30(2)): the tenant's instructions (its policy), the
// records of processing, the sub-processor register with the tenant's
// right to object, and data subjects' requests forwarded to the tenant. A nil part leaves its routes answering 404.
type Duties struct {
	Policies PolicyEditor
	// Register is the processor's configuration: identity, contact,
	// sub-processors, declared measures.
	Register RegisterSource
	// Objections records objections to sub-processors.
	Objections Objections
	// DSRs records data subjects' requests, forwarded to the controller.
	DSRs DSRs
}

// dutyRoutes adds the duty routes to mux.
func (s *Server) dutyRoutes(mux *http.ServeMux) {
	if s.duties.Policies != nil {
		mux.Handle("GET /v1/policy", s.customer(s.getPolicy))
		mux.Handle("PATCH /v1/policy", s.customer(s.patchPolicy))
	}
	if s.duties.Register != nil {
		mux.Handle("GET /v1/processing-record", s.customer(s.getProcessingRecord))
	}
	if s.duties.Register != nil && s.duties.Objections != nil {
		mux.Handle("GET /v1/subprocessors", s.customer(s.listSubprocessors))
		mux.Handle("POST /v1/subprocessors/{id}/objection", s.customer(s.objectToSubprocessor))
	}
	if s.duties.DSRs != nil {
		mux.Handle("POST /v1/app/session/dsr", s.app(s.createDSR))
	}
}
