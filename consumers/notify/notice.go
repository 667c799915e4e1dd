package notify

import (
	"context"
	"fmt"
	"strconv"

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
// their attempts are recorded without a session, a request's with the
// session it concerns. Like session webhooks, each is read from the
// database: the event only names the notice.

// pointAtAnnouncement reads an idv.subprocessor.announced event: the
// sub-processor (its subject's id) and the tenant it was announced to.
func pointAtAnnouncement(ev stage.Event) (pointer, error) {
	got, err := idv.DecodeEvent[struct{}](schemas.TypeSubprocessorAnnounced, ev.Type, ev.Subject, ev.Data)
	if err != nil {
		return pointer{}, err
	}
	return pointer{eventType: schemas.TypeSubprocessorAnnounced, tenant: got.TenantID, sp: got.About,
		msgID: schemas.MsgID(schemas.TypeSubprocessorAnnounced, got.About, got.TenantID.String())}, nil
}

// readAnnouncement reads the announcement to the tenant. Its webhook
// names the entry and its effective date; the entry itself is at
// GET /v1/subprocessors, and the objection goes to its objection_href.
func (n *Stage) readAnnouncement(ctx context.Context, p pointer) (webhook, error) {
	effective, at, err := n.records.Announcement(ctx, p.tenant, p.sp)
	if err != nil {
		return webhook{}, found(err)
	}
	return newWebhook(schemas.WebhookSubprocessorAnnounced, at, p.tenant, uuid.Nil,
		schemas.WebhookData{Href: "/v1/subprocessors", SubprocessorID: p.sp, EffectiveDate: effective,
			ObjectionHref: "/v1/subprocessors/" + p.sp + "/objection"}), nil
}

// pointAtBreach reads an idv.breach.notified event: the breach (its
// subject's id), the tenant and the notice's round.
func pointAtBreach(ev stage.Event) (pointer, error) {
	got, err := idv.DecodeEvent[struct {
		Round int `json:"round"`
	}](schemas.TypeBreachNotified, ev.Type, ev.Subject, ev.Data)
	if err != nil {
		return pointer{}, err
	}
	breach, err := uuid.Parse(got.About)
	if err != nil {
		return pointer{}, fmt.Errorf("%w: %s: breach_id is not a UUID", ErrMalformedEvent, ev.Subject)
	}
	return pointer{eventType: schemas.TypeBreachNotified, tenant: got.TenantID, ref: breach, round: got.Body.Round,
		msgID: schemas.MsgID(schemas.TypeBreachNotified, breach.String(), got.TenantID.String(), strconv.Itoa(got.Body.Round))}, nil
}

// readBreach reads the tenant's notice of the breach; its webhook carries
// the notice in full, so the controller has what art. 33(3) asks for at
// once. The notice is the one the core builds from the register's rows
// (idv.BreachNotice), as Notify built it when it queued the round.
//
// Only the round the tenant was last notified in is sent: the register
// keeps one version of a breach, so an earlier round's notice is no longer
// held — the later round, which carries the whole notice, is delivered
// under its own webhook-id — and a round not notified yet was never sent.
func (n *Stage) readBreach(ctx context.Context, p pointer) (webhook, error) {
	b, a, err := n.records.BreachNotice(ctx, p.tenant, p.ref)
	if err != nil {
		return webhook{}, found(err)
	}
	switch {
	case a.NotifiedAt == nil || a.NotifiedRound < p.round:
		return webhook{}, &refusal{reason: refusedNotNotified}
	case a.NotifiedRound > p.round:
		return webhook{}, &refusal{reason: refusedSuperseded}
	}
	notice, ok := idv.BreachNotice(b, a, p.round, a.NotifiedAt.UTC()).Body.(schemas.BreachNotified)
	if !ok {
		return webhook{}, fmt.Errorf("notify: breach %s: the core's notice is not a %T", p.ref, notice)
	}
	return newWebhook(schemas.WebhookBreachNotified, notice.NotifiedAt, p.tenant, uuid.Nil,
		schemas.WebhookData{Href: "/v1/audit-events", Breach: &notice}), nil
}

// pointAtDSR reads an idv.dsr.received event: the request and its tenant.
func pointAtDSR(ev stage.Event) (pointer, error) {
	got, err := idv.DecodeEvent[struct {
		DSRID string `json:"dsr_id"`
	}](schemas.TypeDSRReceived, ev.Type, ev.Subject, ev.Data)
	if err != nil {
		return pointer{}, err
	}
	dsr, err := uuid.Parse(got.Body.DSRID)
	if err != nil {
		return pointer{}, fmt.Errorf("%w: %s: dsr_id is not a UUID", ErrMalformedEvent, ev.Subject)
	}
	return pointer{eventType: schemas.TypeDSRReceived, tenant: got.TenantID, ref: dsr,
		msgID: schemas.MsgID(schemas.TypeDSRReceived, dsr.String())}, nil
}

// readDSR reads the tenant's request: a data subject's request, forwarded
// to the controller with the session it concerns, as the request's row
// names it.
func (n *Stage) readDSR(ctx context.Context, p pointer) (webhook, error) {
	d, err := n.records.DSR(ctx, p.tenant, p.ref)
	if err != nil {
		return webhook{}, found(err)
	}
	return newWebhook(schemas.WebhookDSRReceived, d.ReceivedAt, p.tenant, d.SessionID,
		schemas.WebhookData{Href: "/v1/sessions/" + d.SessionID.String(), DSRID: d.ID.String(), DSRKind: d.Kind}), nil
}
