package offboard

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
)

// Offboardings records a tenant's offboarding step by step, so that an
// interrupted one resumes (postgres.Offboardings).
type Offboardings interface {
	Start(ctx context.Context, tenantID uuid.UUID, at time.Time) (idv.Offboarding, error)
	Get(ctx context.Context, tenantID uuid.UUID) (idv.Offboarding, error)
	Sessions(ctx context.Context, tenantID, after uuid.UUID, limit int) ([]idv.Session, error)
	Receipts(ctx context.Context, tenantID, after uuid.UUID, limit int) ([]idv.StoredReceipt, error)
	RecordExport(ctx context.Context, tenantID uuid.UUID, at time.Time, sha256 []byte, sessions, entries int) error
	MarkNoExport(ctx context.Context, tenantID uuid.UUID) error
	RecordEpochKeys(ctx context.Context, tenantID uuid.UUID, n int) (int, error)
	EpochsDestroyed(ctx context.Context, tenantID uuid.UUID, at time.Time) error
	AddObjectsDeleted(ctx context.Context, tenantID uuid.UUID, n int, done bool, at time.Time) error
	Finish(ctx context.Context, tenantID uuid.UUID, at time.Time,
		sign func(idv.OffboardFacts) (idv.SignedReceipt, error)) (idv.Offboarding, error)
}

// Tenants reads a tenant (postgres.Tenants).
type Tenants interface {
	Get(ctx context.Context, id uuid.UUID) (idv.Tenant, error)
}

// Sessions reads a session's captures and wrapped key (postgres.Sessions).
type Sessions interface {
	Captures(ctx context.Context, tenantID, id uuid.UUID) ([]idv.Capture, error)
	Key(ctx context.Context, tenantID, id uuid.UUID) (idv.WrappedKey, error)
}

// Results lists a session's check results (postgres.Results).
type Results interface {
	List(ctx context.Context, tenantID, sessionID uuid.UUID) ([]idv.Result, error)
}

// Audit records and lists a tenant's audit entries (postgres.Audit).
type Audit interface {
	Record(ctx context.Context, e idv.AuditEntry) error
	List(ctx context.Context, tenantID uuid.UUID, after int64, limit int) ([]idv.AuditEvent, error)
	idv.AuditHeads
}
