package notify

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/metric"
)

// Metric outcomes: the recorded delivery outcomes, plus skipped (already
// delivered, so nothing was sent) and error (no attempt could be made: the
// database or the vault failed).
const (
	outcomeSkipped = "skipped"
	outcomeError   = "error"
)

// Why an event was refused (ErrUnconfirmed), as counted.
const (
	refusedUnknown     = "unknown"      // the tenant has no such session, notice, announcement, request or checkpoint
	refusedUndecided   = "undecided"    // session.decided for a session without a decision
	refusedNotDeleted  = "not_deleted"  // session.deleted for a session not wiped
	refusedNotNotified = "not_notified" // breach.notified for a round the tenant was not notified in
	refusedSuperseded  = "superseded"   // breach.notified for a round a later one replaced
)

// Metrics are the notifier's Prometheus metrics. Labels carry outcomes and
// reasons only, never tenant, session or webhook ids (docs/design.md
// invariant 1; bounded cardinality).
type Metrics struct {
	deliveries *prometheus.CounterVec
	duration   prometheus.Histogram
	refused    *prometheus.CounterVec
	refusals   *prometheus.CounterVec
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
		refused: metric.CounterVec(reg, "idv_webhook_events_refused_total",
			"Events the database does not confirm, so nothing was sent, by reason: unknown (no such session, notice, announcement, request or checkpoint for the tenant), undecided, not_deleted, not_notified, superseded (a breach notice's later round replaced it).",
			"reason"),
		refusals: metric.CounterVec(reg, "idv_webhook_deliveries_refused_total",
			"Webhook deliveries the address rules refused, ended without a retry, by reason: address_not_allowed (the host resolved to a loopback, private, link-local, shared or reserved address), url_not_allowed (the stored URL fails the rule of registration).",
			"reason"),
	}
	// Every outcome exists from the start, so rates and alerts see zeros
	// rather than missing series.
	for _, o := range []string{outcomeDelivered, outcomeFailed, outcomeRefused, outcomeDisabled, outcomeSkipped, outcomeError} {
		m.deliveries.WithLabelValues(o)
	}
	for _, r := range []string{refusedUnknown, refusedUndecided, refusedNotDeleted, refusedNotNotified, refusedSuperseded} {
		m.refused.WithLabelValues(r)
	}
	for _, r := range idv.DeliveryRefusals {
		m.refusals.WithLabelValues(r)
	}
	return m
}
