package idv

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// Event is one event of the pipeline, as a service builds it and the store
// appends it to the outbox in the transaction of the change it announces
// (docs/design.md invariant 7). Its body is one of schemas' event bodies:
// ids and codes only (invariant 1).
type Event struct {
	Type     string // schemas.TypeSessionSubmitted, …
	Subject  string // <Type>.<id of the entity it is about>
	MsgID    string // Nats-Msg-Id and ce-id: one per event, so appending or publishing twice is harmless
	TenantID uuid.UUID
	Body     any
}

// NewEvent builds the event of eventType about the entity about (the last
// token of its subject) for tenant. Its message id is eventType and about,
// or eventType and msgKey when the type has more than one event per entity
// (one per check, per tenant, per notification round).
func NewEvent(eventType string, tenant uuid.UUID, about string, body any, msgKey ...string) Event {
	if len(msgKey) == 0 {
		msgKey = []string{about}
	}
	return Event{Type: eventType, Subject: schemas.Subject(eventType, about),
		MsgID: schemas.MsgID(eventType, msgKey[0], msgKey[1:]...), TenantID: tenant, Body: body}
}

// subjectField names, per event type, the body field that the subject's
// last token repeats.
var subjectField = map[string]string{
	schemas.TypeSessionSubmitted:      "session_id",
	schemas.TypeCheckCompleted:        "session_id",
	schemas.TypeSessionDecided:        "session_id",
	schemas.TypeSessionExpired:        "session_id",
	schemas.TypeSessionDeleted:        "session_id",
	schemas.TypeDSRReceived:           "session_id",
	schemas.TypeBreachNotified:        "breach_id",
	schemas.TypeSubprocessorAnnounced: "subprocessor_id",
	schemas.TypeAuditCheckpoint:       "tenant_id",
}

// uuidFields are the body fields that hold IDV's ids: present, they must be
// UUIDs other than uuid.Nil.
var uuidFields = []string{"session_id", "tenant_id", "receipt_id", "breach_id", "dsr_id", "checkpoint_id"}

// Received is a delivered event, decoded and checked.
type Received[B any] struct {
	Body     B
	TenantID uuid.UUID
	// About is the entity the subject names (a session, a breach, a
	// sub-processor; the tenant, for an audit checkpoint).
	About string
	// SessionID is the session the event is about; uuid.Nil for events
	// about no session.
	SessionID uuid.UUID
}

// DecodeEvent reads the body of an event of eventType delivered on subject
// with the type header deliveredType, and checks everything a stage relies
// on before it acts: the type header, when there is one, is eventType; the
// subject is <eventType>.<id>; the body matches the type's JSON Schema;
// every id field is a UUID other than uuid.Nil; the subject's id is the
// body's. Any failure wraps ErrMalformedEvent: no retry can fix it.
func DecodeEvent[B any](eventType, deliveredType, subject string, data []byte) (Received[B], error) {
	var out Received[B]
	field, known := subjectField[eventType]
	if !known {
		return out, fmt.Errorf("%w: unknown event type %q", ErrMalformedEvent, eventType)
	}
	if deliveredType != "" && deliveredType != eventType {
		return out, fmt.Errorf("%w: %s: type %q, want %s", ErrMalformedEvent, subject, deliveredType, eventType)
	}
	about, ok := strings.CutPrefix(subject, eventType+".")
	if !ok || about == "" || strings.Contains(about, ".") {
		return out, fmt.Errorf("%w: subject %q is not %s.<id>", ErrMalformedEvent, subject, eventType)
	}
	var body any
	if err := json.Unmarshal(data, &body); err != nil {
		return out, fmt.Errorf("%w: %s: body is not JSON", ErrMalformedEvent, subject)
	}
	if err := schemas.ValidateEventValue(eventType, body); err != nil {
		return out, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, subject, err)
	}
	fields, _ := body.(map[string]any) // an object: the schema says so
	ids := map[string]uuid.UUID{}
	for _, name := range uuidFields {
		v, present := fields[name]
		if !present {
			continue
		}
		s, _ := v.(string)
		id, err := uuid.Parse(s)
		if err != nil || id == uuid.Nil {
			return out, fmt.Errorf("%w: %s: %s is not a UUID", ErrMalformedEvent, subject, name)
		}
		ids[name] = id
	}
	if fields[field] != about {
		return out, fmt.Errorf("%w: %s: %s is not the subject's", ErrMalformedEvent, subject, field)
	}
	if err := json.Unmarshal(data, &out.Body); err != nil {
		return out, fmt.Errorf("%w: %s: body does not fit %T", ErrMalformedEvent, subject, out.Body)
	}
	out.TenantID, out.SessionID, out.About = ids["tenant_id"], ids["session_id"], about
	return out, nil
}

// SessionIDs decodes an event about a session (DecodeEvent) and returns
// the tenant and session it names: what most stages need of it.
func SessionIDs(eventType, deliveredType, subject string, data []byte) (tenant, session uuid.UUID, err error) {
	ev, err := DecodeEvent[struct{}](eventType, deliveredType, subject, data)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if ev.SessionID == uuid.Nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("%w: %s names no session", ErrMalformedEvent, subject)
	}
	return ev.TenantID, ev.SessionID, nil
}
