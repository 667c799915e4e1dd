package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// Subprocessors remembers which register entries were announced to which
// tenants and records the tenants' objections (migration 010).
type Subprocessors struct{ db *sqlx.DB }

// NewSubprocessors returns the store over db.
func NewSubprocessors(db *sql.DB) *Subprocessors { return &Subprocessors{db: wrap(db)} }

// Sync announces every entry of the register not seen before to every
// tenant: for each tenant, in one transaction, the announcement row, an
// idv.subprocessor.announced event in the outbox and a
// subprocessor_announced audit entry. An entry seen before is not
// announced again. A crash part-way is finished by the next Sync (the
// entry is marked seen only once every tenant has its announcement). It
// returns how many announcements it made. Finding the entries not yet
// announced and the tenants still to hear of one looks across tenants:
// system scope; each announcement is in the scope of its tenant.
func (s *Subprocessors) Sync(ctx context.Context, register []schemas.Subprocessor, now time.Time, announcement Announcement) (int, error) {
	now = now.UTC().Truncate(time.Microsecond) // as stored, so the event and the row say the same
	n := 0
	for _, sp := range register {
		var seen bool
		if err := scopedGet(ctx, s.db, systemScope, &seen, `SELECT EXISTS (SELECT 1 FROM subprocessors_seen
			WHERE subprocessor_id = $1 AND seen_at IS NOT NULL)`, sp.ID); err != nil {
			return n, fmt.Errorf("subprocessors: %s: %w", sp.ID, err)
		}
		if seen {
			continue
		}
		var tenants []uuid.UUID
		if err := scopedSelect(ctx, s.db, systemScope, &tenants, `SELECT tenant_id FROM tenants t WHERE NOT EXISTS (
			SELECT 1 FROM subprocessor_announcements a WHERE a.tenant_id = t.tenant_id AND a.subprocessor_id = $1)
			ORDER BY tenant_id`, sp.ID); err != nil {
			return n, fmt.Errorf("subprocessors: tenants for %s: %w", sp.ID, err)
		}
		for _, t := range tenants {
			made, err := s.announce(ctx, sp, t, now, announcement)
			if err != nil {
				return n, err
			}
			if made {
				n++
			}
		}
		if _, err := scopedExec(ctx, s.db, systemScope, `INSERT INTO subprocessors_seen (subprocessor_id, effective_date, seen_at)
			VALUES ($1, $2, $3) ON CONFLICT (subprocessor_id) DO UPDATE SET seen_at = $3`,
			sp.ID, sp.EffectiveDate, now); err != nil {
			return n, fmt.Errorf("subprocessors: mark %s seen: %w", sp.ID, err)
		}
	}
	return n, nil
}

// Announcement builds the event announcing sub-processor id to one tenant
// (idv.SubprocessorAnnouncedEvent).
type Announcement func(id string, tenant uuid.UUID, effectiveDate string, at time.Time) idv.Event

