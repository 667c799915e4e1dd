package outbox

import (
	"context"

	"github.com/idv-oss/idv"
)

// Publisher publishes one event and returns once the broker has stored it,
// or has recognised its Nats-Msg-Id as one it already stored.
// *broker.Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, m idv.Message) error
}
