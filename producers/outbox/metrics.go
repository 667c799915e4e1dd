package outbox

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/metric"
)

// Metrics are the relay's Prometheus metrics. They carry no labels: ids
// never go into labels (docs/design.md invariant 1). With several relays the gauges
// describe the one shared table, so each replica reports the same backlog.
type Metrics struct {
	published     prometheus.Counter
	publishErrors prometheus.Counter
	failures      prometheus.Counter
	lag           prometheus.Gauge
	pending       prometheus.Gauge
}

// NewMetrics registers the relay's metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		published:     metric.Counter(reg, "idv_outbox_published_total", "Outbox rows published to JetStream and marked published."),
		publishErrors: metric.Counter(reg, "idv_outbox_publish_errors_total", "Failed publishes; the row stays unpublished and is retried."),
		failures: metric.Counter(reg, "idv_outbox_relay_failures_total",
			"Relay rounds that failed (the database or the broker out of reach) and were retried after a backoff."),
		lag:     metric.Gauge(reg, "idv_outbox_lag_seconds", "Age of the oldest unpublished outbox row; 0 when none waits."),
		pending: metric.Gauge(reg, "idv_outbox_pending", "Unpublished outbox rows."),
	}
}