// announce announces sp to one tenant; false when another Sync (a replica
// starting at the same time) already did.
func (s *Subprocessors) announce(ctx context.Context, sp schemas.Subprocessor, tenant uuid.UUID, now time.Time, announcement Announcement) (bool, error) {
	made := false
	err := inOutboxTx(ctx, s.db, tenantScope(tenant), func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO subprocessors_seen (subprocessor_id, effective_date, seen_at)
			VALUES ($1, $2, NULL) ON CONFLICT (subprocessor_id) DO NOTHING`, sp.ID, sp.EffectiveDate); err != nil {
			return fmt.Errorf("subprocessors: note %s: %w", sp.ID, err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO subprocessor_announcements
			(subprocessor_id, tenant_id, effective_date, announced_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, sp.ID, tenant, sp.EffectiveDate, now)
		if err != nil {
			return fmt.Errorf("subprocessors: announce %s to %s: %w", sp.ID, tenant, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		made = true
		if err := appendOutbox(ctx, tx, announcement(sp.ID, tenant, sp.EffectiveDate, now)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: tenant, At: now, Actor: idv.ActorOf(ctx, idv.ActorOperator),
			Action: idv.AuditSubprocessorAnnounced,
			Detail: map[string]string{"subprocessor_id": sp.ID, "effective_date": sp.EffectiveDate}})
	})
	return made && err == nil, err
}

// Object records a tenant's objection and its audit entry in one
// transaction. A tenant objects to an entry once: a second objection
// returns the first (created false).
func (s *Subprocessors) Object(ctx context.Context, o idv.Objection) (idv.Objection, bool, error) {
	created := false
	var stored idv.Objection
	err := inTx(ctx, s.db, tenantScope(o.TenantID), func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO subprocessor_objections
			(objection_id, tenant_id, subprocessor_id, reason, objected_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, subprocessor_id) DO NOTHING`, o.ID, o.TenantID, o.SubprocessorID, o.Reason, o.ObjectedAt)
		if err != nil {
			return fmt.Errorf("subprocessors: object %s: %w", o.SubprocessorID, err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			created = true
			if err := appendAudit(ctx, tx, idv.AuditEntry{TenantID: o.TenantID, At: o.ObjectedAt, Actor: idv.ActorOf(ctx, idv.ActorUnknown),
				Action: idv.AuditSubprocessorObjection,
				Detail: map[string]string{"subprocessor_id": o.SubprocessorID, "objection_id": o.ID.String()}}); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT objection_id, tenant_id, subprocessor_id, reason, objected_at
			FROM subprocessor_objections WHERE tenant_id = $1 AND subprocessor_id = $2`, o.TenantID, o.SubprocessorID).Scan(
			&stored.ID, &stored.TenantID, &stored.SubprocessorID, &stored.Reason, &stored.ObjectedAt); err != nil {
			return fmt.Errorf("subprocessors: read objection: %w", err)
		}
		return nil
	})
	if err != nil {
		return idv.Objection{}, false, err
	}
	return stored, created, nil
}

// ForTenant returns, by sub-processor id, the tenant's announcements and
// objections.
func (s *Subprocessors) ForTenant(ctx context.Context, tenantID uuid.UUID) (map[string]idv.TenantView, error) {
	var rows []struct {
		ID        string       `db:"subprocessor_id"`
		Announced sql.NullTime `db:"announced_at"`
		Objected  sql.NullTime `db:"objected_at"`
	}
	if err := scopedSelect(ctx, s.db, tenantScope(tenantID), &rows, `SELECT coalesce(a.subprocessor_id, o.subprocessor_id) AS subprocessor_id,
		a.announced_at, o.objected_at
		FROM subprocessor_announcements a FULL JOIN subprocessor_objections o
		  ON a.tenant_id = o.tenant_id AND a.subprocessor_id = o.subprocessor_id
		WHERE coalesce(a.tenant_id, o.tenant_id) = $1`, tenantID); err != nil {
		return nil, fmt.Errorf("subprocessors: views of %s: %w", tenantID, err)
	}
	out := map[string]idv.TenantView{}
	for _, r := range rows {
		var v idv.TenantView
		if r.Announced.Valid {
			t := r.Announced.Time.UTC()
			v.AnnouncedAt = &t
		}
		if r.Objected.Valid {
			t := r.Objected.Time.UTC()
			v.ObjectedAt = &t
		}
		out[r.ID] = v
	}
	return out, nil
}

// Counts returns the counts of every entry ever announced or objected to,
// by sub-processor id, across tenants: the operator's view (system scope).
func (s *Subprocessors) Counts(ctx context.Context) (map[string]idv.RegisterCounts, error) {
	var rows []struct {
		ID         string `db:"subprocessor_id"`
		Announced  int    `db:"announced"`
		Objections int    `db:"objections"`
	}
	if err := scopedSelect(ctx, s.db, systemScope, &rows, `SELECT subprocessor_id, sum(a)::int AS announced, sum(o)::int AS objections FROM (
			SELECT subprocessor_id, 1 AS a, 0 AS o FROM subprocessor_announcements
			UNION ALL SELECT subprocessor_id, 0, 1 FROM subprocessor_objections) x GROUP BY subprocessor_id`); err != nil {
		return nil, fmt.Errorf("subprocessors: counts: %w", err)
	}
	out := map[string]idv.RegisterCounts{}
	for _, r := range rows {
		out[r.ID] = idv.RegisterCounts{Announced: r.Announced, Objections: r.Objections}
	}
	return out, nil
}
