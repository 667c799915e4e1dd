package broker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// lagTimeout bounds the consumer lookups of one scrape; a scrape that
// cannot reach JetStream reports no lag series rather than hanging.
const lagTimeout = 2 * time.Second

// ConsumerCollector reports, at each scrape, what JetStream itself knows
// about the stages' durable consumers: messages not yet delivered to any
// worker (pending, the stage's lag), delivered and not yet acknowledged
// (ack pending, which includes messages waiting out a nak delay) and
// delivered more than once and not yet acknowledged (redelivered). These
// are the broker's figures, shared by every worker of a stage, so each
// replica reports the same values; aggregate with max(). Labels carry the
// stage name only, never an id (docs/design.md invariant 1).
type ConsumerCollector struct {
	stages      map[string]jetstream.JetStream
	pending     *prometheus.Desc
	ackPending  *prometheus.Desc
	redelivered *prometheus.Desc
	errors      *prometheus.CounterVec
}

// NewConsumerCollector reports the consumers of stages (the durable
// consumer of a stage is named after it) on stream IDV, each read through
// the connection given for it: with credentials per role, a stage's
// connection may read its own consumer's info and no other's. Register it
// with the registry of the process that runs those stages.
func NewConsumerCollector(stages map[string]jetstream.JetStream) *ConsumerCollector {
	c := &ConsumerCollector{
		stages: stages,
		pending: prometheus.NewDesc("idv_stage_consumer_pending",
			"Messages on stream IDV matching a stage's consumer not yet delivered to any of its workers (the stage's lag), from JetStream's consumer info.",
			[]string{"stage"}, nil),
		ackPending: prometheus.NewDesc("idv_stage_consumer_ack_pending",
			"Messages delivered to a stage's workers and not yet acknowledged, including those waiting out a retry delay, from JetStream's consumer info.",
			[]string{"stage"}, nil),
		redelivered: prometheus.NewDesc("idv_stage_consumer_redelivered",
			"Messages of a stage delivered more than once and not yet acknowledged, from JetStream's consumer info.",
			[]string{"stage"}, nil),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idv_stage_consumer_info_errors_total",
			Help: "Scrapes that could not read a stage's consumer info from JetStream (its lag series are missing from that scrape), by stage.",
		}, []string{"stage"}),
	}
	for s := range stages {
		c.errors.WithLabelValues(s)
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *ConsumerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.ackPending
	ch <- c.redelivered
	c.errors.Describe(ch)
}

// Collect implements prometheus.Collector: it reads every stage's consumer
// info at once, within lagTimeout.
func (c *ConsumerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), lagTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for s, js := range c.stages {
		wg.Go(func() {
			info, err := info(ctx, js, s)
			if err != nil {
				c.errors.WithLabelValues(s).Inc()
				return
			}
			ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(info.NumPending), s)
			ch <- prometheus.MustNewConstMetric(c.ackPending, prometheus.GaugeValue, float64(info.NumAckPending), s)
			ch <- prometheus.MustNewConstMetric(c.redelivered, prometheus.GaugeValue, float64(info.NumRedelivered), s)
		})
	}
	wg.Wait()
	c.errors.Collect(ch)
}

func info(ctx context.Context, js jetstream.JetStream, stage string) (*jetstream.ConsumerInfo, error) {
	cons, err := js.Consumer(ctx, StreamName, stage)
	if err != nil {
		return nil, fmt.Errorf("jetstream: consumer %s on %s: %w", stage, StreamName, err)
	}
	info := cons.CachedInfo()
	if info == nil {
		return nil, fmt.Errorf("jetstream: consumer %s on %s: no info", stage, StreamName)
	}
	return info, nil
}
