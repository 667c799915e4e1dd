package api

import (
	"net/http"

	"github.com/idv-oss/idv/schemas"
)

// Duties are the parts behind the routes of IDV's duties as a processor
// (GDPR art. 28(3) and 30(2)): the tenant's instructions (its policy), the
// records of processing, and the sub-processor register with the tenant's
// right to object. A nil part leaves its routes answering 404.
type Duties struct {
	Policies PolicyEditor
	// Register is the processor's configuration: identity, contact,
	// sub-processors, declared measures.
	Register *schemas.Register
	// Objections records objections to sub-processors.
	Objections Objections
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
}
