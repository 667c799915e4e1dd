package retention

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the sweeper's Prometheus metrics. They carry no labels: ids
// never go into labels (docs/design.md invariant 1). With several replicas the
// gauges describe the one shared database, so each reports the same figures.
type Metrics struct {
	overdue     prometheus.Gauge
	oldest      prometheus.Gauge
	claimed     prometheus.Counter
	rerequested prometheus.Counter
	late        prometheus.Counter
	destroyed   prometheus.Counter
	errors      prometheus.Counter
	duration    prometheus.Histogram
}

// NewMetrics registers the sweeper's metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		overdue: f.NewGauge(prometheus.GaugeOpts{
			Name: "idv_retention_overdue_sessions",
			Help: "Sessions past their expires_at whose personal data is not deleted yet; must read 0 (docs/design.md invariant 3).",
		}),
		oldest: f.NewGauge(prometheus.GaugeOpts{
			Name: "idv_retention_oldest_personal_data_seconds",
			Help: "Age of the oldest session not yet deleted, from its created_at; 0 when none. Never above 28 days.",
		}),
		claimed: f.NewCounter(prometheus.CounterOpts{
			Name: "idv_retention_claimed_total",
			Help: "Expired sessions whose wipe the sweeper requested (idv.session.expired appended).",
		}),
		late: f.NewCounter(prometheus.CounterOpts{
			Name: "idv_retention_late_decisions_total",
			Help: "Sessions decided review because a check they asked for had not reported by the decision deadline.",
		}),
		rerequested: f.NewCounter(prometheus.CounterOpts{
			Name: "idv_retention_wipes_rerequested_total",
			Help: "Wipes asked for again because they had not finished StuckAfter after their request (a long storage outage).",
		}),
		destroyed: f.NewCounter(prometheus.CounterOpts{
			Name: "idv_retention_epochs_destroyed_total",
			Help: "Epoch keys the sweeper destroyed once their hour had passed and no session key under them was left.",
		}),
		errors: f.NewCounter(prometheus.CounterOpts{
			Name: "idv_retention_errors_total",
			Help: "Failed steps of a round (claim, epoch listing, epoch destruction, overdue reading); retried next round.",
		}),
		duration: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "idv_retention_round_duration_seconds",
			Help:    "Time one round took: claiming, sweeping epochs and reading the overdue figures.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
	}
}
