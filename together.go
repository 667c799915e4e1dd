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

// Changes groups the store calls of one change of one tenant
// (postgres.Reads): ChangeTogether runs fn with a context in which the
// stores' calls for tenantID share one read-write transaction, committed
// when fn returns nil and rolled back otherwise; events appended through
// it wake the relay after the commit. fn makes its calls from one
// goroutine.
type Changes interface {
	ChangeTogether(ctx context.Context, tenantID uuid.UUID, fn func(context.Context) error) error
}

// ChangeTogether runs fn through c's ChangeTogether, or with ctx as it is
// when c is nil (a store without groups: each call on its own).
func ChangeTogether(ctx context.Context, c Changes, tenantID uuid.UUID, fn func(context.Context) error) error {
	if c == nil {
		return fn(ctx)
	}
	return c.ChangeTogether(ctx, tenantID, fn)
}
