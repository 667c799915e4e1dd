package main

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/notify"
	"github.com/idv-oss/idv/consumers/stage"
)

// The pipeline runs the stages in event order, each taking what it is for
// on the consumer infra/broker declares from its description.
func TestPipelineStages(t *testing.T) {
	t.Parallel()
	want := []struct {
		name     string
		subjects []string
	}{
		{"doccheck", []string{"idv.session.submitted.>"}},
		{"facematch", []string{"idv.session.submitted.>"}},
		{"liveness", []string{"idv.session.submitted.>"}},
		{"decision", []string{"idv.check.completed.>"}},
		{"notify", []string{"idv.session.decided.>", "idv.session.deleted.>", "idv.subprocessor.announced.>",
			"idv.breach.notified.>", "idv.dsr.received.>", "idv.audit.checkpoint.>"}},
		{"wipe", []string{"idv.session.expired.>"}},
	}
	if len(pipeline) != len(want) {
		t.Fatalf("pipeline %v, want %d stages", stageNames(pipeline), len(want))
	}
	for i, w := range pipeline {
		s := w.spec
		if s.Name != want[i].name || !slices.Equal(s.Subjects(), want[i].subjects) {
			t.Errorf("stage %d: %s on %v, want %s on %v", i, s.Name, s.Subjects(), want[i].name, want[i].subjects)
		}
		if err := s.Validate(); err != nil || s.WithDefaults().AckWait != 30*time.Second {
			t.Errorf("%s: %+v: %v", s.Name, s, err)
		}
	}
}

// span is when the last of s's deliveries falls after the first: at the
// earliest (jitter takes a fifth off every delay) and at the latest.
func span(w stageWiring) (shortest, longest time.Duration) {
	for n := uint64(1); n < uint64(w.spec.MaxDeliver); n++ {
		d := w.spec.Backoff.Delay(n)
		longest += d
		shortest += d - d/5
	}
	return shortest, longest
}

// notify's deliveries and backoff give retries for about three days
// (Standard Webhooks); every other stage retries for over two hours, so
// that an outage of the database, the object store or the broker lasting
// an hour exhausts no message.
func TestStageRetriesOutlastOutages(t *testing.T) {
	t.Parallel()
	for _, w := range pipeline {
		shortest, longest := span(w)
		t.Logf("%s: %d deliveries, the last %s–%s after the first", w.spec.Name, w.spec.MaxDeliver, shortest, longest)
		if w.spec.Name == "notify" {
			if shortest < 54*time.Hour || longest > 84*time.Hour {
				t.Errorf("notify retries span %s–%s, want about three days", shortest, longest)
			}
			continue
		}
		if shortest < 2*time.Hour {
			t.Errorf("%s: %d deliveries retry for as little as %s, want over two hours", w.spec.Name, w.spec.MaxDeliver, shortest)
		}
	}
}

func TestParseStages(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want []string // nil: refused
	}{
		{[]string{"all"}, stageNames(pipeline)},
		{[]string{"notify", "doccheck"}, []string{"notify", "doccheck"}},
		{[]string{"wipe"}, []string{"wipe"}},
		{nil, nil},
		{[]string{"doccheck", "nosuchstage"}, nil},
		{[]string{"all", "wipe"}, nil},
	} {
		got, err := parseStages(c.args)
		if c.want == nil {
			if err == nil || !strings.Contains(err.Error(), "doccheck, facematch, liveness, decision, notify, wipe") {
				t.Errorf("parseStages(%q) = %v, %v; want an error listing the stages", c.args, stageNames(got), err)
			}
			continue
		}
		if err != nil || !slices.Equal(stageNames(got), c.want) {
			t.Errorf("parseStages(%q) = %v, %v; want %v", c.args, stageNames(got), err, c.want)
		}
	}
}

// IDV_WEBHOOK_RETRY_BASE replaces notify's first retry delay, not its cap.
func TestWebhookRetryBase(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		base, want time.Duration
	}{{0, notify.Spec.Backoff.Base}, {time.Second, time.Second}} {
		sc := stage.Config{Stage: notify.Spec}
		if _, _, err := buildNotify(&stack{}, config{WebhookRetryBase: c.base}, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), &sc); err != nil {
			t.Fatal(err)
		}
		if sc.Stage.Backoff != (idv.Backoff{Base: c.want, Max: notify.Spec.Backoff.Max}) {
			t.Errorf("IDV_WEBHOOK_RETRY_BASE %s: backoff %+v, want base %s", c.base, sc.Stage.Backoff, c.want)
		}
	}
}
