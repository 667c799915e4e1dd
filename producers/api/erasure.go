package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Receipts reads deletion receipts.
type Receipts interface {
	Receipt(ctx context.Context, tenantID, receiptID uuid.UUID) (idv.StoredReceipt, error)
}

// ReceiptKey lists every key that verifies deletion receipts: the current
// one first (Current set), then those that signed before a signing-key or
// master-key rotation.
type ReceiptKey interface {
	ReceiptVerifyKeys(ctx context.Context) ([]idv.VerifyKey, error)
}

// eraseSession is the customer's erasure request (GDPR art. 17): the wipe
// runs at once instead of at expires_at.
func (s *Server) eraseSession(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	tenant := tenantOf(r)
	var v sessionView
	// The request, its audit entry and the session read back for the
	// answer commit together.
	err = idv.ChangeTogether(r.Context(), s.changes, tenant, func(ctx context.Context) error {
		if err := idv.RequestWipe(ctx, s.sessions, tenant, id, schemas.WipeCustomerRequest, s.now()); err != nil {
			return notFound(err)
		}
		v, err = s.readSession(ctx, tenant, id)
		return err
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "erasure requested", "tenant_id", tenant, "session_id", id)
	return s.answerSession(w, r, v, http.StatusAccepted)
}

// decline is the person's refusal: the session is decided declined_by_user
// and wiped.
func (s *Server) decline(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r)
	err := idv.Decline(r.Context(), s.sessions, sess, s.now())
	if errors.Is(err, idv.ErrConflict) {
		return apiErr(http.StatusConflict, "session_not_open", "the session is already decided; it can no longer be declined")
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "session declined by the person", "tenant_id", sess.TenantID, "session_id", sess.ID)
	writeJSON(w, http.StatusOK, map[string]any{"session_id": sess.ID, "status": idv.StatusExpired})
	return nil
}

type receiptBody struct {
	ReceiptID uuid.UUID       `json:"receipt_id"`
	SessionID uuid.UUID       `json:"session_id"`
	KeyID     string          `json:"key_id"`
	Algorithm string          `json:"algorithm"`
	Statement []byte          `json:"statement"`
	Signature []byte          `json:"signature"`
	Receipt   json.RawMessage `json:"receipt"`
	CreatedAt time.Time       `json:"created_at"`
	Addenda   []addendumBody  `json:"addenda"`
	// AuditCheckpoint is the tenant's audit chain head signed now, after
	// this read was recorded.
	AuditCheckpoint checkpointBody `json:"audit_checkpoint"`
}

type addendumBody struct {
	AddendumID uuid.UUID       `json:"addendum_id"`
	KeyID      string          `json:"key_id"`
	Algorithm  string          `json:"algorithm"`
	Statement  []byte          `json:"statement"`
	Signature  []byte          `json:"signature"`
	Addendum   json.RawMessage `json:"addendum"`
	CreatedAt  time.Time       `json:"created_at"`
}

func (s *Server) getReceipt(w http.ResponseWriter, r *http.Request) error {
	rc, err := byPathID(r, s.receipts.Receipt)
	if err != nil {
		return err
	}
	if err := s.audit.Record(r.Context(), idv.AuditEntry{TenantID: rc.TenantID, At: s.now(),
		Actor: idv.ActorAPIKey(apiKeyOf(r)), Action: idv.AuditReceiptRead, SessionID: rc.SessionID,
		Detail: map[string]string{"receipt_id": rc.ReceiptID.String()}}); err != nil {
		return fmt.Errorf("record read of receipt %s: %w", rc.ReceiptID, err)
	}
	addenda := make([]addendumBody, len(rc.Addenda))
	for i, a := range rc.Addenda {
		addenda[i] = addendumBody{AddendumID: a.ID, KeyID: a.KeyID, Algorithm: "Ed25519", Statement: a.Statement,
			Signature: a.Signature, Addendum: a.Statement, CreatedAt: a.CreatedAt}
	}
	cp, err := s.checkpoint(r.Context(), rc.TenantID, schemas.CheckpointReceipt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, receiptBody{ReceiptID: rc.ReceiptID, SessionID: rc.SessionID, KeyID: rc.KeyID,
		Algorithm: "Ed25519", Statement: rc.Statement, Signature: rc.Signature, Receipt: rc.Statement, CreatedAt: rc.CreatedAt,
		Addenda: addenda, AuditCheckpoint: cp})
	return nil
}

type verifyKeyBody struct {
	KeyID     string `json:"key_id"`
	Algorithm string `json:"algorithm"`
	PublicKey []byte `json:"public_key"`
	Current   bool   `json:"current"`
}

// getReceiptKey answers with the current receipt signing key and, in
// keys, every key that verifies receipts: a receipt names its key_id.
func (s *Server) getReceiptKey(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.receiptKey.ReceiptVerifyKeys(r.Context())
	if err != nil {
		return err
	}
	list := make([]verifyKeyBody, len(keys))
	var current verifyKeyBody
	for i, k := range keys {
		list[i] = verifyKeyBody{KeyID: k.KeyID, Algorithm: "Ed25519", PublicKey: k.PublicKey, Current: k.Current}
		if k.Current {
			current = list[i]
		}
	}
	if current.KeyID == "" {
		return errors.New("api: the vault listed no current receipt key")
	}
	writeJSON(w, http.StatusOK, map[string]any{"key_id": current.KeyID, "algorithm": "Ed25519", "public_key": current.PublicKey, "keys": list})
	return nil
}
