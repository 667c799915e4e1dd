package notify

import (
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Spec describes the stage to the broker and the consume loop.
var Spec = idv.Stage{
	Name: "notify",
	// The session events, the tenant notices (a subprocessor change, a
	// breach) and data subjects' requests all become webhooks, with the
	// same delivery rules.
	Consumes: []string{schemas.TypeSessionDecided, schemas.TypeSessionDeleted,
		schemas.TypeSubprocessorAnnounced, schemas.TypeBreachNotified, schemas.TypeDSRReceived},
	// 21 deliveries, for about three days of webhook retries as the
	// Standard Webhooks convention expects: delays after deliveries 1–9 of
	// 1, 2, 4, …, 256 minutes (8.5 h in all), then eleven of 6 h, 74.5 h
	// nominal; jitter takes up to a fifth off each delay, so the last
	// attempt falls 60–74.5 h (2.5–3.1 days) after the first.
	// IDV_WEBHOOK_RETRY_BASE replaces Backoff.Base (tests shorten it).
	MaxDeliver: 21,
	Backoff:    idv.Backoff{Base: time.Minute, Max: 6 * time.Hour},
	// The stage mostly waits on webhook targets.
	Concurrency: 16,
	AckWait:     30 * time.Second,
	// Messages waiting out a delay count against MaxAckPending, so it is
	// high: with 64, one customer's dead endpoint would hold back every
	// tenant's webhooks.
	MaxAckPending: 4096,
}
