// Package broker is IDV's adapter to NATS JetStream: connecting, declaring
// the IDV stream and the stages' durable consumers (once, at start-up, not by
// each worker), and publishing events with the de-duplication and
// CloudEvents headers every consumer relies on (docs/design.md invariant 7).
package broker

// StreamName is the one stream that carries every IDV event.
const StreamName = "IDV"
