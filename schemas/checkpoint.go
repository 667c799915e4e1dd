package schemas

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Signing key purposes (one Ed25519 key per purpose, GET /v1/signing-keys).
const (
	SigningPurposeReceipt = "receipt" // deletion receipts and their addenda
	SigningPurposeAudit   = "audit"   // audit checkpoints
)

// AuditCheckpointStatement is the text every audit checkpoint carries.
const AuditCheckpointStatement = "IDV's audit log for this tenant held, when this was signed, a hash chain whose " +
	"entry seq had this hash (seq 0: no entry). A log shown later that has no entry seq, or another hash there, " +
	"was rewritten or truncated after this was signed."

// AuditCheckpoint is a signed statement of a tenant's audit chain head
// (docs/processor-duties.md, "Audit log"): a tenant keeping any checkpoint
// can later prove that the chain up to it was rewritten (and re-hashed) or
// cut short, which the chain alone cannot show to someone who can write the
// database. Ids, a sequence number, a hash and times only.
type AuditCheckpoint struct {
	TenantID  string    `json:"tenant_id"`
	Seq       int64     `json:"seq"`               // the head entry's; 0 when the log is empty
	Hash      string    `json:"hash"`              // its hash, 64 hex digits (zeros when empty)
	EntryAt   time.Time `json:"entry_at,omitzero"` // when that entry was appended
	SignedAt  time.Time `json:"signed_at"`         // when IDV signed this
	Purpose   string    `json:"purpose"`           // why it was signed: CheckpointPurposes
	Statement string    `json:"statement"`         // AuditCheckpointStatement
}

// Why a checkpoint was signed.
const (
	CheckpointExport   = "export"   // with a page of GET /v1/audit-events
	CheckpointReceipt  = "receipt"  // with a deletion receipt read
	CheckpointPeriodic = "periodic" // the audit.checkpoint webhook
	CheckpointArchive  = "archive"  // in the offboarding archive
)

// CheckpointPurposes are the reasons a checkpoint may give.
var CheckpointPurposes = []string{CheckpointExport, CheckpointReceipt, CheckpointPeriodic, CheckpointArchive}

// TypeAuditCheckpoint announces a periodic checkpoint of one tenant's audit
// chain, stored in audit_checkpoints; the notifier sends the stored bytes
// as the audit.checkpoint webhook. Subject idv.audit.checkpoint.<tenant
// id>; one event per checkpoint (its message id names the checkpoint).
const TypeAuditCheckpoint = "idv.audit.checkpoint"

// AuditCheckpointStored is the body of idv.audit.checkpoint: ids, the head
// entry's seq and the time of signing. The checkpoint itself is read from
// the database, never from the event (docs/design.md invariant 8).
type AuditCheckpointStored struct {
	CheckpointID string    `json:"checkpoint_id"`
	TenantID     string    `json:"tenant_id"`
	Seq          int64     `json:"seq"`
	SignedAt     time.Time `json:"signed_at"`
}

// Validate checks that the checkpoint is complete and well formed.
func (c AuditCheckpoint) Validate() error {
	var errs []error
	if u, err := uuid.Parse(c.TenantID); err != nil || u == uuid.Nil || u.String() != c.TenantID {
		errs = append(errs, errors.New("tenant_id is not a lower-case UUID"))
	}
	if c.Seq < 0 {
		errs = append(errs, fmt.Errorf("seq %d is negative", c.Seq))
	}
	if h, err := hex.DecodeString(c.Hash); err != nil || len(h) != 32 || hex.EncodeToString(h) != c.Hash {
		errs = append(errs, errors.New("hash is not 64 lower-case hex digits"))
	}
	if (c.Seq == 0) != c.EntryAt.IsZero() {
		errs = append(errs, errors.New("entry_at must be set exactly when seq is not 0"))
	}
	if c.SignedAt.IsZero() {
		errs = append(errs, errors.New("signed_at is missing"))
	}
	if !slices.Contains(CheckpointPurposes, c.Purpose) {
		errs = append(errs, fmt.Errorf("purpose %q is not a checkpoint purpose", c.Purpose))
	}
	if c.Statement != AuditCheckpointStatement {
		errs = append(errs, errors.New("statement is not IDV's checkpoint statement"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("audit checkpoint: %w", errors.Join(errs...))
	}
	return nil
}

// MarshalStatement validates the checkpoint and returns the bytes to sign
// and keep, times in UTC.
func (c AuditCheckpoint) MarshalStatement() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.EntryAt, c.SignedAt = c.EntryAt.UTC(), c.SignedAt.UTC()
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("audit checkpoint: encode: %w", err)
	}
	return b, nil
}
