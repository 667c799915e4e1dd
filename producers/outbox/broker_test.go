package outbox_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv/infra/jetstream"
	"github.com/idv-oss/idv/infra/natsserver"
)

// startBroker starts an embedded JetStream server in a temporary directory,
// declares stream IDV on it and returns IDV's publisher and the stream.
// syncAlways has the server fsync every write.
func startBroker(t testing.TB, syncAlways bool) (*jetstream.Publisher, natsjs.Stream) {
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
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := jetstream.DeclareStream(context.Background(), js, jetstream.StreamConfig{Replicas: 1, MaxAge: jetstream.MaxMaxAge})
	if err != nil {
		t.Fatal(err)
	}
	return jetstream.NewPublisher(js), st
}

// publisherFunc adapts a function to outbox.Publisher.
type publisherFunc func(ctx context.Context, m jetstream.Message) error

func (f publisherFunc) Publish(ctx context.Context, m jetstream.Message) error { return f(ctx, m) }
