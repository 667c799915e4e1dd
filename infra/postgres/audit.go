package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The audit log (docs/design.md invariant 6, migration 005): one append-only chain
// of entries per tenant. Each entry's hash is SHA-256 over the previous
// entry's hash and the entry's canonical encoding, so changing, removing,
// inserting or reordering an entry breaks the chain at that entry, which
// Verify reports. Entries are appended in the transaction of the change
// they record wherever there is one, so a change is never without its
// entry nor an entry without its change.

// auditLockClass is the advisory lock class of the per-tenant append lock.
const auditLockClass = 0x1d5_0002

// appendAudit appends e to its tenant's chain within tx. It takes the
// tenant's append lock for the rest of tx, so call it as the transaction's
// last step: the tenant's other appends wait for the commit. tx must be
// READ COMMITTED (the default), so that the chain's head is read after the
// lock is held.
func appendAudit(ctx context.Context, tx *sqlx.Tx, e idv.AuditEntry) error {
	return appendAudits(ctx, tx, e.TenantID, []idv.AuditEntry{e})
}

// appendAudits appends entries, all of tenantID, to its chain within tx, in
// their order, each an entry of the chain as appendAudit makes it, taking
// the tenant's append lock once: the whole batch costs the chain three
// statements (the lock; the head and the entries' seqs; one INSERT) and
// one commit. As for appendAudit, call it as the transaction's last step.
// Inside a ChangeTogether group (tx its transaction) the entries are
// checked and left with the group, which appends them before its commit.
func appendAudits(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, entries []idv.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("audit: append %s: %w", e.Action, err)
		}
		if e.TenantID != tenantID {
			return fmt.Errorf("audit: append %s of tenant %s to the chain of %s", e.Action, e.TenantID, tenantID)
		}
	}
	if t := changeGroupOf(ctx, tx); t != nil {
		t.audits = append(t.audits, entries...) // appended before the group's commit
		return nil
	}
	events := make([]idv.AuditEvent, len(entries))
	details := make([][]byte, len(entries))
	for i, e := range entries {
		if e.At.IsZero() {
			e.At = time.Now()
		}
		if e.Detail == nil {
			e.Detail = map[string]string{}
		}
		ev := idv.AuditEvent{TenantID: e.TenantID, At: e.At.UTC().Truncate(time.Microsecond), Actor: e.Actor,
			Action: e.Action, Detail: e.Detail}
		if e.SessionID != uuid.Nil {
			id := e.SessionID
			ev.SessionID = &id
		}
		detail, err := json.Marshal(ev.Detail) // map keys sorted: canonical
		if err != nil {
			return fmt.Errorf("audit: encode detail: %w", err)
		}
		events[i], details[i] = ev, detail
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`,
		auditLockClass, tenantID.String()); err != nil {
		return fmt.Errorf("audit: lock chain of %s: %w", tenantID, err)
	}
	// The chain's head and the entries' seqs in one round trip: every
	// statement between the lock and the commit holds up the tenant's other
	// appends. The head is read in a statement of its own after the lock
	// statement, so its snapshot sees the previous holder's commit.
	var head []byte
	var seqs []int64
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT hash FROM audit_events WHERE tenant_id = $1
		ORDER BY seq DESC LIMIT 1), ARRAY(SELECT nextval(pg_get_serial_sequence('audit_events', 'seq'))
		FROM generate_series(1, $2))`, tenantID, len(events)).Scan(&head, pq.Array(&seqs)); err != nil {
		return fmt.Errorf("audit: read chain head of %s and next seqs: %w", tenantID, err)
	}
	if len(seqs) != len(events) {
		return fmt.Errorf("audit: %d seqs for %d entries of %s", len(seqs), len(events), tenantID)
	}
	slices.Sort(seqs) // chain order is seq order
	if head == nil {  // the tenant's first entry
		head = make([]byte, sha256.Size)
	}
	var values strings.Builder
	args := make([]any, 0, 9*len(events))
	for i := range events {
		ev := &events[i]
		ev.Seq, ev.PrevHash = seqs[i], head
		ev.Hash = ev.ChainHash()
		head = ev.Hash
		if i > 0 {
			values.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&values, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9)
		args = append(args, ev.Seq, ev.TenantID, ev.At, ev.Actor, ev.Action, ev.SessionID, string(details[i]), ev.PrevHash, ev.Hash)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events
		(seq, tenant_id, at, actor, action, session_id, detail, prev_hash, hash) VALUES `+values.String(),
		args...); err != nil {
		return fmt.Errorf("audit: append %d entries (%s first) for %s: %w", len(events), events[0].Action, tenantID, err)
	}
	return nil
}

// Audit reads, exports and verifies the audit log, and records entries that
// belong to no other transaction (reads).
type Audit struct {
	db *sqlx.DB
	// recording groups the Record calls of one tenant that arrive while
	// one of its batches runs.
	recording tenantBatches[idv.AuditEntry]
}

// NewAudit returns the audit log over db.
func NewAudit(db *sql.DB) *Audit { return &Audit{db: wrap(db)} }

// Record appends e in a transaction of its own: for events that change
// nothing else, such as a read of personal data. The caller should record
// before it hands out what was read, so that nothing is read unrecorded:
// Record returns once e has committed. The calls of one tenant that arrive
// while one of its batches runs are appended together by the next
// (batches.go), under one hold of the chain's lock; an entry that is not
// valid is refused before it joins one.
func (a *Audit) Record(ctx context.Context, e idv.AuditEntry) error {
	sc := tenantScope(e.TenantID)
	if err := e.Validate(); err != nil {
		return fmt.Errorf("audit: append %s: %w", e.Action, err)
	}
	return a.recording.do(ctx, e.TenantID, e, func(ctx context.Context, batch []idv.AuditEntry) []error {
		err := inTx(ctx, a.db, sc, func(tx *sqlx.Tx) error { return appendAudits(ctx, tx, e.TenantID, batch) })
		return failAll(make([]error, len(batch)), err)
	})
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
func (r auditRow) event() (idv.AuditEvent, error) {
	ev := idv.AuditEvent{Seq: r.Seq, TenantID: r.TenantID, At: r.At.UTC(), Actor: r.Actor, Action: r.Action,
		PrevHash: r.PrevHash, Hash: r.Hash}
	if r.SessionID.Valid {
		id := r.SessionID.UUID
		ev.SessionID = &id
	}
	if err := json.Unmarshal(r.Detail, &ev.Detail); err != nil {
		return idv.AuditEvent{}, fmt.Errorf("detail is not an object of strings: %w", err)
	}
	if ev.Detail == nil {
		ev.Detail = map[string]string{}
	}
	return ev, nil
}

// List returns up to limit entries of the tenant with seq > after, in
// order: one page of the export.
func (a *Audit) List(ctx context.Context, tenantID uuid.UUID, after int64, limit int) ([]idv.AuditEvent, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("audit: list: limit %d, want > 0", limit)
	}
	var rows []auditRow
	if err := scopedSelect(ctx, a.db, tenantScope(tenantID), &rows, `SELECT `+auditColumns+` FROM audit_events
		WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, tenantID, after, limit); err != nil {
		return nil, fmt.Errorf("audit: list %s: %w", tenantID, err)
	}
	events := make([]idv.AuditEvent, 0, len(rows))
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
				return entries, &idv.AuditBreak{Seq: r.Seq, Reason: err.Error()}
			}
			if !bytes.Equal(ev.PrevHash, prev) {
				return entries, &idv.AuditBreak{Seq: r.Seq,
					Reason: "prev_hash is not the previous entry's hash: an entry before it was removed, inserted or moved"}
			}
			if !bytes.Equal(ev.ChainHash(), ev.Hash) {
				return entries, &idv.AuditBreak{Seq: r.Seq, Reason: "hash does not match the entry: it was altered"}
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

// Head is the newest entry of the tenant's chain (Seq 0 when it has none):
// what an audit checkpoint signs.
func (a *Audit) Head(ctx context.Context, tenantID uuid.UUID) (idv.AuditHead, error) {
	var h idv.AuditHead
	err := scopedScan(ctx, a.db, tenantScope(tenantID), []any{&h.Seq, &h.Hash, &h.At}, `SELECT seq, hash, at
		FROM audit_events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return idv.AuditHead{}, nil
	}
	if err != nil {
		return idv.AuditHead{}, fmt.Errorf("audit: head of %s: %w", tenantID, err)
	}
	h.At = h.At.UTC()
	return h, nil
}

// Entry is the stored hash of the tenant's entry seq; found is false when
// the chain has no such entry.
func (a *Audit) Entry(ctx context.Context, tenantID uuid.UUID, seq int64) (hash []byte, found bool, err error) {
	err = scopedScan(ctx, a.db, tenantScope(tenantID), []any{&hash}, `SELECT hash FROM audit_events
		WHERE tenant_id = $1 AND seq = $2`, tenantID, seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("audit: entry %d of %s: %w", seq, tenantID, err)
	}
	return hash, true, nil
}
