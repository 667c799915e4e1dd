package idv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
)

// AuditDSRReceived is the audit action of a data subject's request.
const AuditDSRReceived = "dsr_received"

// Audit actions of support access.
const (
	AuditSupportGranted     = "support_access_granted"
	AuditSupportRevoked     = "support_access_revoked"
	AuditSupportSessionRead = "support_session_read"
)

// Audit actions of the sub-processor register.
const (
	AuditSubprocessorAnnounced = "subprocessor_announced"
	AuditSubprocessorObjection = "subprocessor_objection"
)

// Audit actions of offboarding.
const (
	AuditOffboardingStarted  = "offboarding_started"
	AuditOffboardingExport   = "offboarding_export_started" // before any personal data is read for the archive
	AuditOffboardingExported = "offboarding_exported"
	AuditTenantOffboarded    = "tenant_offboarded"
)

// Audit actions.
const (
	AuditPersonalDataRead = "personal_data_read"
	AuditReceiptRead      = "receipt_read"
	AuditErasureRequested = "erasure_requested"
	AuditDeclinedByUser   = "declined_by_user"
	AuditDataDeleted      = "data_deleted"
	// AuditLateObjectsDeleted: the wipe's tail sweep found and deleted
	// objects that landed under a wiped session's prefix after its receipt
	// (an upload through a policy issued before the wipe).
	AuditLateObjectsDeleted = "late_objects_deleted"
	AuditRetentionChanged   = "retention_changed"
	AuditPolicyChanged      = "policy_changed"
)

// Actors that are not a credential.
const (
	ActorWipe     = "system:wipe"
	ActorNotify   = "system:notify" // full webhooks carry personal data
	ActorOperator = "operator:cli"
	ActorUnknown  = "system:unattributed" // a store change made without WithActor
	actorAPIKey   = "tenant_api_key:"
	actorAppToken = "app_token:"
)

// ActorAPIKey is the actor of a request made with a tenant API key.
func ActorAPIKey(keyID string) string { return actorAPIKey + keyID }

// ActorAppToken is the actor of a request made with a session's app token.
func ActorAppToken(sessionID uuid.UUID) string { return actorAppToken + sessionID.String() }

type actorKey struct{}

// WithActor returns ctx carrying who acts (an Actor… value), for the audit
// entries that the stores append for changes made under ctx.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorOf returns the actor ctx carries, or fallback.
func ActorOf(ctx context.Context, fallback string) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return fallback
}

// AuditEntry is an entry to append. Detail holds ids and codes only: its
// values are refused unless they are short runs of letters, digits and
// _ . : , - (no spaces), which keeps names and free text out.
type AuditEntry struct {
	TenantID  uuid.UUID
	At        time.Time // when; now if zero
	Actor     string
	Action    string
	SessionID uuid.UUID // uuid.Nil for none
	Detail    map[string]string
}

// AuditEvent is a stored entry.
type AuditEvent struct {
	Seq       int64
	TenantID  uuid.UUID
	At        time.Time
	Actor     string
	Action    string
	SessionID *uuid.UUID
	Detail    map[string]string
	PrevHash  []byte
	Hash      []byte
}

// AuditExport is an entry as a tenant exports it (GET /v1/audit-events,
// the offboarding archive): hashes in hex, so the chain can be verified.
type AuditExport struct {
	Seq       int64             `json:"seq"`
	At        time.Time         `json:"at"`
	Actor     string            `json:"actor"`
	Action    string            `json:"action"`
	SessionID *uuid.UUID        `json:"session_id"`
	Detail    map[string]string `json:"detail"`
	PrevHash  string            `json:"prev_hash"`
	Hash      string            `json:"hash"`
}

// Export returns the entry in its export form.
func (ev AuditEvent) Export() AuditExport {
	return AuditExport{Seq: ev.Seq, At: ev.At, Actor: ev.Actor, Action: ev.Action, SessionID: ev.SessionID,
		Detail: ev.Detail, PrevHash: hex.EncodeToString(ev.PrevHash), Hash: hex.EncodeToString(ev.Hash)}
}

// ErrAuditBroken is wrapped by the *AuditBreak that Verify returns.
var ErrAuditBroken = errors.New("audit: chain broken")

// AuditBreak is where a tenant's chain first fails to verify.
type AuditBreak struct {
	Seq    int64
	Reason string
}

func (b *AuditBreak) Error() string {
	return fmt.Sprintf("audit: chain broken at seq %d: %s", b.Seq, b.Reason)
}

func (b *AuditBreak) Unwrap() error { return ErrAuditBroken }

var (
	auditAction = regexp.MustCompile(`^[a-z_]{1,64}$`)
	auditKey    = regexp.MustCompile(`^[a-z_]{1,64}$`)
	auditValue  = regexp.MustCompile(`^[A-Za-z0-9_.:,-]{0,512}$`)
)

// Validate checks an entry before it is appended: a tenant, an actor, an
// action code, and a detail of ids and codes only.
func (e AuditEntry) Validate() error {
	switch {
	case e.TenantID == uuid.Nil:
		return errors.New("no tenant")
	case e.Actor == "" || len(e.Actor) > 200:
		return fmt.Errorf("actor of %d bytes", len(e.Actor))
	case !auditAction.MatchString(e.Action):
		return fmt.Errorf("action %q", e.Action)
	}
	for k, v := range e.Detail {
		if !auditKey.MatchString(k) || !auditValue.MatchString(v) {
			return fmt.Errorf("detail %q: ids and codes only", k)
		}
	}
	return nil
}

// ChainHash is SHA-256(prev_hash || canonical encoding): a version tag, then
// seq, tenant, time (Unix microseconds), actor, action, session (16 zero
// bytes for none) and the detail as JSON with sorted keys, each
// variable-length field prefixed with its length.
func (ev AuditEvent) ChainHash() []byte {
	var buf bytes.Buffer
	buf.Write(ev.PrevHash)
	field := func(b []byte) {
		buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
		buf.Write(b)
	}
	field([]byte("idv-audit-v1"))
	buf.Write(binary.BigEndian.AppendUint64(nil, uint64(ev.Seq)))
	buf.Write(ev.TenantID[:])
	buf.Write(binary.BigEndian.AppendUint64(nil, uint64(ev.At.UnixMicro())))
	field([]byte(ev.Actor))
	field([]byte(ev.Action))
	var session uuid.UUID
	if ev.SessionID != nil {
		session = *ev.SessionID
	}
	buf.Write(session[:])
	detail, _ := json.Marshal(ev.Detail) // a map[string]string always encodes
	field(detail)
	sum := sha256.Sum256(buf.Bytes())
	return sum[:]
}

// AuditBreachNotified is the audit action of a breach notice to a tenant.
const AuditBreachNotified = "breach_notified"
