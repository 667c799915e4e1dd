// Package metric creates the Prometheus metrics of IDV's parts and registers
// them with the registry the part is given (prometheus/client_golang's own
// registry per process, no global one). Names and help are the caller's;
// labels carry outcomes and stages only, never an id (docs/design.md
// invariant 1).
package metric

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Counter is a counter registered with reg (none when reg is nil).
func Counter(reg prometheus.Registerer, name, help string) prometheus.Counter {
	return Register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help}))
}

// Gauge is a gauge registered with reg (none when reg is nil).
func Gauge(reg prometheus.Registerer, name, help string) prometheus.Gauge {
	return Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help}))
}

// Histogram is a histogram with buckets registered with reg (none when reg
// is nil).
func Histogram(reg prometheus.Registerer, name, help string, buckets []float64) prometheus.Histogram {
	return Register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}))
}

// CounterVec is a counter with labels registered with reg (none when reg is
// nil).
func CounterVec(reg prometheus.Registerer, name, help string, labels ...string) *prometheus.CounterVec {
	return Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))
}

// GaugeVec is a gauge with labels registered with reg (none when reg is nil).
func GaugeVec(reg prometheus.Registerer, name, help string, labels ...string) *prometheus.GaugeVec {
	return Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels))
}

// HistogramVec is a histogram with buckets and labels registered with reg
// (none when reg is nil).
func HistogramVec(reg prometheus.Registerer, name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	return Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels))
}

// Register registers c with reg and returns it, or returns the identical
// collector registered already (two parts of one process that each build
// their metrics with the same reg share them). Any other conflict is a
// programming error and panics, as prometheus.MustRegister does. A nil reg
// registers nothing.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
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
