// Package stage is the consume loop every pipeline stage shares: it pulls
// events from the stage's durable JetStream consumer, hands each to the
// stage's Handler, and maps the result: nil → ack; a Permanent error → term
// with its reason; any other error → nak with backoff. Long work keeps the
// message alive with InProgress. Handlers are idempotent on (session, stage):
// JetStream delivers at least once.
package stage

import (
	"context"
	"errors"
	"time"
)

// Event is one delivered message.
type Event struct {
	Subject      string    // idv.<entity>.<event>.<id>
	Type         string    // ce-type header, e.g. idv.session.submitted
	MsgID        string    // Nats-Msg-Id / ce-id
	Time         time.Time // ce-time
	Data         []byte    // JSON body; ids and codes only
	NumDelivered uint64    // 1 on first delivery
}

// Handler is a stage.
type Handler interface {
	Handle(ctx context.Context, ev Event) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, ev Event) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, ev Event) error { return f(ctx, ev) }

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// Permanent marks err as one retrying cannot fix (a malformed event, a
// disabled endpoint): the loop terminates the message with err as reason.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// PermanentIf marks err Permanent when it is one of targets, and returns it
// unchanged otherwise.
func PermanentIf(err error, targets ...error) error {
	for _, t := range targets {
		if errors.Is(err, t) {
			return Permanent(err)
		}
	}
	return err
}
