package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// sessionRow is a sessions row as sqlx scans and writes it; Session is
// the core's, without driver types.
type sessionRow struct {
	ID                uuid.UUID      `db:"session_id"`
	TenantID          uuid.UUID      `db:"tenant_id"`
	Status            idv.Status     `db:"status"`
	Checks            pq.StringArray `db:"checks"`
	SelfieFrames      int            `db:"selfie_frames"`
	Challenge         pq.StringArray `db:"challenge"`
	LightChallenge    bool           `db:"light_challenge"`
	ChipChallenge     []byte         `db:"chip_challenge"`
	RetentionDays     int            `db:"retention_days"`
	CreatedAt         time.Time      `db:"created_at"`
	ExpiresAt         time.Time      `db:"expires_at"`
	AppTokenHash      []byte         `db:"app_token_hash"`
	AppTokenExpiresAt time.Time      `db:"app_token_expires_at"`
	SubmittedAt       *time.Time     `db:"submitted_at"`
	Attempt           int            `db:"attempt"`
	MaxAttempts       int            `db:"max_attempts"`
	Retake            retakeColumn   `db:"retake"`
	Decision          *string        `db:"decision"`
	DecidedAt         *time.Time     `db:"decided_at"`
	WipeReason        *string        `db:"wipe_reason"`
	WipeRequestedAt   *time.Time     `db:"wipe_requested_at"`
	DeletedAt         *time.Time     `db:"deleted_at"`
	ReceiptID         *uuid.UUID     `db:"receipt_id"`
}

func (r sessionRow) session() idv.Session {
	return idv.Session{ID: r.ID, TenantID: r.TenantID, Status: r.Status, Checks: []string(r.Checks),
		SelfieFrames: r.SelfieFrames, Challenge: []string(r.Challenge), LightChallenge: r.LightChallenge, ChipChallenge: r.ChipChallenge,
		RetentionDays: r.RetentionDays, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
		AppTokenHash: r.AppTokenHash, AppTokenExpiresAt: r.AppTokenExpiresAt, SubmittedAt: r.SubmittedAt,
		Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, Retake: []schemas.Retake(r.Retake),
		Decision: (*idv.Decision)(r.Decision), DecidedAt: r.DecidedAt, WipeReason: r.WipeReason,
		WipeRequestedAt: r.WipeRequestedAt, DeletedAt: r.DeletedAt, ReceiptID: r.ReceiptID}
}

func sessionRows(rows []sessionRow) []idv.Session {
	out := make([]idv.Session, len(rows))
	for i, r := range rows {
		out[i] = r.session()
	}
	return out
}

// rowOfSession is the row a new session is inserted as.
func rowOfSession(s idv.Session) sessionRow {
	return sessionRow{ID: s.ID, TenantID: s.TenantID, Status: s.Status, Checks: pq.StringArray(s.Checks),
		SelfieFrames: s.SelfieFrames, Challenge: pq.StringArray(s.Challenge), LightChallenge: s.LightChallenge, ChipChallenge: s.ChipChallenge,
		RetentionDays: s.RetentionDays, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt,
		AppTokenHash: s.AppTokenHash, AppTokenExpiresAt: s.AppTokenExpiresAt,
		Attempt: max(s.Attempt, 1), MaxAttempts: max(s.MaxAttempts, 1)}
}

// retakeColumn is the sessions.retake column: what the last attempt's
// checks asked the person to take again, as JSON.
type retakeColumn []schemas.Retake

// Scan reads the column's JSON.
func (c *retakeColumn) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("sessions: retake is %T, want JSON", src)
	}
	return json.Unmarshal(b, (*[]schemas.Retake)(c))
}

// Value writes the column's JSON: [] for none.
func (c retakeColumn) Value() (driver.Value, error) {
	if c == nil {
		c = retakeColumn{}
	}
	b, err := json.Marshal([]schemas.Retake(c))
	return string(b), err
}

