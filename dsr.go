package idv

import (
	"time"

	"github.com/google/uuid"
)

// DSR is a data subject's request about its session (migration 013).
type DSR struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	SessionID  uuid.UUID
	Kind       string // schemas.DSR…
	ReceivedAt time.Time
}
