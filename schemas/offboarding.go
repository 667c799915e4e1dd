package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// OffboardingStatement is the text every offboarding receipt carries.
const OffboardingStatement = "All personal data IDV held for this tenant has been destroyed: every epoch key of the " +
	"tenant was destroyed in the key store at once, so no session key of the tenant, in the database or in any " +
	"backup of it, can be unwrapped again, nor any capture or field sealed to one; every object version, delete " +
	"marker and unfinished upload under the tenant's storage prefix was deleted; the tenant's rows were deleted. " +
	"IDV keeps only the tenant's own row (id, name, policy, times), its hash-chained audit log, its entries in " +
	"IDV's breach register and this receipt, none of which holds personal data of a data subject."

// OffboardingReceipt is the signed statement that a tenant's data is
// destroyed at the end of its service: ids, counts and times only.
type OffboardingReceipt struct {
	ReceiptID string    `json:"receipt_id"`
	TenantID  string    `json:"tenant_id"`
	StartedAt time.Time `json:"started_at"` // when the tenant was marked offboarding
	// ExportedAt and ExportSHA256 name the last archive handed to the
	// tenant (SHA-256 of its sealed bytes); absent with NoExport.
	ExportedAt   *time.Time `json:"exported_at,omitempty"`
	ExportSHA256 string     `json:"export_sha256,omitempty"`
	NoExport     bool       `json:"no_export"`

	EpochKeysDestroyed int       `json:"epoch_keys_destroyed"`
	EpochsDestroyedAt  time.Time `json:"epochs_destroyed_at"`
	ObjectsDeleted     int64     `json:"objects_deleted"`
	// Sessions counts the tenant's session rows deleted; SessionsNotWiped
	// those of them whose data had not been wiped before (the others were
	// tombstones already).
	Sessions         int            `json:"sessions"`
	SessionsNotWiped int            `json:"sessions_not_wiped"`
	RowsDeleted      map[string]int `json:"rows_deleted"`
	FinishedAt       time.Time      `json:"finished_at"`
	// AuditSeq and AuditHash are the head of the tenant's audit chain: the
	// tenant_offboarded entry, which names this receipt.
	AuditSeq  int64  `json:"audit_chain_seq"`
	AuditHash string `json:"audit_chain_head"` // hex SHA-256

	Statement string `json:"statement"`
}

// MarshalStatement checks the receipt and returns the exact bytes to sign.
func (r OffboardingReceipt) MarshalStatement() ([]byte, error) {
	var errs []error
	if r.ReceiptID == "" || r.TenantID == "" || r.AuditHash == "" {
		errs = append(errs, errors.New("ids or audit head missing"))
	}
	if r.NoExport == (r.ExportedAt != nil) {
		errs = append(errs, errors.New("either an export or no_export"))
	}
	if r.Statement != OffboardingStatement {
		errs = append(errs, errors.New("statement is not IDV's offboarding statement"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("offboarding receipt: %w", errors.Join(errs...))
	}
	for _, t := range []*time.Time{&r.StartedAt, &r.EpochsDestroyedAt, &r.FinishedAt} {
		*t = t.UTC()
	}
	return json.Marshal(r)
}
