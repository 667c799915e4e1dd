package idv

import (
	"time"

	"github.com/google/uuid"
)

// SignedReceipt is a receipt's exact statement bytes with their signature.
type SignedReceipt struct {
	Statement []byte
	Signature []byte
	KeyID     string
}

// Offboarding is a tenant's offboarding as recorded.
type Offboarding struct {
	TenantID          uuid.UUID
	StartedAt         time.Time
	ExportedAt        *time.Time
	ExportSHA256      []byte
	ExportSessions    *int
	NoExport          bool
	EpochKeys         *int
	EpochsDestroyedAt *time.Time
	ObjectsDeleted    int64
	ObjectsDeletedAt  *time.Time
	ReceiptID         *uuid.UUID // nil until the receipt is signed
	Statement         []byte
	Signature         []byte
	KeyID             string // empty until the receipt is signed
	FinishedAt        *time.Time
}

// OffboardFacts is what Finish found and did, for the receipt it signs.
type OffboardFacts struct {
	Offboarding
	ReceiptID  uuid.UUID
	FinishedAt time.Time
	// Sessions counts the session rows deleted, NotWiped those of them
	// whose data had not been wiped before.
	Sessions, NotWiped int
	RowsDeleted        map[string]int
	AuditSeq           int64  // the chain's head: the tenant_offboarded entry
	AuditHash          []byte //
}
