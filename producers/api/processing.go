package api

import (
	"mime"
	"net/http"
	"strings"

	"github.com/idv-oss/idv"
)

// getProcessingRecord answers with the record of processing IDV keeps for
// the caller's tenant (GDPR art. 30(2)), generated from the processor
// configuration, the sub-processor register and the tenant's policy: JSON,
// or Markdown for Accept: text/markdown.
func (s *Server) getProcessingRecord(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.duties.Register.Register(r.Context())
	if err != nil {
		return err
	}
	if err := reg.Validate(); err != nil {
		return apiErr(http.StatusServiceUnavailable, "processing_record_unconfigured",
			"the operator has not configured the processor's identity: %v", err)
	}
	t, err := s.tenants.Get(r.Context(), tenantOf(r))
	if err != nil {
		return err
	}
	rec := idv.BuildRecord(reg, t.ID.String(), t.Name, t.Policy, t.RetentionDays, s.now())
	if wantsMarkdown(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(rec.Markdown()))
		return nil
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

// wantsMarkdown reports whether Accept names text/markdown before (or
// instead of) JSON. Quality values are not weighed: a client asking for
// Markdown names it.
func wantsMarkdown(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/markdown":
			return true
		case "application/json", "*/*":
			return false
		}
	}
	return false
}
