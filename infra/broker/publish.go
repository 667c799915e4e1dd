package broker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func validate(m idv.Message) error {
	switch {
	case m.Type == "":
		return fmt.Errorf("%w: no type", ErrMessage)
	case m.MsgID == "":
		return fmt.Errorf("%w: %s without a message id", ErrMessage, m.Subject)
	case !strings.HasPrefix(m.Subject, m.Type+".") || len(m.Subject) == len(m.Type)+1:
		return fmt.Errorf("%w: subject %s is not %s.<id>", ErrMessage, m.Subject, m.Type)
	}
	return nil
}

// Publisher publishes events to stream IDV.
type Publisher struct {
	js jetstream.JetStream
}

// NewPublisher returns a Publisher that publishes through js.
func NewPublisher(js jetstream.JetStream) *Publisher {
	return &Publisher{js: js}
}

// Publish publishes m and waits until stream IDV has stored it. A message
// whose MsgID the stream has seen within DuplicateWindow is acknowledged as
// a duplicate and not stored again; that is success too, which makes
// publishing the same event twice (a relay retrying) harmless.
func (p *Publisher) Publish(ctx context.Context, m idv.Message) error {
	if err := validate(m); err != nil {
		return err
	}
	at := m.Time
	if at.IsZero() {
		at = time.Now()
	}
	msg := &nats.Msg{
		Subject: m.Subject,
		Data:    m.Body,
		Header: nats.Header{
			schemas.HeaderSpecVersion: []string{"1.0"},
			schemas.HeaderType:        []string{m.Type},
			schemas.HeaderID:          []string{m.MsgID},
			schemas.HeaderTime:        []string{at.UTC().Format(time.RFC3339Nano)},
			schemas.HeaderSource:      []string{"idv"},
		},
	}
	if _, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(m.MsgID), jetstream.WithExpectStream(StreamName)); err != nil {
		return fmt.Errorf("jetstream: publish %s (%s): %w", m.Subject, m.MsgID, err)
	}
	return nil
}
