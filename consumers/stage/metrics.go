package stage

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

// NewMetrics creates the loop's metrics and registers them with reg (none
// when reg is nil). Registering again with the same reg (two stages that
// each build their own Metrics in one process) reuses the collectors
// already there.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "idv_stage_duration_seconds",
			Help:    "Time from handing a message to the stage's handler to settling it, by stage and outcome (ack, nak, term).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"stage", "outcome"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idv_stage_messages_total",
			Help: "Messages settled, by stage and outcome: ack (done), nak (retried later), term (given up: permanent error or malformed event).",
		}, []string{"stage", "outcome"}),
		redeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idv_stage_redeliveries_total",
			Help: "Deliveries of a message that had been delivered before (a retry, or an ack that never arrived), by stage.",
		}, []string{"stage"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "idv_stage_in_flight",
			Help: "Messages whose handler is running, by stage.",
		}, []string{"stage"}),
		ackFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idv_stage_ack_failures_total",
			Help: "Acks the broker did not confirm, by stage: the message will be delivered again and its idempotent handler will find its work done.",
		}, []string{"stage"}),
		exhausted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idv_stage_exhausted_total",
			Help: "Messages whose last allowed delivery (the consumer's MaxDeliver) failed, by stage: JetStream will not deliver them again, so their work is not done without help.",
		}, []string{"stage"}),
	}
	if reg == nil {
		return m
	}
	m.duration = register(reg, m.duration)
	m.messages = register(reg, m.messages)
	m.redeliveries = register(reg, m.redeliveries)
	m.inFlight = register(reg, m.inFlight)
	m.ackFailures = register(reg, m.ackFailures)
	m.exhausted = register(reg, m.exhausted)
	return m
}

// register registers c with reg, or returns the identical collector that
// is registered already. Any other conflict is a programming error and
// panics, as prometheus.MustRegister does.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(err)
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
