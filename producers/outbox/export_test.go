package outbox

// Listening is closed once the relay has LISTEN in place and has drained
// everything committed before: from then on only a notification or the poll
// can wake it.
func Listening(r *Relay) <-chan struct{} { return r.listening }

// Backoff exposes backoff to the table test.
var Backoff = backoff
