package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Breaches is the breach register. A breach is IDV's own incident, which
// may touch any tenant: every method runs in the system scope.
type Breaches struct{ db *sqlx.DB }

// NewBreaches returns the register over db.
func NewBreaches(db *sql.DB) *Breaches { return &Breaches{db: wrap(db)} }

type breachRow struct {
	ID           uuid.UUID      `db:"breach_id"`
	OpenedAt     time.Time      `db:"opened_at"`
	WindowStart  time.Time      `db:"window_start"`
	WindowEnd    time.Time      `db:"window_end"`
	Tenants      pq.StringArray `db:"tenant_scope"`
	Stages       pq.StringArray `db:"stages"`
	Nature       string         `db:"nature"`
	Consequences string         `db:"consequences"`
	Measures     string         `db:"measures"`
	Contact      string         `db:"contact"`
	UpdatedAt    time.Time      `db:"updated_at"`
	Rounds       int            `db:"rounds"`
}

const breachColumns = `breach_id, opened_at, window_start, window_end, tenant_scope, stages, nature,
	consequences, measures, contact, updated_at, rounds`

func (r breachRow) breach() idv.Breach {
	b := idv.Breach{ID: r.ID, OpenedAt: r.OpenedAt.UTC(), WindowStart: r.WindowStart.UTC(), WindowEnd: r.WindowEnd.UTC(),
		Stages: r.Stages, Nature: r.Nature, Consequences: r.Consequences, Measures: r.Measures, Contact: r.Contact,
		UpdatedAt: r.UpdatedAt.UTC(), Rounds: r.Rounds}
	if r.Tenants != nil {
		b.Tenants = []uuid.UUID{}
		for _, t := range r.Tenants {
			b.Tenants = append(b.Tenants, uuid.MustParse(t))
		}
	}
	return b
}

func scopeArray(ts []uuid.UUID) any {
	if ts == nil {
		return nil
	}
	out := make(pq.StringArray, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

// Open records a breach and computes whom it touches.
func (s *Breaches) Open(ctx context.Context, b idv.Breach) (idv.Breach, []idv.Affected, error) {
	if err := b.Validate(); err != nil {
		return b, nil, err
	}
	b.ID = uuid.New()
	b.OpenedAt = b.OpenedAt.UTC().Truncate(time.Microsecond)
	b.UpdatedAt = b.OpenedAt
	var affected []idv.Affected
	err := inTx(ctx, s.db, systemScope, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO breaches (`+breachColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0)`,
			b.ID, b.OpenedAt, b.WindowStart, b.WindowEnd, scopeArray(b.Tenants), pq.StringArray(b.Stages), b.Nature,
			b.Consequences, b.Measures, b.Contact, b.UpdatedAt); err != nil {
			return fmt.Errorf("breach: open: %w", err)
		}
		var err error
		affected, err = assess(ctx, tx, b)
		return err
	})
	return b, affected, err
}

// Update changes a breach (its texts or scope) with change and computes
// again whom it touches; tenants already notified keep their record and
// are told of the change by the next Notify.
func (s *Breaches) Update(ctx context.Context, id uuid.UUID, now time.Time, change func(*idv.Breach)) (idv.Breach, []idv.Affected, error) {
	var b idv.Breach
	var affected []idv.Affected
	err := inTx(ctx, s.db, systemScope, func(tx *sqlx.Tx) error {
		var err error
		if b, err = lockBreach(ctx, tx, id); err != nil {
			return err
		}
		change(&b)
		if err := b.Validate(); err != nil {
			return err
		}
		b.UpdatedAt = now.UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, `UPDATE breaches SET window_start = $2, window_end = $3, tenant_scope = $4,
			stages = $5, nature = $6, consequences = $7, measures = $8, contact = $9, updated_at = $10 WHERE breach_id = $1`,
			id, b.WindowStart, b.WindowEnd, scopeArray(b.Tenants), pq.StringArray(b.Stages), b.Nature, b.Consequences,
			b.Measures, b.Contact, b.UpdatedAt); err != nil {
			return fmt.Errorf("breach: update %s: %w", id, err)
		}
		affected, err = assess(ctx, tx, b)
		return err
	})
	return b, affected, err
}

