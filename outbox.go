package idv

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// OutboxRow is an appended event as the relay publishes it.
type OutboxRow struct {
	Seq       int64
	TenantID  uuid.UUID
	MsgID     string
	Type      string
	Subject   string
	Body      []byte // JSON as the store returns it: the same value, keys perhaps reordered
	CreatedAt time.Time
}

// OutboxStat describes the outbox's backlog.
type OutboxStat struct {
	Pending int64         // unpublished rows
	Lag     time.Duration // age of the oldest unpublished row; 0 when none
}

// OutboxStore is what the relay drains (docs/design.md invariant 7): the
// events appended with the changes that caused them, published once their
// transactions committed.
type OutboxStore interface {
	// PublishBatch claims up to limit unpublished rows in order, hands them
	// to publish until it fails, and marks those published. Rows another
	// relay holds are skipped, not waited for.
	PublishBatch(ctx context.Context, limit int, publish func(context.Context, OutboxRow) error) (claimed, published int, err error)
	// Stats reads the backlog.
	Stats(ctx context.Context) (OutboxStat, error)
	// Prune deletes up to limit rows published more than olderThan ago.
	Prune(ctx context.Context, olderThan time.Duration, limit int) (int64, error)
}

// OutboxWaker tells the relay that rows were appended, so that it need not
// poll to stay prompt (PostgreSQL's LISTEN/NOTIFY).
type OutboxWaker interface {
	// Listen calls wake after appends (and once when it starts listening,
	// for rows appended before), and ready once it listens, until stop.
	Listen(wake, ready func()) (stop func())
}
