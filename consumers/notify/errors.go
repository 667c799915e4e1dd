package notify

import (
	"errors"

	"github.com/idv-oss/idv"
)

// Sentinel errors. Handle's errors wrap them with the webhook id and codes,
// never the endpoint's URL or answer.
var (
	// ErrMalformedEvent: the event cannot be a session.decided this stage
	// understands; it is terminated (Permanent), never retried.
	ErrMalformedEvent = idv.ErrMalformedEvent

	// ErrEndpointDisabled: the tenant's endpoint answered 410 Gone, now or
	// before, so nothing more is sent to it (Permanent).
	ErrEndpointDisabled = errors.New("notify: webhook endpoint disabled")

	// ErrAddressNotAllowed: the endpoint's host resolved to an address IDV
	// must not connect to (loopback, private, link-local, …). Retried: the
	// tenant may fix its DNS within the retry window.
	ErrAddressNotAllowed = errors.New("notify: address not allowed")

	// ErrDeliveryFailed: the endpoint did not answer 2xx (another status, a
	// redirect, a timeout, no connection). Retried with backoff.
	ErrDeliveryFailed = errors.New("notify: delivery failed")
)
