package outbox

import (
	"context"

	"github.com/idv-oss/idv/infra/broker"
)

// Publisher publishes one event and returns once the broker has stored it,
// or has recognised its Nats-Msg-Id as one it already stored.
// *broker.Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, m broker.Message) error
}
