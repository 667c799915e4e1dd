package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
)

// An event is a pointer, not a payload (docs/design.md invariant 8). The
// notifier takes from an event only what it names — its type, its tenant,
// the session, breach, sub-processor, request or audit checkpoint it is
// about and a breach notice's round — and reads the webhook from the database in that
// tenant's scope. The event's other fields, which anyone able to publish to
// the broker could have written, are checked against the event's schema
// (idv.DecodeEvent) and never used.

// pointer is what an event names: its type, its tenant and the entity it is
// about. Nothing else of its body is used; the webhook is read from the
// database (read).
type pointer struct {
	eventType string
	tenant    uuid.UUID
	session   uuid.UUID // the session of session.decided and session.deleted
	ref       uuid.UUID // the breach of breach.notified, the request of dsr.received, the checkpoint of audit.checkpoint
	sp        string    // the sub-processor of subprocessor.announced
	round     int       // a breach notice's round
	msgID     string    // the event's message id, rebuilt from the ids
}

// webhook is a webhook as the database holds it: the payload, its hrefs
// still relative to the API's base URL, and the session it concerns
// (uuid.Nil for a tenant notice).
type webhook struct {
	session uuid.UUID
	payload schemas.WebhookPayload
}

// newWebhook is the webhook of type typ about the tenant (and session),
// at the time the thing it announces happened.
func newWebhook(typ string, at time.Time, tenant, session uuid.UUID, data schemas.WebhookData) webhook {
	data.TenantID = tenant.String()
	if session != uuid.Nil {
		data.SessionID = session.String()
	}
	return webhook{session: session, payload: schemas.WebhookPayload{Type: typ, Timestamp: at.UTC(), Data: data}}
}

// kinds are the event types the stage consumes (Spec.Consumes): what each
// names, and how its webhook is read from the database.
var kinds = map[string]struct {
	point func(stage.Event) (pointer, error)
	read  func(*Stage, context.Context, pointer) (webhook, error)
}{
	schemas.TypeSessionDecided:        {pointAtSession(schemas.TypeSessionDecided), (*Stage).readDecided},
	schemas.TypeSessionDeleted:        {pointAtSession(schemas.TypeSessionDeleted), (*Stage).readDeleted},
	schemas.TypeSubprocessorAnnounced: {pointAtAnnouncement, (*Stage).readAnnouncement},
	schemas.TypeBreachNotified:        {pointAtBreach, (*Stage).readBreach},
	schemas.TypeDSRReceived:           {pointAtDSR, (*Stage).readDSR},
	schemas.TypeAuditCheckpoint:       {pointAtCheckpoint, (*Stage).readCheckpoint},
}

// decode checks ev (idv.DecodeEvent: type, subject, schema, ids) and
// returns what it names.
func decode(ev stage.Event) (pointer, error) {
	typ := ev.Type
	if typ == "" {
		// No ce-type header: the subject says it.
		for _, t := range Spec.Consumes {
			if strings.HasPrefix(ev.Subject, t+".") {
				typ = t
			}
		}
	}
	if k, ok := kinds[typ]; ok {
		return k.point(ev)
	}
	n := len(Spec.Consumes)
	return pointer{}, fmt.Errorf("%w: type %q, want %s or %s", ErrMalformedEvent, ev.Type,
		strings.Join(Spec.Consumes[:n-1], ", "), Spec.Consumes[n-1])
}

// read reads the webhook announcing what p names from the database. A
// *refusal when the database does not hold it.
func (n *Stage) read(ctx context.Context, p pointer) (webhook, error) {
	return kinds[p.eventType].read(n, ctx, p)
}

// pointAtSession reads an event about a session: its tenant and session.
// There is one such event per session, so its message id is the session's.
func pointAtSession(eventType string) func(stage.Event) (pointer, error) {
	return func(ev stage.Event) (pointer, error) {
		tenant, session, err := idv.SessionIDs(eventType, ev.Type, ev.Subject, ev.Data)
		if err != nil {
			return pointer{}, err
		}
		return pointer{eventType: eventType, tenant: tenant, session: session,
			msgID: schemas.MsgID(eventType, session.String())}, nil
	}
}

// readDecided reads the session's decision: session.decided carries the
// decision, when it was made and the attempts, as sessions holds them.
func (n *Stage) readDecided(ctx context.Context, p pointer) (webhook, error) {
	d, err := n.records.Decision(ctx, p.tenant, p.session)
	if err != nil {
		return webhook{}, found(err)
	}
	if d.Decision == "" {
		return webhook{}, &refusal{reason: refusedUndecided}
	}
	return newWebhook(schemas.WebhookSessionDecided, d.DecidedAt, p.tenant, p.session,
		schemas.WebhookData{Decision: string(d.Decision), Attempts: d.Attempt, Href: "/v1/sessions/" + p.session.String()}), nil
}

// readDeleted reads the session's deletion. Its webhook points at the
// signed deletion receipt, which the tenant fetches with its API key and
// verifies with IDV's receipt signing key.
func (n *Stage) readDeleted(ctx context.Context, p pointer) (webhook, error) {
	receipt, at, err := n.records.Deletion(ctx, p.tenant, p.session)
	if err != nil {
		return webhook{}, found(err)
	}
	if receipt == uuid.Nil {
		return webhook{}, &refusal{reason: refusedNotDeleted}
	}
	return newWebhook(schemas.WebhookSessionDeleted, at, p.tenant, p.session,
		schemas.WebhookData{Href: "/v1/deletion-receipts/" + receipt.String()}), nil
}

// refusal is an event the database does not confirm, for reason (a label
// of idv_webhook_events_refused_total): nothing is sent.
type refusal struct {
	reason string
	cause  error // what the store said, if anything (idv.ErrNotFound)
}

func (r *refusal) Error() string {
	if r.cause != nil {
		return fmt.Sprintf("%v (%s): %v", ErrUnconfirmed, r.reason, r.cause)
	}
	return fmt.Sprintf("%v (%s)", ErrUnconfirmed, r.reason)
}

func (r *refusal) Unwrap() []error {
	if r.cause != nil {
		return []error{ErrUnconfirmed, r.cause}
	}
	return []error{ErrUnconfirmed}
}

// found is a store's error, a refusal when the tenant has no such thing.
func found(err error) error {
	if errors.Is(err, idv.ErrNotFound) {
		return &refusal{reason: refusedUnknown, cause: err}
	}
	return err
}

// refuse logs and counts an event the database does not confirm.
func (n *Stage) refuse(p pointer, webhookID, reason string) {
	n.metrics.refused.WithLabelValues(reason).Inc()
	attrs := []any{"event_type", p.eventType, "tenant_id", p.tenant, "webhook_id", webhookID, "reason", reason}
	if p.session != uuid.Nil {
		attrs = append(attrs, "session_id", p.session)
	}
	switch p.eventType {
	case schemas.TypeBreachNotified:
		attrs = append(attrs, "breach_id", p.ref)
	case schemas.TypeDSRReceived:
		attrs = append(attrs, "dsr_id", p.ref)
	case schemas.TypeAuditCheckpoint:
		attrs = append(attrs, "checkpoint_id", p.ref)
	}
	if p.sp != "" {
		attrs = append(attrs, "subprocessor_id", p.sp)
	}
	if p.round != 0 {
		attrs = append(attrs, "round", p.round)
	}
	n.log.Warn("event not confirmed by the database; nothing sent", attrs...)
}
