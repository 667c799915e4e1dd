package idv

import (
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv/schemas"
)

// The constructors of every event the pipeline carries: the one place an
// event's subject, message id and body are put together.

// SubmittedEvent is the idv.session.submitted event of a session's attempt
// submitted at at: the checks it asked for start on that attempt's
// captures. One message per session and attempt.
func SubmittedEvent(s Session, at time.Time) Event {
	return NewEvent(schemas.TypeSessionSubmitted, s.TenantID, s.ID.String(), schemas.SessionSubmitted{
		SessionID: s.ID.String(), TenantID: s.TenantID.String(), Attempt: s.Attempt, Checks: s.Checks, SubmittedAt: at},
		s.ID.String(), strconv.Itoa(s.Attempt))
}

// ExpiredEvent is the idv.session.expired event that asks for a session's
// wipe, for reason (schemas.WipeExpired, …), requested at at.
func ExpiredEvent(tenant, session uuid.UUID, reason string, expiresAt, at time.Time) Event {
	return NewEvent(schemas.TypeSessionExpired, tenant, session.String(), schemas.SessionExpired{
		SessionID: session.String(), TenantID: tenant.String(), Reason: reason,
		ExpiresAt: expiresAt.UTC(), RequestedAt: at.UTC()})
}

// ExpiredAgainEvent asks once more for the wipe of a session whose wipe is
// overdue: one message per session and hour, as the first request's message
// id is spent in the stream's de-duplication window.
func ExpiredAgainEvent(tenant, session uuid.UUID, reason string, expiresAt, at time.Time) Event {
	ev := ExpiredEvent(tenant, session, reason, expiresAt, at)
	ev.MsgID = schemas.MsgID(schemas.TypeSessionExpired, session.String(), "again",
		strconv.FormatInt(at.UTC().Truncate(time.Hour).Unix(), 10))
	return ev
}

// TailSweepEvent asks once more for the wipe of a session wiped before: the
// wipe stage then deletes whatever landed under its prefix since (its tail
// sweep). One message per session.
func TailSweepEvent(tenant, session uuid.UUID, reason string, expiresAt, at time.Time) Event {
	ev := ExpiredEvent(tenant, session, reason, expiresAt, at)
	ev.MsgID = schemas.MsgID(schemas.TypeSessionExpired, session.String(), "tail")
	return ev
}

// DeletedEvent is the idv.session.deleted event of a finished wipe. Its
// message id is the session's, so there is one however often the wipe runs.
func DeletedEvent(tenant, session, receipt uuid.UUID, reason string, at time.Time) Event {
	return NewEvent(schemas.TypeSessionDeleted, tenant, session.String(), schemas.SessionDeleted{
		SessionID: session.String(), TenantID: tenant.String(), ReceiptID: receipt.String(),
		Reason: reason, DeletedAt: at})
}

// DSRReceivedEvent forwards a data subject's request to the controller:
// subject the session's, one message per request.
func DSRReceivedEvent(dsr, tenant, session uuid.UUID, kind string, at time.Time) Event {
	return NewEvent(schemas.TypeDSRReceived, tenant, session.String(), schemas.DSRReceived{
		DSRID: dsr.String(), SessionID: session.String(), TenantID: tenant.String(), Kind: kind, ReceivedAt: at},
		dsr.String())
}

// BreachNotifiedEvent is one tenant's notice of a breach, round 1 and up:
// one message per breach, tenant and round.
func BreachNotifiedEvent(notice schemas.BreachNotified) Event {
	tenant, _ := uuid.Parse(notice.TenantID)
	return NewEvent(schemas.TypeBreachNotified, tenant, notice.BreachID, notice,
		notice.BreachID, notice.TenantID, strconv.Itoa(notice.Round))
}

// SubprocessorAnnouncedEvent announces sub-processor id to one tenant: one
// message per sub-processor and tenant.
func SubprocessorAnnouncedEvent(id string, tenant uuid.UUID, effectiveDate string, at time.Time) Event {
	return NewEvent(schemas.TypeSubprocessorAnnounced, tenant, id, schemas.SubprocessorAnnounced{
		SubprocessorID: id, TenantID: tenant.String(), EffectiveDate: effectiveDate, AnnouncedAt: at.UTC()},
		id, tenant.String())
}

// AuditCheckpointEvent announces a stored periodic audit checkpoint: subject
// the tenant's, one message per checkpoint.
func AuditCheckpointEvent(c StoredCheckpoint) Event {
	return NewEvent(schemas.TypeAuditCheckpoint, c.TenantID, c.TenantID.String(), schemas.AuditCheckpointStored{
		CheckpointID: c.ID.String(), TenantID: c.TenantID.String(), Seq: c.Seq, SignedAt: c.CreatedAt.UTC()},
		c.ID.String())
}
