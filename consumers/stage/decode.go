package stage

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idv-oss/idv/schemas"
	"github.com/nats-io/nats.go/jetstream"
)

// errMalformed marks a message that is not an IDV event: no handler can
// ever succeed on it, so the loop terminates it.
var errMalformed = errors.New("malformed event")

// decode turns a delivered message into an Event, checking the headers
// that infra/broker's Publisher sets.
func decode(msg jetstream.Msg, meta *jetstream.MsgMetadata) (Event, error) {
	h := msg.Headers()
	ev := Event{
		Subject:      msg.Subject(),
		Type:         h.Get(schemas.HeaderType),
		MsgID:        h.Get(schemas.HeaderID),
		Data:         msg.Data(),
		NumDelivered: meta.NumDelivered,
	}
	switch {
	case ev.Type == "":
		return ev, fmt.Errorf("%w: no %s header", errMalformed, schemas.HeaderType)
	case !strings.HasPrefix(ev.Subject, ev.Type+".") || len(ev.Subject) == len(ev.Type)+1:
		return ev, fmt.Errorf("%w: subject is not <%s>.<id>", errMalformed, schemas.HeaderType)
	case ev.MsgID == "":
		return ev, fmt.Errorf("%w: no %s header", errMalformed, schemas.HeaderID)
	}
	t, err := time.Parse(time.RFC3339Nano, h.Get(schemas.HeaderTime))
	if err != nil {
		return ev, fmt.Errorf("%w: %s header is not an RFC 3339 time", errMalformed, schemas.HeaderTime)
	}
	ev.Time = t
	return ev, nil
}
