package notify

import (
	"errors"
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
	return decodeAs(ev, schemas.TypeSubprocessorAnnounced, schemas.WebhookSubprocessorAnnounced, func(got idv.Received[schemas.SubprocessorAnnounced]) (webhook, error) {
		body := got.Body
		if !subprocessorID.MatchString(body.SubprocessorID) {
			return webhook{}, errors.New("bad subprocessor_id")
		}
		if _, err := time.Parse(time.DateOnly, body.EffectiveDate); err != nil || body.AnnouncedAt.IsZero() {
			return webhook{}, errors.New("effective_date and announced_at are required")
		}
		return webhook{at: body.AnnouncedAt, key: []string{body.SubprocessorID, got.TenantID.String()},
			data: schemas.WebhookData{Href: "/v1/subprocessors", SubprocessorID: body.SubprocessorID, EffectiveDate: body.EffectiveDate,
				ObjectionHref: "/v1/subprocessors/" + body.SubprocessorID + "/objection"}}, nil
	})
}

// decodeBreach reads an idv.breach.notified event; its webhook carries the
// notice in full, so the controller has what art. 33(3) asks for at once.
func decodeBreach(ev stage.Event) (event, error) {
	return decodeAs(ev, schemas.TypeBreachNotified, schemas.WebhookBreachNotified, func(got idv.Received[schemas.BreachNotified]) (webhook, error) {
		notice := got.Body
		breach, err := uuid.Parse(notice.BreachID)
		if err != nil || breach == uuid.Nil || notice.Round < 1 || notice.NotifiedAt.IsZero() {
			return webhook{}, errors.New("breach_id, round and notified_at are required")
		}
		return webhook{at: notice.NotifiedAt, key: []string{breach.String(), got.TenantID.String(), fmt.Sprint(notice.Round)},
			data: schemas.WebhookData{Href: "/v1/audit-events", Breach: &notice}}, nil
	})
}

// decodeDSR reads an idv.dsr.received event: a data subject's request,
// forwarded to the controller with the session it concerns.
func decodeDSR(ev stage.Event) (event, error) {
	return decodeAs(ev, schemas.TypeDSRReceived, schemas.WebhookDSRReceived, func(got idv.Received[schemas.DSRReceived]) (webhook, error) {
		body := got.Body
		dsr, err := uuid.Parse(body.DSRID)
		if err != nil || dsr == uuid.Nil || !slices.Contains(schemas.DSRKinds, body.Kind) || body.ReceivedAt.IsZero() {
			return webhook{}, errors.New("dsr_id, a known kind and received_at are required")
		}
		return webhook{at: body.ReceivedAt, key: []string{dsr.String()},
			data: schemas.WebhookData{Href: "/v1/sessions/" + got.SessionID.String(), DSRID: dsr.String(), DSRKind: body.Kind}}, nil
	})
}
