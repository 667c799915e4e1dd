package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BreachDeadline is the agreement's time to notify the controller of a
// breach that touches it.
const BreachDeadline = 24 * time.Hour

// NewBreachCollector is idv_breaches_unnotified_overdue, read from the
// breach register at each scrape: breaches opened over BreachDeadline ago
// with an affected tenant not yet notified (Breaches.Unnotified). It must
// read 0; -1 says the register could not be read. Register it with the
// registry of the process that serves the API.
func NewBreachCollector(pool *sql.DB) prometheus.Collector {
	store := NewBreaches(pool)
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "idv_breaches_unnotified_overdue",
		Help: "Breaches opened more than 24 hours ago that have an affected tenant not yet notified; -1 when the register cannot be read.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, err := store.Unnotified(ctx, time.Now(), BreachDeadline)
		if err != nil {
			return -1
		}
		return float64(n)
	})
}
