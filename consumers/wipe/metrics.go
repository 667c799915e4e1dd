package wipe

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the wipe stage's own metrics, without labels (docs/design.md invariant
// 1). How many wipes ran, failed and how long they took come from the consume
// loop's metrics with stage="wipe".
type Metrics struct {
	keysDestroyed  prometheus.Counter
	objectsDeleted prometheus.Counter
}

// NewMetrics creates the stage's metrics and registers them with reg (none
// when reg is nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		keysDestroyed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "idv_wipe_keys_destroyed_total",
			Help: "Session keys destroyed by the wipe stage (crypto-shredding): one per wiped session.",
		}),
		objectsDeleted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "idv_wipe_objects_deleted_total",
			Help: "Object versions, delete markers and unfinished uploads the wipe stage deleted.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.keysDestroyed, m.objectsDeleted)
	}
	return m
}
