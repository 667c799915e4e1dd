package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/idv-oss/idv"
)

// Notices reads what the notifier's webhooks say. An event only names what
// happened to which entity; the notifier signs what these methods return,
// never an event's body, so reaching the broker is not enough to make IDV
// sign a decision or a notice (docs/design.md invariant 8). Every read is
// in the scope of the event's tenant: an event naming another tenant's
// session, request or notice finds nothing.
type Notices struct{ db *sqlx.DB }

// NewNotices returns the notifier's reads over db.
func NewNotices(db *sql.DB) *Notices { return &Notices{db: wrap(db)} }

// Decision reads the tenant's session's decision, when it was made and the
// attempt it decided (sessions.decision, decided_at, attempt). Decision is
// empty while the session is undecided. ErrNotFound if the tenant has no
// such session.
func (s *Notices) Decision(ctx context.Context, tenantID, sessionID uuid.UUID) (idv.Decided, error) {
	var row struct {
		Decision  sql.NullString `db:"decision"`
		DecidedAt sql.NullTime   `db:"decided_at"`
		Attempt   int            `db:"attempt"`
	}
	err := scopedGet(ctx, s.db, tenantScope(tenantID), &row, `SELECT decision, decided_at, attempt FROM sessions
		WHERE session_id = $1 AND tenant_id = $2`, sessionID, tenantID)
	if err != nil {
		return idv.Decided{}, rowErr(err, "notices: session %s", "notices: decision of %s", sessionID)
	}
	out := idv.Decided{Attempt: row.Attempt}
	if row.Decision.Valid && row.DecidedAt.Valid {
		out.Decision, out.DecidedAt = idv.Decision(row.Decision.String), row.DecidedAt.Time.UTC()
	}
	return out, nil
}

// Deletion reads the tenant's session's deletion receipt id and when the
// session was wiped (deletion_receipts, sessions.deleted_at: the wipe's
// last step writes both in one transaction). The receipt id is uuid.Nil
// while the session is not wiped. ErrNotFound if the tenant has no such
// session.
func (s *Notices) Deletion(ctx context.Context, tenantID, sessionID uuid.UUID) (receiptID uuid.UUID, deletedAt time.Time, err error) {
	var row struct {
		DeletedAt sql.NullTime  `db:"deleted_at"`
		ReceiptID uuid.NullUUID `db:"receipt_id"`
	}
	err = scopedGet(ctx, s.db, tenantScope(tenantID), &row, `SELECT s.deleted_at, r.receipt_id FROM sessions s
		LEFT JOIN deletion_receipts r ON r.session_id = s.session_id AND r.tenant_id = s.tenant_id
		WHERE s.session_id = $1 AND s.tenant_id = $2`, sessionID, tenantID)
	if err != nil {
		return uuid.Nil, time.Time{}, rowErr(err, "notices: session %s", "notices: deletion of %s", sessionID)
	}
	if !row.DeletedAt.Valid || !row.ReceiptID.Valid {
		return uuid.Nil, time.Time{}, nil
	}
	return row.ReceiptID.UUID, row.DeletedAt.Time.UTC(), nil
}

