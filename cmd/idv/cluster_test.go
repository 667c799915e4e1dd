package main

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/schemas"
)

// TestClusterScaleOut runs the pipeline as production does, scaled out: a
// three-node JetStream cluster with stream IDV at R3, and two replicas of
// every worker process (relay, doccheck, decision, notify, wipe), each on
// its own connection. While 36 verifications are submitted it shuts down
// the node leading the stream, then kills one worker replica. Every
// verification must still end with exactly one verified session.decided
// webhook at the customer's receiver and one recorded delivery: nothing
// lost, nothing visible twice (docs/design.md invariant 7).
func TestClusterScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("three NATS nodes and 36 verifications: not with -short")
	}
	start := time.Now()
	// AckWait is shortened so that what the killed replica and the lost
	// node leave unacknowledged comes back in seconds, not 30.
	s := startSystemWith(t, systemOptions{natsNodes: 3, replicas: 2, ackWait: 3 * time.Second})
	ctx := context.Background()
	info := s.streamInfo(ctx)
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream IDV: %d replicas, cluster %+v; want R3 on three nodes", info.Config.Replicas, info.Cluster)
	}

	// Every verification is uploaded first and submitted after, in a burst,
	// so that the node and the replica go while the stages are busy.
	const n = 36
	type run struct {
		v    *verification
		hook <-chan schemas.WebhookPayload
	}
	runs := make([]run, n)
	for i := range runs {
		v := s.newVerification()
		if err := v.app.SealAndUpload(ctx, v.session, v.captures, nil); err != nil {
			t.Fatal(err)
		}
		runs[i] = run{v: v, hook: s.rcv.Await(v.id, schemas.WebhookSessionDecided)}
	}
	var lostNode string
	for i, r := range runs {
		switch i {
		case n / 3:
			lostNode = s.streamInfo(ctx).Cluster.Leader
			for _, ns := range s.nats {
				if ns.Name() == lostNode {
					ns.Shutdown()
				}
			}
		case 2 * n / 3:
			s.replicas[1].kill()
		}
		if _, err := r.v.app.Submit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range runs {
		if res := s.await(r.v, r.hook); res.Decision != schemas.DecisionApproved {
			t.Errorf("session %s: %+v", r.v.id, res)
		}
	}
	if after := s.streamInfo(ctx).Cluster.Leader; lostNode == "" || after == lostNode {
		t.Errorf("stream leader %q before the node was lost, %q after", lostNode, after)
	}

	// Once the stages have settled everything, a redelivered notify could
	// only have sent a second webhook by now.
	s.waitSettled(ctx, "doccheck", "decision", "notify")
	for _, r := range runs {
		if got := s.rcv.Received(r.v.id, schemas.WebhookSessionDecided); got != 1 {
			t.Errorf("session %s: %d session.decided webhooks received, want exactly 1", r.v.id, got)
		}
		if got := s.deliveries(r.v.id, "delivered"); got != 1 {
			t.Errorf("session %s: %d deliveries recorded, want exactly 1", r.v.id, got)
		}
	}
	// How much the losses cost, as the surviving replica counted it.
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			count[f.GetName()] += m.GetCounter().GetValue()
		}
	}
	t.Logf("%d verifications, node %s lost, one worker replica killed: every one decided with one webhook, %s after the start; surviving replica: %v redeliveries, %v unconfirmed acks, %v publish errors retried",
		n, lostNode, time.Since(start).Round(time.Millisecond), count["idv_stage_redeliveries_total"],
		count["idv_stage_ack_failures_total"], count["idv_outbox_publish_errors_total"])
}

// streamInfo reads stream IDV's info, waiting out a leader election.
func (s *system) streamInfo(ctx context.Context) *jetstream.StreamInfo {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := streamInfo(ctx, s.js)
		if err == nil && info.Cluster != nil && info.Cluster.Leader != "" {
			return info
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("stream %s info: %+v, %v", broker.StreamName, info, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitSettled waits until the consumers of stages have nothing waiting and
// nothing delivered but unacknowledged.
func (s *system) waitSettled(ctx context.Context, stages ...string) {
	s.t.Helper()
	// Generous: after a long outage a message may wait out a nak delay of
	// minutes before its last, successful, delivery.
	deadline := time.Now().Add(10 * time.Minute)
	for _, name := range stages {
		for {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			c, err := s.js.Consumer(cctx, broker.StreamName, name)
			cancel()
			if err == nil {
				if ci := c.CachedInfo(); ci.NumPending == 0 && ci.NumAckPending == 0 {
					break
				}
			}
			if time.Now().After(deadline) {
				s.t.Fatalf("consumer %s not settled after ten minutes (%v)", name, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
