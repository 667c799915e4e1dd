package notify

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/metric"
)

// Metric outcomes: the recorded delivery outcomes, plus skipped (already
// delivered, so nothing was sent) and error (no attempt could be made: the
// database or the vault failed).
const (
	outcomeSkipped = "skipped"
	outcomeError   = "error"
)

// Metrics are the notifier's Prometheus metrics. Labels carry outcomes only,
// never tenant, session or webhook ids (docs/design.md invariant 1; bounded
// cardinality).
type Metrics struct {
	deliveries *prometheus.CounterVec
	duration   prometheus.Histogram
}

// NewMetrics registers the notifier's metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: metric.CounterVec(reg, "idv_webhook_deliveries_total",
			"Webhook deliveries handled, by outcome: delivered, failed, refused, disabled, skipped (already delivered), error (no attempt possible).",
			"outcome"),
		duration: metric.Histogram(reg, "idv_webhook_delivery_duration_seconds",
			"Time from sending a webhook to the endpoint's answer (or the failure), per attempt.",
			[]float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}),
	}
	// Every outcome exists from the start, so rates and alerts see zeros
	// rather than missing series.
	for _, o := range []string{outcomeDelivered, outcomeFailed, outcomeRefused, outcomeDisabled, outcomeSkipped, outcomeError} {
		m.deliveries.WithLabelValues(o)
	}
	return m
}
