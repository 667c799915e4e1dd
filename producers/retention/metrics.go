package retention

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/metric"
)

// Metrics are the sweeper's Prometheus metrics. They carry no labels: ids
// never go into labels (docs/design.md invariant 1). With several replicas the
// gauges describe the one shared database, so each reports the same figures.
type Metrics struct {
	overdue     prometheus.Gauge
	oldest      prometheus.Gauge
	claimed     prometheus.Counter
	rerequested prometheus.Counter
	tails       prometheus.Counter
	checkpoints prometheus.Counter
	late        prometheus.Counter
	destroyed   prometheus.Counter
	errors      prometheus.Counter
	duration    prometheus.Histogram
}

// NewMetrics registers the sweeper's metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		overdue: metric.Gauge(reg, "idv_retention_overdue_sessions",
			"Sessions past their expires_at whose personal data is not deleted yet; must read 0 (docs/design.md invariant 3)."),
		oldest: metric.Gauge(reg, "idv_retention_oldest_personal_data_seconds",
			"Age of the oldest session not yet deleted, from its created_at; 0 when none. Never above 28 days."),
		claimed: metric.Counter(reg, "idv_retention_claimed_total",
			"Expired sessions whose wipe the sweeper requested (idv.session.expired appended)."),
		late: metric.Counter(reg, "idv_retention_late_decisions_total",
			"Sessions decided review because a check they asked for had not reported by the decision deadline."),
		rerequested: metric.Counter(reg, "idv_retention_wipes_rerequested_total",
			"Wipes asked for again because they had not finished StuckAfter after their request (a long storage outage)."),
		tails: metric.Counter(reg, "idv_retention_tail_sweeps_requested_total",
			"Wiped sessions whose prefix the sweeper asked the wipe stage to sweep once more, TailAfter after their wipe."),
		checkpoints: metric.Counter(reg, "idv_retention_audit_checkpoints_total",
			"Periodic audit checkpoints signed and stored, each sent to its tenant as the audit.checkpoint webhook."),
		destroyed: metric.Counter(reg, "idv_retention_epochs_destroyed_total",
			"Epoch keys the sweeper destroyed once their hour had passed and no session key under them was left."),
		errors: metric.Counter(reg, "idv_retention_errors_total",
			"Failed steps of a round (claim, epoch listing, epoch destruction, a tenant's audit checkpoint, overdue reading); retried next round."),
		duration: metric.Histogram(reg, "idv_retention_round_duration_seconds",
			"Time one round took: claiming, sweeping epochs and reading the overdue figures.",
			[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}),
	}
}
