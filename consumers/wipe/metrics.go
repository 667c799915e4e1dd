package wipe

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv/metric"
)

// Metrics are the wipe stage's own metrics, without labels (docs/design.md invariant
// 1). How many wipes ran, failed and how long they took come from the consume
// loop's metrics with stage="wipe".
type Metrics struct {
	keysDestroyed      prometheus.Counter
	objectsDeleted     prometheus.Counter
	lateObjectsDeleted prometheus.Counter
}

// NewMetrics registers the stage's metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		keysDestroyed: metric.Counter(reg, "idv_wipe_keys_destroyed_total",
			"Session keys destroyed by the wipe stage (crypto-shredding): one per wiped session."),
		objectsDeleted: metric.Counter(reg, "idv_wipe_objects_deleted_total",
			"Object versions, delete markers and unfinished uploads the wipe stage deleted."),
		lateObjectsDeleted: metric.Counter(reg, "idv_wipe_late_objects_deleted_total",
			"Objects the tail sweep deleted under the prefix of a session wiped before: they landed after its wipe."),
	}
}
