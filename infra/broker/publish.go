package broker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// CloudEvents headers (binary content mode) that IDV events carry besides
// Nats-Msg-Id.
const (
	HeaderSpecVersion = "ce-specversion"
	HeaderType        = "ce-type"
	HeaderID          = "ce-id"
	HeaderTime        = "ce-time"
	HeaderSource      = "ce-source"
)

// Message is an event to publish.
type Message struct {
	Subject string    // idv.<entity>.<event>.<id>: schemas.Subject
	Type    string    // event type, the subject's first three tokens
	MsgID   string    // schemas.MsgID: the same event always has the same id
	Time    time.Time // when it happened; zero means now
	Body    []byte    // JSON; ids and codes only
}

func (m Message) validate() error {
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
func (p *Publisher) Publish(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
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
			HeaderSpecVersion: []string{"1.0"},
			HeaderType:        []string{m.Type},
			HeaderID:          []string{m.MsgID},
			HeaderTime:        []string{at.UTC().Format(time.RFC3339Nano)},
			HeaderSource:      []string{"idv"},
		},
	}
	if _, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(m.MsgID), jetstream.WithExpectStream(StreamName)); err != nil {
		return fmt.Errorf("jetstream: publish %s (%s): %w", m.Subject, m.MsgID, err)
	}
	return nil
}
