package idv

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// Audit checkpoints: the head of a tenant's audit chain, signed with the
// audit signing key and handed to the tenant (with every export page, every
// deletion receipt read, the periodic audit.checkpoint webhook and the
// offboarding archive). A tenant keeping any one can prove that the chain up
// to it was later rewritten and re-hashed, or cut short, which the chain
// alone cannot show against someone who can write the database.

// AuditHead is the newest entry of a tenant's chain; Seq 0 when it has none.
type AuditHead struct {
	Seq  int64
	Hash []byte
	At   time.Time
}

// AuditHeads reads chain heads (postgres.Audit).
type AuditHeads interface {
	Head(ctx context.Context, tenantID uuid.UUID) (AuditHead, error)
}

// StatementSigner signs a statement with one purpose's signing key and
// names the key (vault.Vault.Sign, bound to the purpose).
type StatementSigner func(ctx context.Context, statement []byte) (sig []byte, keyID string, err error)

// SignedCheckpoint is a checkpoint as handed out: the exact signed bytes,
// the signature and the id of the key that made it.
type SignedCheckpoint struct {
	Statement []byte `json:"statement"`
	Signature []byte `json:"signature"`
	KeyID     string `json:"key_id"`
}

// Checkpoint signs the current head of the tenant's chain for purpose
// (schemas.CheckpointPurposes) at now.
func Checkpoint(ctx context.Context, heads AuditHeads, sign StatementSigner, tenantID uuid.UUID, purpose string, now time.Time) (SignedCheckpoint, error) {
	h, err := heads.Head(ctx, tenantID)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("audit checkpoint of %s: %w", tenantID, err)
	}
	hash := h.Hash
	if h.Seq == 0 {
		hash = make([]byte, sha256.Size)
	}
	statement, err := schemas.AuditCheckpoint{TenantID: tenantID.String(), Seq: h.Seq, Hash: hex.EncodeToString(hash),
		EntryAt: h.At, SignedAt: now, Purpose: purpose, Statement: schemas.AuditCheckpointStatement}.MarshalStatement()
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("audit checkpoint of %s: %w", tenantID, err)
	}
	sig, keyID, err := sign(ctx, statement)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("audit checkpoint of %s: sign: %w", tenantID, err)
	}
	return SignedCheckpoint{Statement: statement, Signature: sig, KeyID: keyID}, nil
}

// ParseCheckpoint reads a signed checkpoint's statement back, refusing
// unknown fields and data after it.
func ParseCheckpoint(statement []byte) (schemas.AuditCheckpoint, error) {
	var c schemas.AuditCheckpoint
	dec, err := decodeStatement("audit checkpoint", statement, &c)
	if err != nil {
		return schemas.AuditCheckpoint{}, err
	}
	if dec.More() {
		return schemas.AuditCheckpoint{}, errors.New("audit checkpoint: decode: data after the checkpoint")
	}
	if err := c.Validate(); err != nil {
		return schemas.AuditCheckpoint{}, err
	}
	return c, nil
}

// ErrCheckpointSignature: no key listed under the checkpoint's key id
// verifies its signature.
var ErrCheckpointSignature = errors.New("audit checkpoint: signature does not verify with any listed audit key")

// OpenCheckpoint verifies cp with the key keys lists under its key id and
// parses it.
func OpenCheckpoint(keys []VerifyKey, cp SignedCheckpoint) (schemas.AuditCheckpoint, error) {
	for _, k := range keys {
		if k.KeyID == cp.KeyID && len(k.PublicKey) == ed25519.PublicKeySize && ed25519.Verify(k.PublicKey, cp.Statement, cp.Signature) {
			return ParseCheckpoint(cp.Statement)
		}
	}
	return schemas.AuditCheckpoint{}, fmt.Errorf("%w (key id %q)", ErrCheckpointSignature, cp.KeyID)
}

// ErrCheckpointContradicted: the chain no longer holds what a checkpoint
// says it held.
var ErrCheckpointContradicted = errors.New("audit: the chain contradicts a signed checkpoint")

// CheckAgainst compares the entry of a verified chain at the checkpoint's
// seq (found false when the chain has no such entry) with the checkpoint:
// a missing entry is a truncation, another hash a rewrite.
func CheckAgainst(c schemas.AuditCheckpoint, found bool, hash []byte) error {
	if c.Seq == 0 {
		return nil // an empty log then: any log now extends it
	}
	if !found {
		return fmt.Errorf("%w: it names entry %d, which the chain no longer has: the log was truncated", ErrCheckpointContradicted, c.Seq)
	}
	if hex.EncodeToString(hash) != c.Hash {
		return fmt.Errorf("%w: entry %d has hash %x, the checkpoint signed on %s says %s: the log was rewritten up to there",
			ErrCheckpointContradicted, c.Seq, hash, c.SignedAt.Format(time.RFC3339), c.Hash)
	}
	return nil
}
