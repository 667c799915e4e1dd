package idv

import (
	"context"

	"github.com/google/uuid"
)

// Reads groups reads of one tenant (postgres.Reads): Together runs fn with
// a context in which the stores' reads of tenantID share one consistent
// view, in one transaction instead of one each. A write through that
// context fails. fn makes its calls from one goroutine.
type Reads interface {
	Together(ctx context.Context, tenantID uuid.UUID, fn func(context.Context) error) error
}

// ReadTogether runs fn through r's Together, or with ctx as it is when r is
// nil (a store without groups: each read on its own).
func ReadTogether(ctx context.Context, r Reads, tenantID uuid.UUID, fn func(context.Context) error) error {
	if r == nil {
		return fn(ctx)
	}
	return r.Together(ctx, tenantID, fn)
}