// jsonbOrNull is b as a jsonb parameter: text (lib/pq sends []byte as binary
// data, which jsonb reads as its own binary format), or NULL for nil.
func jsonbOrNull(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// keyFields points at a session key's fields in the order of the columns
// session_id, tenant_id, epoch, public_key, wrapped_key.
func keyFields(k *idv.WrappedKey) []any {
	return []any{&k.SessionID, &k.TenantID, &k.Epoch, &k.PublicKey, &k.Wrapped}
}

// captureFields points at a capture's fields in the order of the columns
// session_id, tenant_id, attempt, kind, idx, object_key, size, sha256,
// declared_at.
func captureFields(c *idv.Capture) []any {
	return []any{&c.SessionID, &c.TenantID, &c.Attempt, &c.Kind, &c.Index, &c.ObjectKey, &c.Size, &c.SHA256, &c.DeclaredAt}
}

// Sessions stores sessions, their keys and captures.
type Sessions struct{ db *sqlx.DB }

// NewSessions returns the session store over db.
func NewSessions(db *sql.DB) *Sessions { return &Sessions{db: wrap(db)} }

const sessionColumns = `session_id, tenant_id, status, checks, selfie_frames, challenge, light_challenge, chip_challenge, retention_days,
	created_at, expires_at, app_token_hash, app_token_expires_at, submitted_at, attempt, max_attempts, retake,
	decision, decided_at,
	wipe_reason, wipe_requested_at, deleted_at,
	(SELECT receipt_id FROM deletion_receipts r WHERE r.session_id = sessions.session_id) AS receipt_id`

// Create stores a new session with its key pair.
func (s *Sessions) Create(ctx context.Context, sess idv.Session, key idv.WrappedKey) error {
	return inTx(ctx, s.db, tenantScope(sess.TenantID), func(tx *sqlx.Tx) error {
		if key.TenantID != sess.TenantID {
			return fmt.Errorf("sessions: insert %s: key of tenant %s", sess.ID, key.TenantID)
		}
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO sessions (session_id, tenant_id, status, checks,
			selfie_frames, challenge, light_challenge, chip_challenge, retention_days, created_at, expires_at, app_token_hash, app_token_expires_at,
			attempt, max_attempts) VALUES
			(:session_id, :tenant_id, :status, :checks, :selfie_frames, :challenge, :light_challenge, :chip_challenge, :retention_days,
			 :created_at, :expires_at, :app_token_hash, :app_token_expires_at, :attempt, :max_attempts)`, rowOfSession(sess)); err != nil {
			return fmt.Errorf("sessions: insert %s: %w", sess.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_keys
			(session_id, tenant_id, epoch, public_key, wrapped_key)
			VALUES ($1, $2, $3, $4, $5)`, key.SessionID, key.TenantID, key.Epoch, key.PublicKey, key.Wrapped); err != nil {
			return fmt.Errorf("sessions: insert key of %s: %w", sess.ID, err)
		}
		return nil
	})
}

// Get reads a session of tenant; another tenant's session is ErrNotFound.
func (s *Sessions) Get(ctx context.Context, tenantID, id uuid.UUID) (idv.Session, error) {
	return s.get(ctx, tenantScope(tenantID), `SELECT `+sessionColumns+` FROM sessions WHERE session_id = $1 AND tenant_id = $2`, id, tenantID)
}

// GetForApp reads a session by id alone, for the app-token check, which
// then compares the token's hash with the session's. The token is what
// tells whose session it is, so the lookup cannot be scoped to a tenant
// yet: system scope.
func (s *Sessions) GetForApp(ctx context.Context, id uuid.UUID) (idv.Session, error) {
	return s.get(ctx, systemScope, `SELECT `+sessionColumns+` FROM sessions WHERE session_id = $1`, id)
}

func (s *Sessions) get(ctx context.Context, sc scope, query string, args ...any) (idv.Session, error) {
	var row sessionRow
	err := scopedGet(ctx, s.db, sc, &row, query, args...)
	if err != nil {
		return idv.Session{}, rowErr(err, "sessions: %v", "sessions: get %v", args[0])
	}
	return row.session(), nil
}

// Key reads a session's key pair.
func (s *Sessions) Key(ctx context.Context, tenantID, id uuid.UUID) (idv.WrappedKey, error) {
	var k idv.WrappedKey
	err := scopedScan(ctx, s.db, tenantScope(tenantID), keyFields(&k), `SELECT session_id, tenant_id, epoch, public_key, wrapped_key
		FROM session_keys WHERE session_id = $1 AND tenant_id = $2`, id, tenantID)
	if err != nil {
		return idv.WrappedKey{}, rowErr(err, "session keys: %s", "session keys: get %s", id)
	}
	return k, nil
}

// Captures lists a session's declared captures, of every attempt, in
// attempt and slot order (idv.CapturesOf picks one attempt's).
func (s *Sessions) Captures(ctx context.Context, tenantID, id uuid.UUID) ([]idv.Capture, error) {
	cs, err := scopedRows(ctx, s.db, tenantScope(tenantID), captureFields, `SELECT session_id, tenant_id, attempt, kind, idx,
		object_key, size, sha256, declared_at
		FROM captures WHERE session_id = $1 AND tenant_id = $2 ORDER BY attempt, kind, idx`, id, tenantID)
	if err != nil {
		return nil, fmt.Errorf("captures: list %s: %w", id, err)
	}
	return cs, nil
}

