package notify

import (
	"errors"

	"github.com/idv-oss/idv"
)

// Sentinel errors. Handle's errors wrap them with the webhook id and codes,
// never the endpoint's URL or answer.
var (
	// ErrMalformedEvent: the event is not one of those this stage
	// understands; it is terminated (Permanent), never retried.
	ErrMalformedEvent = idv.ErrMalformedEvent

	// ErrUnconfirmed: the database does not hold what the event announces
	// (a session without a decision or not wiped, a notice, announcement,
	// request or checkpoint the tenant does not have): a forged or stale event. Nothing
	// is sent and the event is terminated (Permanent).
	ErrUnconfirmed = errors.New("notify: event not confirmed by the database")

	// ErrEndpointDisabled: the tenant's endpoint answered 410 Gone, now or
	// before, so nothing more is sent to it (Permanent).
	ErrEndpointDisabled = errors.New("notify: webhook endpoint disabled")

	// ErrAddressNotAllowed: the endpoint's host resolved to an address IDV
	// must not connect to (loopback, private, link-local, …). Nothing is
	// sent and the delivery ends (Permanent); the tenant sees the refusal
	// in GET /v1/webhook and its audit log.
	ErrAddressNotAllowed = errors.New("notify: address not allowed")

	// ErrURLNotAllowed: the stored URL fails idv.CheckWebhookURL (stored
	// under an older rule, or under the dev stack's). Nothing is sent and
	// the delivery ends (Permanent), as for ErrAddressNotAllowed.
	ErrURLNotAllowed = errors.New("notify: webhook URL not allowed")

	// ErrDeliveryFailed: the endpoint did not answer 2xx (another status, a
	// redirect, a timeout, no connection). Retried with backoff.
	ErrDeliveryFailed = errors.New("notify: delivery failed")
)
