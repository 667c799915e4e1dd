package natsserver_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv/infra/natsserver"
)

// A three-node cluster keeps an R3 stream writable and whole when the
// node leading it is shut down.
func TestClusterSurvivesLosingTheStreamLeader(t *testing.T) {
	t.Parallel()
	nodes, err := natsserver.StartCluster(t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*natsserver.Server{}
	for _, n := range nodes {
		t.Cleanup(n.Shutdown)
		byName[n.Name()] = n
	}
	if len(byName) != 3 {
		t.Fatalf("node names %v, want three distinct", byName)
	}
	nc, err := nats.Connect(natsserver.ClientURLs(nodes), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			// While a new leader is elected publishes fail; the message id
			// makes a retried publish count once.
			deadline := time.Now().Add(30 * time.Second)
			for {
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				_, err := js.Publish(pctx, "t.x", []byte("m"), jetstream.WithMsgID(strconv.Itoa(i)))
				cancel()
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("publish %d: %v", i, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	publish(0, 10)
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cluster == nil || len(info.Cluster.Replicas) != 2 || byName[info.Cluster.Leader] == nil {
		t.Fatalf("stream cluster info %+v, want a known leader and two replicas", info.Cluster)
	}
	old := info.Cluster.Leader
	byName[old].Shutdown()

	publish(10, 20)
	info, err = s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 20 || info.Cluster.Leader == old || info.Cluster.Leader == "" {
		t.Fatalf("after losing %s: %d messages, leader %q; want 20 and a new leader", old, info.State.Msgs, info.Cluster.Leader)
	}
}
