package idv

import (
	"time"

	"github.com/google/uuid"
)

// Objection is a tenant's objection to a sub-processor.
type Objection struct {
	ID             uuid.UUID
	TenantID       uuid.UUID
	SubprocessorID string
	Reason         string
	ObjectedAt     time.Time
}

// TenantView is what a tenant has been told about an entry and whether it
// objected.
type TenantView struct {
	AnnouncedAt *time.Time
	ObjectedAt  *time.Time
}

// RegisterCounts are, for one register entry, how many tenants it was
// announced to and how many objected.
type RegisterCounts struct {
	Announced  int
	Objections int
}
