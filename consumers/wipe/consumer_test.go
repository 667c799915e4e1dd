package wipe_test

import (
	"context"
	"testing"
	"time"

	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/consumers/wipe"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/natsserver"
	"github.com/idv-oss/idv/schemas"
)

// The wipe stage's deliveries, with its backoff, outlast an hour-long
// storage outage even if jitter shortens every delay as much as it can (a
// fifth).
func TestWipeConsumerOutlastsAnHourOfOutage(t *testing.T) {
	t.Parallel()
	spec := wipe.Spec
	if spec.Name != "wipe" || len(spec.Subjects()) != 1 || spec.Subjects()[0] != "idv.session.expired.>" {
		t.Fatalf("wipe stage %+v", spec)
	}
	var shortest, longest time.Duration
	for n := uint64(1); n < uint64(spec.MaxDeliver); n++ {
		d := spec.Backoff.Delay(n)
		longest += d
		shortest += d - d/5
	}
	t.Logf("wipe: %d deliveries, the last %s–%s after the first", spec.MaxDeliver, shortest, longest)
	if shortest < time.Hour {
		t.Errorf("wipe retries end %s after the first attempt at the earliest; want beyond an hour", shortest)
	}
	if spec.MaxAckPending < 1024 {
		t.Errorf("MaxAckPending %d: wipes waiting out an outage would hold back new ones", spec.MaxAckPending)
	}
}

// End to end through JetStream: the expired event as the relay publishes it
// reaches the wipe stage through its durable consumer as infra/broker
// declares it, and the session is wiped; events of other types never reach
// the stage.
func TestWipeThroughJetStream(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.intake(t)
	ev := b.requestWipe(t, s.id, schemas.WipeExpired)

	srv, err := natsserver.Start(natsserver.NewOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, js, err := broker.Connect(t.Context(), srv.ClientURL(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := broker.DeclareStream(t.Context(), js, broker.StreamConfig{Replicas: 1, MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := broker.DeclareConsumers(t.Context(), js, wipe.Spec); err != nil {
		t.Fatal(err)
	}
	cons, err := broker.Consumer(t.Context(), js, "wipe")
	if err != nil {
		t.Fatal(err)
	}
	id := s.id.String()
	pub := broker.NewPublisher(js)
	for _, m := range []broker.Message{
		{Subject: schemas.Subject(schemas.TypeSessionDecided, id), Type: schemas.TypeSessionDecided,
			MsgID: schemas.MsgID(schemas.TypeSessionDecided, id), Body: []byte(`{}`)},
		{Subject: ev.Subject, Type: ev.Type, MsgID: ev.MsgID, Time: ev.Time, Body: ev.Data},
		{Subject: ev.Subject, Type: ev.Type, MsgID: ev.MsgID, Time: ev.Time, Body: ev.Data}, // the relay again: de-duplicated
	} {
		if err := pub.Publish(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- stage.Run(ctx, cons, b.stage, nil, nil, stage.Config{Stage: wipe.Spec}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consume loop: %v", err)
		}
	})
	// A condition, not a timing, is asserted; the deadline only stops a
	// broken test from hanging.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ci, err := cons.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if ci.AckFloor.Consumer == 1 && ci.NumAckPending == 0 {
			if ci.Delivered.Consumer != 1 || ci.NumPending != 0 {
				t.Fatalf("wipe consumer delivered %d, pending %d; want the one expired event", ci.Delivered.Consumer, ci.NumPending)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the wipe consumer never acked the expired event: %+v", ci)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.assertWiped(t, s, schemas.WipeExpired)
}
