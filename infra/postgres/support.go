package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/jmoiron/sqlx"
)

// MaxSupportGrant is the longest a support grant may last.
const MaxSupportGrant = 24 * time.Hour

// ErrGrantEnded: the support grant expired or was revoked.
var ErrGrantEnded = errors.New("support: grant expired or revoked")

var supportUser = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// ActorSupport is the actor of what a support user does under a grant.
func ActorSupport(user string) string { return "support:" + user }

// SupportGrant is a time-boxed permission for one support user to read one
// tenant's sessions (migration 011).
type SupportGrant struct {
	ID        uuid.UUID  `db:"grant_id"`
	TenantID  uuid.UUID  `db:"tenant_id"`
	User      string     `db:"support_user"`
	Reason    string     `db:"reason"`
	GrantedAt time.Time  `db:"granted_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

// Live reports whether the grant allows access at now.
func (g SupportGrant) Live(now time.Time) bool {
	return g.RevokedAt == nil && now.Before(g.ExpiresAt)
}

const grantColumns = `grant_id, tenant_id, support_user, reason, granted_at, expires_at, revoked_at`

// Support stores support grants and performs reads under them.
type Support struct{ db *sqlx.DB }

// NewSupport returns the support store over db.
func NewSupport(db *sql.DB) *Support { return &Support{db: wrap(db)} }

// Grant stores a grant lasting d (at most MaxSupportGrant) from now, with
// its audit entry (actor from WithActor, the operator who grants).
func (s *Support) Grant(ctx context.Context, tenantID uuid.UUID, user, reason string, d time.Duration, now time.Time) (SupportGrant, error) {
	switch {
	case !supportUser.MatchString(user):
		return SupportGrant{}, fmt.Errorf("support: user %q: want lower-case letters, digits and . _ -", user)
	case len(reason) == 0 || len(reason) > 500:
		return SupportGrant{}, fmt.Errorf("support: a reason of 1 to 500 characters is required")
	case d <= 0 || d > MaxSupportGrant:
		return SupportGrant{}, fmt.Errorf("support: a grant lasts more than 0 and at most %s, not %s", MaxSupportGrant, d)
	}
	now = now.UTC().Truncate(time.Microsecond)
	g := SupportGrant{ID: uuid.New(), TenantID: tenantID, User: user, Reason: reason, GrantedAt: now, ExpiresAt: now.Add(d)}
	err := inTx(ctx, s.db, tenantScope(tenantID), func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO support_grants (`+grantColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, NULL)`, g.ID, g.TenantID, g.User, g.Reason, g.GrantedAt, g.ExpiresAt); err != nil {
			return fmt.Errorf("support: grant for %s: %w", tenantID, err)
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: tenantID, At: now, Actor: idv.ActorOf(ctx, idv.ActorOperator),
			Action: idv.AuditSupportGranted, Detail: map[string]string{"grant_id": g.ID.String(), "support_user": user,
				"expires_unix": strconv.FormatInt(g.ExpiresAt.Unix(), 10)}})
	})
	return g, err
}

// Revoke ends a live grant now. A grant already ended is ErrGrantEnded.
// The operator names the grant, not its tenant: system scope.
func (s *Support) Revoke(ctx context.Context, grantID uuid.UUID, now time.Time) (SupportGrant, error) {
	var g SupportGrant
	err := inTx(ctx, s.db, systemScope, func(tx *sqlx.Tx) error {
		var err error
		if g, err = lockLiveGrant(ctx, tx, grantID, now); err != nil {
			return err
		}
		at := now.UTC().Truncate(time.Microsecond)
		g.RevokedAt = &at
		if _, err := tx.ExecContext(ctx, `UPDATE support_grants SET revoked_at = $2 WHERE grant_id = $1`, grantID, at); err != nil {
			return fmt.Errorf("support: revoke %s: %w", grantID, err)
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: g.TenantID, At: at, Actor: idv.ActorOf(ctx, idv.ActorOperator),
			Action: idv.AuditSupportRevoked, Detail: map[string]string{"grant_id": g.ID.String(), "support_user": g.User}})
	})
	return g, err
}

// lockLiveGrant locks a grant for the rest of tx, so that a revocation
// waits for a read in progress, and checks that it is live at now.
func lockLiveGrant(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, now time.Time) (SupportGrant, error) {
	var g SupportGrant
	err := tx.GetContext(ctx, &g, `SELECT `+grantColumns+` FROM support_grants WHERE grant_id = $1 FOR NO KEY UPDATE`, id)
	if err != nil {
		return g, rowErr(err, "support: grant %s", "support: grant %s", id)
	}
	if !g.Live(now) {
		return g, fmt.Errorf("support: grant %s: %w", id, ErrGrantEnded)
	}
	return g, nil
}

// Live lists the grants live at now, of every tenant (system scope); there
// is nothing else: no standing access.
func (s *Support) Live(ctx context.Context, now time.Time) ([]SupportGrant, error) {
	var gs []SupportGrant
	if err := scopedSelect(ctx, s.db, systemScope, &gs, `SELECT `+grantColumns+` FROM support_grants
		WHERE revoked_at IS NULL AND expires_at > $1 ORDER BY expires_at`, now); err != nil {
		return nil, fmt.Errorf("support: live grants: %w", err)
	}
	return gs, nil
}

// ReadSession returns a session of the grant's tenant and its check
// results, if the grant is live at now. The read is recorded
// (support_session_read, actor support:<user>) and committed before
// anything is read, so nothing is read unrecorded; a refused read leaves
// no entry. A session of another tenant is ErrNotFound. The operator names
// the grant, not its tenant, so the check and its record run in the system
// scope (with the grant's tenant in every query); the reads themselves in
// the scope of the grant's tenant.
func (s *Support) ReadSession(ctx context.Context, grantID, sessionID uuid.UUID, now time.Time) (SupportGrant, idv.Session, []idv.Result, error) {
	var g SupportGrant
	err := inTx(ctx, s.db, systemScope, func(tx *sqlx.Tx) error {
		var err error
		if g, err = lockLiveGrant(ctx, tx, grantID, now); err != nil {
			return err
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM sessions WHERE session_id = $1 AND tenant_id = $2)`,
			sessionID, g.TenantID); err != nil {
			return fmt.Errorf("support: session %s: %w", sessionID, err)
		}
		if !exists {
			return fmt.Errorf("support: session %s of tenant %s: %w", sessionID, g.TenantID, idv.ErrNotFound)
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: g.TenantID, At: now, Actor: ActorSupport(g.User),
			Action: idv.AuditSupportSessionRead, SessionID: sessionID, Detail: map[string]string{"grant_id": g.ID.String()}})
	})
	if err != nil {
		return g, idv.Session{}, nil, err
	}
	sess, err := NewSessions(s.db.DB).Get(ctx, g.TenantID, sessionID)
	if err != nil {
		return g, idv.Session{}, nil, err
	}
	results, err := NewResults(s.db.DB).List(ctx, g.TenantID, sessionID)
	return g, sess, results, err
}
