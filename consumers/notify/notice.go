package notify

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/schemas"
)

// Tenant notices are webhooks about the tenant rather than one of its
// sessions: a sub-processor announced to it (it may object before the
// effective date) and a personal-data breach notified to it. A data
// subject's request (dsr.received) is about a session but, like them, is
// forwarded as the processor's duty rather than as a pipeline result. They are
// delivered, retried, recorded and de-duplicated like session webhooks;
// their attempts are recorded without a session.

var subprocessorID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// decodeAnnounced reads an idv.subprocessor.announced event. Its webhook
// names the entry and its effective date; the entry itself is at
// GET /v1/subprocessors, and the objection goes to its objection_href.
func decodeAnnounced(ev stage.Event) (event, error) {
	got, err := idv.DecodeEvent[schemas.SubprocessorAnnounced](schemas.TypeSubprocessorAnnounced, ev.Subject, ev.Data)
	if err != nil {
		return event{}, err
	}
	body := got.Body
	tenant := got.TenantID
	if !subprocessorID.MatchString(body.SubprocessorID) {
		return event{}, fmt.Errorf("%w: %s: bad subprocessor_id", ErrMalformedEvent, ev.MsgID)
	}
	if _, err := time.Parse(time.DateOnly, body.EffectiveDate); err != nil || body.AnnouncedAt.IsZero() {
		return event{}, fmt.Errorf("%w: %s: effective_date and announced_at are required", ErrMalformedEvent, ev.MsgID)
	}
	return event{eventType: schemas.TypeSubprocessorAnnounced, tenant: tenant,
		msgID: schemas.MsgID(schemas.TypeSubprocessorAnnounced, body.SubprocessorID, tenant.String()),
		payload: schemas.WebhookPayload{Type: schemas.WebhookSubprocessorAnnounced, Timestamp: body.AnnouncedAt.UTC(),
			Data: schemas.WebhookData{TenantID: tenant.String(), Href: "/v1/subprocessors",
				SubprocessorID: body.SubprocessorID, EffectiveDate: body.EffectiveDate,
				ObjectionHref: "/v1/subprocessors/" + body.SubprocessorID + "/objection"}}}, nil
}

// decodeBreach reads an idv.breach.notified event; its webhook carries the
// notice in full, so the controller has what art. 33(3) asks for at once.
func decodeBreach(ev stage.Event) (event, error) {
	got, err := idv.DecodeEvent[schemas.BreachNotified](schemas.TypeBreachNotified, ev.Subject, ev.Data)
	if err != nil {
		return event{}, err
	}
	body := got.Body
	tenant := got.TenantID
	breach, err := uuid.Parse(body.BreachID)
	if err != nil || breach == uuid.Nil || body.Round < 1 || body.NotifiedAt.IsZero() {
		return event{}, fmt.Errorf("%w: %s: breach_id, round and notified_at are required", ErrMalformedEvent, ev.MsgID)
	}
	notice := body
	return event{eventType: schemas.TypeBreachNotified, tenant: tenant,
		msgID: schemas.MsgID(schemas.TypeBreachNotified, breach.String(), tenant.String(), fmt.Sprint(body.Round)),
		payload: schemas.WebhookPayload{Type: schemas.WebhookBreachNotified, Timestamp: body.NotifiedAt.UTC(),
			Data: schemas.WebhookData{TenantID: tenant.String(), Href: "/v1/audit-events", Breach: &notice}}}, nil
}

// decodeDSR reads an idv.dsr.received event: a data subject's request,
// forwarded to the controller with the session it concerns.
func decodeDSR(ev stage.Event) (event, error) {
	got, err := idv.DecodeEvent[schemas.DSRReceived](schemas.TypeDSRReceived, ev.Subject, ev.Data)
	if err != nil {
		return event{}, err
	}
	body := got.Body
	session, tenant := got.SessionID, got.TenantID
	dsr, err := uuid.Parse(body.DSRID)
	if err != nil || dsr == uuid.Nil || !slices.Contains(schemas.DSRKinds, body.Kind) || body.ReceivedAt.IsZero() {
		return event{}, fmt.Errorf("%w: %s: dsr_id, a known kind and received_at are required", ErrMalformedEvent, ev.MsgID)
	}
	return event{eventType: schemas.TypeDSRReceived, session: session, tenant: tenant,
		msgID: schemas.MsgID(schemas.TypeDSRReceived, dsr.String()),
		payload: schemas.WebhookPayload{Type: schemas.WebhookDSRReceived, Timestamp: body.ReceivedAt.UTC(),
			Data: schemas.WebhookData{SessionID: session.String(), TenantID: tenant.String(),
				Href: "/v1/sessions/" + session.String(), DSRID: dsr.String(), DSRKind: body.Kind}}}, nil
}
