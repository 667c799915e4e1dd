package outbox

import (
	"context"

	"github.com/idv-oss/idv/infra/jetstream"
)

// Publisher publishes one event and returns once the broker has stored it,
// or has recognised its Nats-Msg-Id as one it already stored.
// *jetstream.Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, m jetstream.Message) error
}