// DeclareCaptures records captures of an open session's current attempt,
// replacing earlier declarations of the same slots. ErrConflict if the
// session is no longer open for captures, or has moved on to another
// attempt than the captures'.
func (s *Sessions) DeclareCaptures(ctx context.Context, tenantID, id uuid.UUID, cs []idv.Capture) error {
	return inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		attempt, err := lockOpen(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		var cols captureColumns
		for _, c := range cs {
			c.Attempt = max(c.Attempt, 1) // a capture that names none is the first attempt's
			if c.Attempt != attempt {
				return fmt.Errorf("captures: declare %s: attempt %d, the session is at %d: %w", id, c.Attempt, attempt, idv.ErrConflict)
			}
			cols.add(c)
		}
		if len(cs) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO captures
			(session_id, tenant_id, attempt, kind, idx, object_key, size, sha256)
			SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::integer[], $4::text[], $5::integer[], $6::text[],
				$7::bigint[], $8::bytea[])
			ON CONFLICT (session_id, attempt, kind, idx) DO UPDATE
			SET size = EXCLUDED.size, sha256 = EXCLUDED.sha256, declared_at = now()`, cols.args()...); err != nil {
			return fmt.Errorf("captures: declare %d of %s: %w", len(cs), id, err)
		}
		return nil
	})
}

// captureColumns are captures as the columns of one multi-row INSERT, a
// slot declared twice once (its last declaration, as one INSERT per
// capture would leave it).
type captureColumns struct {
	sessions, tenants, kinds, keys []string
	attempts, indexes, sizes       []int64
	sums                           [][]byte
	slot                           map[string]int // kind and index: position in the columns
}

func (c *captureColumns) add(cp idv.Capture) {
	ref := strconv.Itoa(cp.Attempt) + " " + schemas.CaptureRef(cp.Kind, cp.Index)
	if i, ok := c.slot[ref]; ok {
		c.sessions[i], c.tenants[i], c.keys[i] = cp.SessionID.String(), cp.TenantID.String(), cp.ObjectKey
		c.sizes[i], c.sums[i] = cp.Size, cp.SHA256
		return
	}
	if c.slot == nil {
		c.slot = map[string]int{}
	}
	c.slot[ref] = len(c.kinds)
	c.sessions, c.tenants = append(c.sessions, cp.SessionID.String()), append(c.tenants, cp.TenantID.String())
	c.attempts, c.kinds, c.indexes = append(c.attempts, int64(cp.Attempt)), append(c.kinds, string(cp.Kind)), append(c.indexes, int64(cp.Index))
	c.keys, c.sizes, c.sums = append(c.keys, cp.ObjectKey), append(c.sizes, cp.Size), append(c.sums, cp.SHA256)
}

// args are the columns as the INSERT's array parameters, $1 to $8.
func (c *captureColumns) args() []any {
	return []any{pq.Array(c.sessions), pq.Array(c.tenants), pq.Array(c.attempts), pq.Array(c.kinds),
		pq.Array(c.indexes), pq.Array(c.keys), pq.Array(c.sizes), pq.ByteaArray(c.sums)}
}

// Submit marks an open session's attempt submitted and appends its event
// to the outbox in the same transaction. ErrConflict if it was not open,
// or has moved on to another attempt than attempt.
func (s *Sessions) Submit(ctx context.Context, tenantID, id uuid.UUID, attempt int, at time.Time, ev idv.Event) error {
	return s.submit(ctx, tenantID, id, attempt, at, nil, ev)
}

// SubmitWith is Submit that also stores the page's submission as the
// attempt's (challenge.go), in the same transaction.
func (s *Sessions) SubmitWith(ctx context.Context, tenantID, id uuid.UUID, attempt int, at time.Time, sub schemas.Submission, uploaded idv.Uploads, ev idv.Event) error {
	return s.submit(ctx, tenantID, id, attempt, at, &submitted{sub, uploaded}, ev)
}

// submitted is what a submit with a body stores for its attempt.
type submitted struct {
	sub      schemas.Submission
	uploaded idv.Uploads
}

func (s *Sessions) submit(ctx context.Context, tenantID, id uuid.UUID, attempt int, at time.Time, sub *submitted, ev idv.Event) error {
	return inOutboxTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		current, err := lockOpen(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if current != attempt {
			return fmt.Errorf("sessions: submit %s: attempt %d, the session is at %d: %w", id, attempt, current, idv.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET status = $3, submitted_at = $4, retake = '[]'
			WHERE session_id = $1 AND tenant_id = $2`, id, tenantID, idv.StatusSubmitted, at); err != nil {
			return fmt.Errorf("sessions: submit %s: %w", id, err)
		}
		if sub != nil {
			if err := storeSubmission(ctx, tx, tenantID, id, attempt, *sub); err != nil {
				return err
			}
		}
		return appendOutbox(ctx, tx, ev)
	})
}

// lockOpen locks the session row, checks it is still open for captures
// and returns its current attempt.
func lockOpen(ctx context.Context, tx *sqlx.Tx, tenantID, id uuid.UUID) (int, error) {
	var row struct {
		Status  idv.Status `db:"status"`
		Attempt int        `db:"attempt"`
	}
	err := tx.GetContext(ctx, &row, `SELECT status, attempt FROM sessions
		WHERE session_id = $1 AND tenant_id = $2 FOR UPDATE`, id, tenantID)
	if err != nil {
		return 0, rowErr(err, "sessions: %s", "sessions: lock %s", id)
	}
	if !(idv.Session{Status: row.Status}).Open() {
		return 0, fmt.Errorf("sessions: %s is %s: %w", id, row.Status, idv.ErrConflict)
	}
	return row.Attempt, nil
}
