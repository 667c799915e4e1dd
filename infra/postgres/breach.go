package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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

// ErrBreachIncomplete: a notice lacks one of the contents art. 33(3) asks for.
var ErrBreachIncomplete = errors.New("breach: notice incomplete")

// Breach is an entry of the breach register (migration 012).
type Breach struct {
	ID           uuid.UUID
	OpenedAt     time.Time
	WindowStart  time.Time
	WindowEnd    time.Time
	Tenants      []uuid.UUID // nil: every tenant
	Stages       []string
	Nature       string
	Consequences string
	Measures     string
	Contact      string
	UpdatedAt    time.Time
	Rounds       int
}

// Validate checks a breach's scope and texts.
func (b Breach) Validate() error {
	switch {
	case !b.WindowEnd.After(b.WindowStart):
		return fmt.Errorf("breach: the window must end after it starts")
	case strings.TrimSpace(b.Nature) == "" || len(b.Nature) > 4000:
		return fmt.Errorf("breach: nature must be 1 to 4000 characters")
	case strings.TrimSpace(b.Contact) == "" || len(b.Contact) > 500:
		return fmt.Errorf("breach: a contact point of 1 to 500 characters is required")
	case len(b.Consequences) > 4000 || len(b.Measures) > 4000:
		return fmt.Errorf("breach: consequences and measures are at most 4000 characters")
	}
	if err := schemas.ValidateBreachStages(b.Stages); err != nil {
		return fmt.Errorf("breach: %w", err)
	}
	return nil
}

// Affected is what a breach touched of one tenant, computed from IDV's
// records.
type Affected struct {
	TenantID      uuid.UUID  `db:"tenant_id"`
	Sessions      int        `db:"sessions"` // sessions alive in the window ≈ data subjects
	Categories    []string   `db:"-"`
	NotifiedRound int        `db:"notified_round"`
	NotifiedAt    *time.Time `db:"notified_at"`
}

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

func (r breachRow) breach() Breach {
	b := Breach{ID: r.ID, OpenedAt: r.OpenedAt.UTC(), WindowStart: r.WindowStart.UTC(), WindowEnd: r.WindowEnd.UTC(),
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
func (s *Breaches) Open(ctx context.Context, b Breach) (Breach, []Affected, error) {
	if err := b.Validate(); err != nil {
		return b, nil, err
	}
	b.ID = uuid.New()
	b.OpenedAt = b.OpenedAt.UTC().Truncate(time.Microsecond)
	b.UpdatedAt = b.OpenedAt
	var affected []Affected
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
func (s *Breaches) Update(ctx context.Context, id uuid.UUID, now time.Time, change func(*Breach)) (Breach, []Affected, error) {
	var b Breach
	var affected []Affected
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

func lockBreach(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) (Breach, error) {
	var r breachRow
	err := tx.GetContext(ctx, &r, `SELECT `+breachColumns+` FROM breaches WHERE breach_id = $1 FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Breach{}, fmt.Errorf("breach %s: %w", id, idv.ErrNotFound)
	}
	if err != nil {
		return Breach{}, fmt.Errorf("breach %s: %w", id, err)
	}
	return r.breach(), nil
}

// assess computes, from the sessions alive at any time in the window, each
// tenant in scope's approximate number of data subjects (one per session)
// and categories of data, and stores them.
func assess(ctx context.Context, tx *sqlx.Tx, b Breach) ([]Affected, error) {
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

func affectedOf(ctx context.Context, q sqlx.QueryerContext, id uuid.UUID) ([]Affected, error) {
	var rows []struct {
		Affected
		Categories pq.StringArray `db:"categories"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT tenant_id, sessions, categories, notified_round, notified_at
		FROM breach_tenants WHERE breach_id = $1 ORDER BY tenant_id`, id); err != nil {
		return nil, fmt.Errorf("breach %s: affected: %w", id, err)
	}
	out := make([]Affected, len(rows))
	for i, r := range rows {
		out[i] = r.Affected
		out[i].Categories = []string(r.Categories)
	}
	return out, nil
}

// Notify sends the breach's next notice round to every affected tenant:
// per tenant, in the same transaction, an idv.breach.notified event (the
// notify stage delivers it as a breach.notified webhook) and a
// breach_notified audit entry. It refuses a notice without nature,
// consequences, measures and contact (ErrBreachIncomplete). It returns the
// round and the tenants notified.
func (s *Breaches) Notify(ctx context.Context, id uuid.UUID, now time.Time, notice func(schemas.BreachNotified) idv.Event) (int, []Affected, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var round int
	var affected []Affected
	err := inOutboxTx(ctx, s.db, systemScope, func(tx *sqlx.Tx) error {
		b, err := lockBreach(ctx, tx, id)
		if err != nil {
			return err
		}
		var missing []string
		for name, v := range map[string]string{"nature": b.Nature, "consequences": b.Consequences,
			"measures": b.Measures, "contact": b.Contact} {
			if strings.TrimSpace(v) == "" {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: set %s first (breach update)", ErrBreachIncomplete, strings.Join(missing, ", "))
		}
		if affected, err = affectedOf(ctx, tx, id); err != nil {
			return err
		}
		round = b.Rounds + 1
		if _, err := tx.ExecContext(ctx, `UPDATE breaches SET rounds = $2 WHERE breach_id = $1`, id, round); err != nil {
			return fmt.Errorf("breach %s: round: %w", id, err)
		}
		for i, a := range affected {
			ev := schemas.BreachNotified{BreachID: id.String(), TenantID: a.TenantID.String(), Round: round,
				Nature: b.Nature, Consequences: b.Consequences, Measures: b.Measures, Contact: b.Contact,
				Categories: append([]string{}, a.Categories...), Subjects: a.Sessions, Stages: b.Stages,
				WindowStart: b.WindowStart, WindowEnd: b.WindowEnd, DetectedAt: b.OpenedAt, NotifiedAt: now}
			if err := appendOutbox(ctx, tx, notice(ev)); err != nil {
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
func (s *Breaches) List(ctx context.Context) ([]Breach, map[uuid.UUID][]Affected, error) {
	var out []Breach
	affected := map[uuid.UUID][]Affected{}
	err := inTx(ctx, s.db, systemScope, func(tx *sqlx.Tx) error {
		var rows []breachRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+breachColumns+` FROM breaches ORDER BY opened_at DESC`); err != nil {
			return fmt.Errorf("breaches: list: %w", err)
		}
		out = make([]Breach, 0, len(rows))
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
