package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Export page sizes of GET /v1/audit-events.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

type auditEventsBody struct {
	Events    []idv.AuditExport `json:"events"`
	NextAfter *int64            `json:"next_after"`
	// Checkpoint is the chain's head signed now, beyond this page: keep
	// it to prove later that the log was not rewritten or cut short.
	Checkpoint checkpointBody `json:"checkpoint"`
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
	if body.Checkpoint, err = s.checkpoint(r.Context(), tenantOf(r), schemas.CheckpointExport); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// checkpointBody is a signed audit checkpoint as the API hands it out: the
// exact signed bytes, the signature, the key id (GET /v1/signing-keys,
// purpose audit) and the statement parsed.
type checkpointBody struct {
	Statement  []byte          `json:"statement"`
	Signature  []byte          `json:"signature"`
	KeyID      string          `json:"key_id"`
	Checkpoint json.RawMessage `json:"checkpoint"`
}

// checkpoint signs the head of the tenant's audit chain for purpose.
func (s *Server) checkpoint(ctx context.Context, tenantID uuid.UUID, purpose string) (checkpointBody, error) {
	cp, err := idv.Checkpoint(ctx, s.audit, func(ctx context.Context, m []byte) ([]byte, string, error) {
		return s.keys.Sign(ctx, schemas.SigningPurposeAudit, m)
	}, tenantID, purpose, s.now())
	if err != nil {
		return checkpointBody{}, err
	}
	return checkpointBody{Statement: cp.Statement, Signature: cp.Signature, KeyID: cp.KeyID, Checkpoint: cp.Statement}, nil
}

type signingKeyBody struct {
	Purpose   string `json:"purpose"`
	KeyID     string `json:"key_id"`
	Algorithm string `json:"algorithm"`
	PublicKey []byte `json:"public_key"`
	Current   bool   `json:"current"`
}

// getSigningKeys lists every key that verifies what IDV signs, by purpose
// (receipt: deletion receipts and addenda; audit: audit checkpoints), each
// purpose's current key first.
func (s *Server) getSigningKeys(w http.ResponseWriter, r *http.Request) error {
	list := []signingKeyBody{}
	for _, purpose := range []string{schemas.SigningPurposeReceipt, schemas.SigningPurposeAudit} {
		keys, err := s.keys.VerifyKeys(r.Context(), purpose)
		if err != nil {
			return err
		}
		for _, k := range keys {
			list = append(list, signingKeyBody{Purpose: purpose, KeyID: k.KeyID, Algorithm: "Ed25519", PublicKey: k.PublicKey, Current: k.Current})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": list})
	return nil
}
