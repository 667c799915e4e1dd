package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// The audit log (DESIGN invariant 6, migration 005): one append-only chain
// of entries per tenant. Each entry's hash is SHA-256 over the previous
// entry's hash and the entry's canonical encoding, so changing, removing,
// inserting or reordering an entry breaks the chain at that entry, which
// Verify reports. Entries are appended in the transaction of the change
// they record wherever there is one, so a change is never without its
// entry nor an entry without its change.

// Audit actions.
const (
	AuditPersonalDataRead = "personal_data_read"
	AuditReceiptRead      = "receipt_read"
	AuditErasureRequested = "erasure_requested"
	AuditDeclinedByUser   = "declined_by_user"
	AuditDataDeleted      = "data_deleted"
	AuditRetentionChanged = "retention_changed"
	AuditPolicyChanged    = "policy_changed"
)

// Actors that are not a credential.
const (
	ActorWipe      = "system:wipe"
	ActorNotify    = "system:notify" // full webhooks carry personal data
	ActorOperator  = "operator:cli"
	ActorUnknown   = "system:unattributed" // a store change made without WithActor
	actorAPIKey    = "tenant_api_key:"
	actorAppToken  = "app_token:"
	auditLockClass = 0x1d5_0002 // advisory lock class of the per-tenant append lock
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

func (e AuditEntry) validate() error {
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

// AppendAudit appends e to its tenant's chain within tx. It takes the
// tenant's append lock for the rest of tx, so call it as the transaction's
// last step: the tenant's other appends wait for the commit. tx must be
// READ COMMITTED (the default), so that the chain's head is read after the
// lock is held.
func AppendAudit(ctx context.Context, tx *sqlx.Tx, e AuditEntry) error {
	if err := e.validate(); err != nil {
		return fmt.Errorf("audit: append %s: %w", e.Action, err)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	ev := AuditEvent{TenantID: e.TenantID, At: e.At.UTC().Truncate(time.Microsecond), Actor: e.Actor,
		Action: e.Action, Detail: e.Detail}
	if e.SessionID != uuid.Nil {
		id := e.SessionID
		ev.SessionID = &id
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`,
		auditLockClass, e.TenantID.String()); err != nil {
		return fmt.Errorf("audit: lock chain of %s: %w", e.TenantID, err)
	}
	err := tx.GetContext(ctx, &ev.PrevHash, `SELECT hash FROM audit_events WHERE tenant_id = $1
		ORDER BY seq DESC LIMIT 1`, e.TenantID)
	if errors.Is(err, sql.ErrNoRows) {
		ev.PrevHash = make([]byte, sha256.Size)
	} else if err != nil {
		return fmt.Errorf("audit: read chain head of %s: %w", e.TenantID, err)
	}
	if err := tx.GetContext(ctx, &ev.Seq, `SELECT nextval(pg_get_serial_sequence('audit_events', 'seq'))`); err != nil {
		return fmt.Errorf("audit: next seq: %w", err)
	}
	detail, err := json.Marshal(ev.Detail) // map keys sorted: canonical
	if err != nil {
		return fmt.Errorf("audit: encode detail: %w", err)
	}
	ev.Hash = ev.chainHash()
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events
		(seq, tenant_id, at, actor, action, session_id, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		ev.Seq, ev.TenantID, ev.At, ev.Actor, ev.Action, ev.SessionID, detail, ev.PrevHash, ev.Hash); err != nil {
		return fmt.Errorf("audit: append %s for %s: %w", e.Action, e.TenantID, err)
	}
	return nil
}

// chainHash is SHA-256(prev_hash || canonical encoding): a version tag, then
// seq, tenant, time (Unix microseconds), actor, action, session (16 zero
// bytes for none) and the detail as JSON with sorted keys, each
// variable-length field prefixed with its length.
func (ev AuditEvent) chainHash() []byte {
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

// Audit reads, exports and verifies the audit log, and records entries that
// belong to no other transaction (reads).
type Audit struct{ db *sqlx.DB }

// NewAudit returns the audit log over db.
func NewAudit(db *sqlx.DB) *Audit { return &Audit{db: db} }

// Record appends e in a transaction of its own: for events that change
// nothing else, such as a read of personal data. The caller should record
// before it hands out what was read, so that nothing is read unrecorded.
func (a *Audit) Record(ctx context.Context, e AuditEntry) error {
	return inTx(ctx, a.db, tenantScope(e.TenantID), func(tx *sqlx.Tx) error { return AppendAudit(ctx, tx, e) })
}

type auditRow struct {
	Seq       int64         `db:"seq"`
	TenantID  uuid.UUID     `db:"tenant_id"`
	At        time.Time     `db:"at"`
	Actor     string        `db:"actor"`
	Action    string        `db:"action"`
	SessionID uuid.NullUUID `db:"session_id"`
	Detail    []byte        `db:"detail"`
	PrevHash  []byte        `db:"prev_hash"`
	Hash      []byte        `db:"hash"`
}

const auditColumns = `seq, tenant_id, at, actor, action, session_id, detail, prev_hash, hash`

// event decodes a row; a detail that is not an object of strings (only a
// tamperer could store one) is an error.
func (r auditRow) event() (AuditEvent, error) {
	ev := AuditEvent{Seq: r.Seq, TenantID: r.TenantID, At: r.At.UTC(), Actor: r.Actor, Action: r.Action,
		PrevHash: r.PrevHash, Hash: r.Hash}
	if r.SessionID.Valid {
		id := r.SessionID.UUID
		ev.SessionID = &id
	}
	if err := json.Unmarshal(r.Detail, &ev.Detail); err != nil {
		return AuditEvent{}, fmt.Errorf("detail is not an object of strings: %w", err)
	}
	if ev.Detail == nil {
		ev.Detail = map[string]string{}
	}
	return ev, nil
}

// List returns up to limit entries of the tenant with seq > after, in
// order: one page of the export.
func (a *Audit) List(ctx context.Context, tenantID uuid.UUID, after int64, limit int) ([]AuditEvent, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("audit: list: limit %d, want > 0", limit)
	}
	var rows []auditRow
	if err := scopedSelect(ctx, a.db, tenantScope(tenantID), &rows, `SELECT `+auditColumns+` FROM audit_events
		WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, tenantID, after, limit); err != nil {
		return nil, fmt.Errorf("audit: list %s: %w", tenantID, err)
	}
	events := make([]AuditEvent, 0, len(rows))
	for _, r := range rows {
		ev, err := r.event()
		if err != nil {
			return nil, fmt.Errorf("audit: entry %d: %w", r.Seq, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// verifyBatch is how many entries Verify reads at a time.
const verifyBatch = 1000

// Verify walks the tenant's chain from its first entry and recomputes every
// hash. It returns how many entries verified; at the first entry that does
// not, an *AuditBreak (wrapping ErrAuditBroken) naming its seq: a changed
// entry fails its own hash; a removed, inserted or reordered one breaks the
// link (prev_hash) of the entry that follows it. Removing the newest entries
// leaves a shorter chain that verifies: compare the count and last hash
// with an earlier export to see that.
func (a *Audit) Verify(ctx context.Context, tenantID uuid.UUID) (entries int, err error) {
	prev := make([]byte, sha256.Size)
	after := int64(0)
	for {
		var rows []auditRow
		if err := scopedSelect(ctx, a.db, tenantScope(tenantID), &rows, `SELECT `+auditColumns+` FROM audit_events
			WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, tenantID, after, verifyBatch); err != nil {
			return entries, fmt.Errorf("audit: verify %s: %w", tenantID, err)
		}
		for _, r := range rows {
			ev, err := r.event()
			if err != nil {
				return entries, &AuditBreak{Seq: r.Seq, Reason: err.Error()}
			}
			if !bytes.Equal(ev.PrevHash, prev) {
				return entries, &AuditBreak{Seq: r.Seq,
					Reason: "prev_hash is not the previous entry's hash: an entry before it was removed, inserted or moved"}
			}
			if !bytes.Equal(ev.chainHash(), ev.Hash) {
				return entries, &AuditBreak{Seq: r.Seq, Reason: "hash does not match the entry: it was altered"}
			}
			prev = ev.Hash
			entries++
			after = r.Seq
		}
		if len(rows) < verifyBatch {
			return entries, nil
		}
	}
}
