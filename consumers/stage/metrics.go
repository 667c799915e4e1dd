package stage

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/metric"
)

// Outcomes of a delivery, as counted.
const (
	outcomeAck  = "ack"
	outcomeNak  = "nak"
	outcomeTerm = "term"
)

// Metrics are the consume loop's metrics, labelled by stage and outcome
// only: never an id (docs/design.md invariant 1; bounded cardinality). One Metrics
// serves every stage in a process.
type Metrics struct {
	duration     *prometheus.HistogramVec
	messages     *prometheus.CounterVec
	redeliveries *prometheus.CounterVec
	inFlight     *prometheus.GaugeVec
	ackFailures  *prometheus.CounterVec
	exhausted    *prometheus.CounterVec
}

// NewMetrics registers the loop's metrics with reg (nil: unregistered).
// Registering again with the same reg (two stages that each build their
// own Metrics in one process) reuses the collectors already there.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		duration: metric.HistogramVec(reg, "idv_stage_duration_seconds",
			"Time from handing a message to the stage's handler to settling it, by stage and outcome (ack, nak, term).",
			[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}, "stage", "outcome"),
		messages: metric.CounterVec(reg, "idv_stage_messages_total",
			"Messages settled, by stage and outcome: ack (done), nak (retried later), term (given up: permanent error or malformed event).",
			"stage", "outcome"),
		redeliveries: metric.CounterVec(reg, "idv_stage_redeliveries_total",
			"Deliveries of a message that had been delivered before (a retry, or an ack that never arrived), by stage.", "stage"),
		inFlight: metric.GaugeVec(reg, "idv_stage_in_flight",
			"Messages whose handler is running, by stage.", "stage"),
		ackFailures: metric.CounterVec(reg, "idv_stage_ack_failures_total",
			"Acks the broker did not confirm, by stage: the message will be delivered again and its idempotent handler will find its work done.", "stage"),
		exhausted: metric.CounterVec(reg, "idv_stage_exhausted_total",
			"Messages whose last allowed delivery (the consumer's MaxDeliver) failed, by stage: JetStream will not deliver them again, so their work is not done without help.", "stage"),
	}
}

// forStage creates a stage's series up front, so that dashboards and
// alerts see zeros rather than missing series.
func (m *Metrics) forStage(stage string) {
	for _, o := range []string{outcomeAck, outcomeNak, outcomeTerm} {
		m.messages.WithLabelValues(stage, o)
	}
	m.redeliveries.WithLabelValues(stage)
	m.inFlight.WithLabelValues(stage)
	m.ackFailures.WithLabelValues(stage)
	m.exhausted.WithLabelValues(stage)
}

func (m *Metrics) settled(stage, outcome string, took time.Duration) {
	m.messages.WithLabelValues(stage, outcome).Inc()
	m.duration.WithLabelValues(stage, outcome).Observe(took.Seconds())
}