func lockBreach(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) (idv.Breach, error) {
	var r breachRow
	err := tx.GetContext(ctx, &r, `SELECT `+breachColumns+` FROM breaches WHERE breach_id = $1 FOR UPDATE`, id)
	if err != nil {
		return idv.Breach{}, rowErr(err, "breach %s", "breach %s", id)
	}
	return r.breach(), nil
}

// assess computes, from the sessions alive at any time in the window, each
// tenant in scope's approximate number of data subjects (one per session)
// and categories of data, and stores them.
func assess(ctx context.Context, tx *sqlx.Tx, b idv.Breach) ([]idv.Affected, error) {
	var rows []struct {
		TenantID uuid.UUID `db:"tenant_id"`
		Sessions int       `db:"sessions"`
		Face     bool      `db:"face"`
		Policy   []byte    `db:"policy"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT s.tenant_id, count(*) AS sessions,
			bool_or($4 = ANY (s.checks)) AS face, t.policy
		FROM sessions s JOIN tenants t ON t.tenant_id = s.tenant_id
		WHERE s.created_at < $2 AND coalesce(s.deleted_at, 'infinity') > $1
		  AND ($3::uuid[] IS NULL OR s.tenant_id = ANY ($3::uuid[]))
		GROUP BY s.tenant_id, t.policy ORDER BY s.tenant_id`,
		b.WindowStart, b.WindowEnd, scopeArray(b.Tenants), schemas.CheckFace); err != nil {
		return nil, fmt.Errorf("breach %s: assess: %w", b.ID, err)
	}
	keep := pq.StringArray{}
	for _, r := range rows {
		var p schemas.Policy
		if err := json.Unmarshal(r.Policy, &p); err != nil {
			return nil, fmt.Errorf("breach %s: policy of %s: %w", b.ID, r.TenantID, err)
		}
		cats := schemas.BreachCategories(b.Stages, r.Face, p)
		if _, err := tx.ExecContext(ctx, `INSERT INTO breach_tenants (breach_id, tenant_id, sessions, categories)
			VALUES ($1, $2, $3, $4) ON CONFLICT (breach_id, tenant_id)
			DO UPDATE SET sessions = excluded.sessions, categories = excluded.categories`,
			b.ID, r.TenantID, r.Sessions, pq.StringArray(cats)); err != nil {
			return nil, fmt.Errorf("breach %s: record %s: %w", b.ID, r.TenantID, err)
		}
		keep = append(keep, r.TenantID.String())
	}
	// A tenant the new scope no longer touches is dropped unless it was
	// already notified: its record of the notice stays.
	if _, err := tx.ExecContext(ctx, `DELETE FROM breach_tenants WHERE breach_id = $1 AND notified_round = 0
		AND NOT (tenant_id = ANY ($2::uuid[]))`, b.ID, keep); err != nil {
		return nil, fmt.Errorf("breach %s: prune: %w", b.ID, err)
	}
	return affectedOf(ctx, tx, b.ID)
}

func affectedOf(ctx context.Context, q sqlx.QueryerContext, id uuid.UUID) ([]idv.Affected, error) {
	var rows []struct {
		TenantID      uuid.UUID      `db:"tenant_id"`
		Sessions      int            `db:"sessions"`
		Categories    pq.StringArray `db:"categories"`
		NotifiedRound int            `db:"notified_round"`
		NotifiedAt    *time.Time     `db:"notified_at"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT tenant_id, sessions, categories, notified_round, notified_at
		FROM breach_tenants WHERE breach_id = $1 ORDER BY tenant_id`, id); err != nil {
		return nil, fmt.Errorf("breach %s: affected: %w", id, err)
	}
	out := make([]idv.Affected, len(rows))
	for i, r := range rows {
		out[i] = idv.Affected{TenantID: r.TenantID, Sessions: r.Sessions, Categories: []string(r.Categories),
			NotifiedRound: r.NotifiedRound, NotifiedAt: r.NotifiedAt}
	}
	return out, nil
}