// BreachNotice reads a breach as the register holds it now and what it
// touched of the tenant: sessions, categories, and the round and time the
// tenant was last notified (NotifiedRound 0 and NotifiedAt nil before
// the first). ErrNotFound if the breach touches no such tenant.
//
// The tenant's row (breach_tenants) is read in the tenant's scope; the
// breach itself is IDV's own and has no tenant, so it is read in the system
// scope, in the same transaction and only once the tenant's row is found.
// The register keeps one version of a breach's texts: a notice read after
// the breach was updated carries the texts as updated.
func (s *Notices) BreachNotice(ctx context.Context, tenantID, breachID uuid.UUID) (idv.Breach, idv.Affected, error) {
	var b idv.Breach
	var a idv.Affected
	err := inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		var row struct {
			Sessions      int            `db:"sessions"`
			Categories    pq.StringArray `db:"categories"`
			NotifiedRound int            `db:"notified_round"`
			NotifiedAt    *time.Time     `db:"notified_at"`
		}
		err := tx.GetContext(ctx, &row, `SELECT sessions, categories, notified_round, notified_at FROM breach_tenants
			WHERE breach_id = $1 AND tenant_id = $2`, breachID, tenantID)
		if err != nil {
			return rowErr(err, "notices: breach %s of tenant %s", "notices: breach %s of tenant %s", breachID, tenantID)
		}
		a = idv.Affected{TenantID: tenantID, Sessions: row.Sessions, Categories: []string(row.Categories),
			NotifiedRound: row.NotifiedRound}
		if row.NotifiedAt != nil {
			at := row.NotifiedAt.UTC()
			a.NotifiedAt = &at
		}
		if err := systemScope.enter(ctx, tx); err != nil {
			return err
		}
		var r breachRow
		if err := tx.GetContext(ctx, &r, `SELECT `+breachColumns+` FROM breaches WHERE breach_id = $1`, breachID); err != nil {
			return rowErr(err, "notices: breach %s", "notices: breach %s", breachID)
		}
		b = r.breach()
		return nil
	})
	if err != nil {
		return idv.Breach{}, idv.Affected{}, err
	}
	return b, a, nil
}

// Announcement reads the announcement of sub-processor id to the tenant:
// the effective date announced (YYYY-MM-DD) and when. ErrNotFound if it
// was not announced to the tenant.
func (s *Notices) Announcement(ctx context.Context, tenantID uuid.UUID, id string) (effectiveDate string, announcedAt time.Time, err error) {
	var row struct {
		EffectiveDate time.Time `db:"effective_date"`
		AnnouncedAt   time.Time `db:"announced_at"`
	}
	err = scopedGet(ctx, s.db, tenantScope(tenantID), &row, `SELECT effective_date, announced_at FROM subprocessor_announcements
		WHERE subprocessor_id = $1 AND tenant_id = $2`, id, tenantID)
	if err != nil {
		return "", time.Time{}, rowErr(err, "notices: announcement of %s", "notices: announcement of %s", id)
	}
	return row.EffectiveDate.Format(time.DateOnly), row.AnnouncedAt.UTC(), nil
}

// DSR reads the tenant's data-subject request. ErrNotFound if the tenant
// has no such request.
func (s *Notices) DSR(ctx context.Context, tenantID, id uuid.UUID) (idv.DSR, error) {
	var d idv.DSR
	err := scopedScan(ctx, s.db, tenantScope(tenantID), []any{&d.ID, &d.TenantID, &d.SessionID, &d.Kind, &d.ReceivedAt},
		`SELECT dsr_id, tenant_id, session_id, kind, received_at FROM data_subject_requests
		WHERE dsr_id = $1 AND tenant_id = $2`, id, tenantID)
	if err != nil {
		return idv.DSR{}, rowErr(err, "notices: request %s", "notices: request %s", id)
	}
	d.ReceivedAt = d.ReceivedAt.UTC()
	return d, nil
}

// Checkpoint reads the tenant's periodic audit checkpoint: the exact signed
// bytes, the signature and the key id as signed. ErrNotFound if the tenant
// has no such checkpoint.
func (s *Notices) Checkpoint(ctx context.Context, tenantID, id uuid.UUID) (idv.StoredCheckpoint, error) {
	var c idv.StoredCheckpoint
	err := scopedScan(ctx, s.db, tenantScope(tenantID), []any{&c.ID, &c.TenantID, &c.Seq, &c.Statement, &c.Signature, &c.KeyID, &c.CreatedAt},
		`SELECT checkpoint_id, tenant_id, seq, statement, signature, key_id, created_at FROM audit_checkpoints
		WHERE checkpoint_id = $1 AND tenant_id = $2`, id, tenantID)
	if err != nil {
		return idv.StoredCheckpoint{}, rowErr(err, "notices: audit checkpoint %s", "notices: audit checkpoint %s", id)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}
