package stage

import "github.com/prometheus/client_golang/prometheus"

// Series of m, for tests.
func Messages(m *Metrics, stage, outcome string) prometheus.Collector {
	return m.messages.WithLabelValues(stage, outcome)
}
func Redeliveries(m *Metrics, stage string) prometheus.Collector {
	return m.redeliveries.WithLabelValues(stage)
}
func InFlight(m *Metrics, stage string) prometheus.Collector {
	return m.inFlight.WithLabelValues(stage)
}
func AckFailures(m *Metrics, stage string) prometheus.Collector {
	return m.ackFailures.WithLabelValues(stage)
}

func Exhausted(m *Metrics, stage string) prometheus.Collector {
	return m.exhausted.WithLabelValues(stage)
}

var Nominal = nominal