// Notify sends the breach's next notice round to every affected tenant:
// per tenant, in the same transaction, an idv.breach.notified event (the
// notify stage delivers it as a breach.notified webhook) and a
// breach_notified audit entry. It refuses a notice without nature,
// consequences, measures and contact (ErrBreachIncomplete). It returns the
// round and the tenants notified.
func (s *Breaches) Notify(ctx context.Context, id uuid.UUID, now time.Time, notice func(b idv.Breach, a idv.Affected, round int, at time.Time) idv.Event) (int, []idv.Affected, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var round int
	var affected []idv.Affected
	err := inOutboxTx(ctx, s.db, systemScope, func(tx *sqlx.Tx) error {
		b, err := lockBreach(ctx, tx, id)
		if err != nil {
			return err
		}
		if missing := b.Incomplete(); len(missing) > 0 {
			return fmt.Errorf("%w: set %s first (breach update)", idv.ErrBreachIncomplete, strings.Join(missing, ", "))
		}
		if affected, err = affectedOf(ctx, tx, id); err != nil {
			return err
		}
		round = b.Rounds + 1
		if _, err := tx.ExecContext(ctx, `UPDATE breaches SET rounds = $2 WHERE breach_id = $1`, id, round); err != nil {
			return fmt.Errorf("breach %s: round: %w", id, err)
		}
		for i, a := range affected {
			if err := appendOutbox(ctx, tx, notice(b, a, round, now)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE breach_tenants SET notified_round = $3, notified_at = $4
				WHERE breach_id = $1 AND tenant_id = $2`, id, a.TenantID, round, now); err != nil {
				return fmt.Errorf("breach %s: mark %s notified: %w", id, a.TenantID, err)
			}
			affected[i].NotifiedRound, affected[i].NotifiedAt = round, &now
		}
		// Audit entries last: each takes its tenant's chain lock until commit.
		for _, a := range affected {
			if err := appendAudit(ctx, tx, idv.AuditEntry{TenantID: a.TenantID, At: now, Actor: idv.ActorOf(ctx, idv.ActorOperator),
				Action: idv.AuditBreachNotified, Detail: map[string]string{"breach_id": id.String(), "round": strconv.Itoa(round),
					"sessions": strconv.Itoa(a.Sessions), "categories": strings.Join(a.Categories, ",")}}); err != nil {
				return err
			}
		}
		return nil
	})
	return round, affected, err
}

// List returns the register, newest first, with whom each breach touches.
func (s *Breaches) List(ctx context.Context) ([]idv.Breach, map[uuid.UUID][]idv.Affected, error) {
	var out []idv.Breach
	affected := map[uuid.UUID][]idv.Affected{}
	err := inTx(ctx, s.db, systemScope, func(tx *sqlx.Tx) error {
		var rows []breachRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+breachColumns+` FROM breaches ORDER BY opened_at DESC`); err != nil {
			return fmt.Errorf("breaches: list: %w", err)
		}
		out = make([]idv.Breach, 0, len(rows))
		for _, r := range rows {
			out = append(out, r.breach())
			a, err := affectedOf(ctx, tx, r.ID)
			if err != nil {
				return err
			}
			affected[r.ID] = a
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, affected, nil
}

// Unnotified counts the breaches opened before now − within that still
// have an affected tenant never notified: with within = 24 h, the breaches
// past the agreement's deadline.
func (s *Breaches) Unnotified(ctx context.Context, now time.Time, within time.Duration) (int, error) {
	var n int
	if err := scopedGet(ctx, s.db, systemScope, &n, `SELECT count(*) FROM breaches b WHERE b.opened_at < $1
		AND EXISTS (SELECT 1 FROM breach_tenants t WHERE t.breach_id = b.breach_id AND t.notified_round = 0)`,
		now.Add(-within)); err != nil {
		return 0, fmt.Errorf("breaches: unnotified: %w", err)
	}
	return n, nil
}
