package stage

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
)

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

// Nominal is ExponentialBackoff's delay before jitter.
func Nominal(base, max time.Duration, n uint64) time.Duration {
	return idv.Backoff{Base: base, Max: max}.Delay(n)
}
