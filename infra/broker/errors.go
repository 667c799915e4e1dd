package broker

import "errors"

var (
	// ErrConfig marks a stream or consumer declaration IDV refuses.
	ErrConfig = errors.New("jetstream: invalid configuration")
	// ErrMessage marks a message Publish refuses to send.
	ErrMessage = errors.New("jetstream: invalid message")
)
