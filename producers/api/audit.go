package api

import (
	"net/http"
	"strconv"

	"github.com/idv-oss/idv"
)

// Export page sizes of GET /v1/audit-events.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

type auditEventsBody struct {
	Events    []idv.AuditExport `json:"events"`
	NextAfter *int64            `json:"next_after"`
}

// listAuditEvents exports one page of the caller's tenant's audit log, with
// the hashes, so the tenant can verify the chain and keep its head.
func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	after, limit := int64(0), defaultAuditLimit
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return apiErr(http.StatusBadRequest, "invalid_request", "after must be a sequence number (an integer >= 0)").with("field", "after")
		}
		after = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			return apiErr(http.StatusBadRequest, "invalid_request", "limit must be 1..%d", maxAuditLimit).with("field", "limit")
		}
		limit = n
	}
	// One more than asked says whether another page follows.
	events, err := s.audit.List(r.Context(), tenantOf(r), after, limit+1)
	if err != nil {
		return err
	}
	body := auditEventsBody{Events: []idv.AuditExport{}}
	if len(events) > limit {
		events = events[:limit]
		next := events[limit-1].Seq
		body.NextAfter = &next
	}
	for _, e := range events {
		body.Events = append(body.Events, e.Export())
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
