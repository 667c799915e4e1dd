package outbox_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
)

// startBroker starts an embedded JetStream server in a temporary directory,
// declares stream IDV on it and returns IDV's publisher and the stream.
// syncAlways has the server fsync every write.
func startBroker(t testing.TB, syncAlways bool) (*broker.Publisher, jetstream.Stream) {
	t.Helper()
	s, err := natsserver.Start(natsserver.Options{Dir: t.TempDir(), SyncAlways: syncAlways})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := broker.DeclareStream(context.Background(), js, broker.StreamConfig{Replicas: 1, MaxAge: broker.MaxMaxAge})
	if err != nil {
		t.Fatal(err)
	}
	return broker.NewPublisher(js), st
}

// publisherFunc adapts a function to outbox.Publisher.
type publisherFunc func(ctx context.Context, m idv.Message) error

func (f publisherFunc) Publish(ctx context.Context, m idv.Message) error { return f(ctx, m) }
