package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
)

// A tenant's webhook endpoint (issue 17 point 4): its URL changes and the
// rotation of its secret, each recorded in the tenant's audit log in the
// same transaction (actor from idv.WithActor). A rotated-out secret is kept
// sealed in webhook_secrets_retiring until its end; the notifier reads it
// beside the current one while the end is ahead (Deliveries.Plan).

// Webhook reads the tenant's endpoint as of now: its URL, whether it is
// disabled and the end of the latest overlap still running.
func (s *Tenants) Webhook(ctx context.Context, id uuid.UUID, now time.Time) (idv.WebhookEndpoint, error) {
	var row struct {
		URL          string         `db:"webhook_url"`
		DisabledAt   *time.Time     `db:"webhook_disabled_at"`
		RefusedAt    *time.Time     `db:"webhook_refused_at"`
		Refusal      sql.NullString `db:"webhook_refusal"`
		OverlapUntil *time.Time     `db:"overlap_until"`
	}
	err := scopedGet(ctx, s.db, tenantScope(id), &row, `SELECT webhook_url, webhook_disabled_at, webhook_refused_at, webhook_refusal,
		(SELECT max(r.ends_at) FROM webhook_secrets_retiring r WHERE r.tenant_id = t.tenant_id AND r.ends_at > $2) AS overlap_until
		FROM tenants t WHERE tenant_id = $1`, id, now)
	if err != nil {
		return idv.WebhookEndpoint{}, rowErr(err, "tenants: %s", "tenants: webhook of %s", id)
	}
	e := idv.WebhookEndpoint{URL: row.URL, DisabledAt: utcPtr(row.DisabledAt), LastRefusedAt: utcPtr(row.RefusedAt),
		LastRefusal: row.Refusal.String, OverlapUntil: utcPtr(row.OverlapUntil)}
	return e, nil
}

// ChangeWebhookURL points the tenant's webhooks at url, re-enables an
// endpoint disabled by a 410, clears the last refusal when the URL differs,
// and records webhook_url_changed. The same URL
// on an enabled endpoint changes and records nothing (changed false). The
// URL is not in the audit detail: it may hold anything the tenant put in
// its path, and the detail holds ids and codes only.
func (s *Tenants) ChangeWebhookURL(ctx context.Context, id uuid.UUID, url string, now time.Time) (changed bool, err error) {
	err = inTx(ctx, s.db, tenantScope(id), func(tx *sqlx.Tx) error {
		var was struct {
			URL        string     `db:"webhook_url"`
			DisabledAt *time.Time `db:"webhook_disabled_at"`
		}
		// NO KEY UPDATE, as SetRetention: inserts referencing the tenant
		// need KEY SHARE on this row.
		err := tx.GetContext(ctx, &was, `SELECT webhook_url, webhook_disabled_at FROM tenants
			WHERE tenant_id = $1 FOR NO KEY UPDATE`, id)
		if err != nil {
			return rowErr(err, "tenants: %s", "tenants: lock %s", id)
		}
		if was.URL == url && was.DisabledAt == nil {
			return nil
		}
		// A refusal was of the old URL; the same URL re-enabled keeps it.
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET webhook_url = $2, webhook_disabled_at = NULL,
			webhook_refused_at = CASE WHEN webhook_url = $2 THEN webhook_refused_at END,
			webhook_refusal = CASE WHEN webhook_url = $2 THEN webhook_refusal END
			WHERE tenant_id = $1`, id, url); err != nil {
			return fmt.Errorf("tenants: change webhook URL of %s: %w", id, err)
		}
		changed = true
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: id, At: now, Actor: idv.ActorOf(ctx, idv.ActorUnknown),
			Action: idv.AuditWebhookURLChanged, Detail: map[string]string{
				"url_changed": strconv.FormatBool(was.URL != url), "reenabled": strconv.FormatBool(was.DisabledAt != nil)}})
	})
	return changed, err
}

// RotateWebhookSecret makes sealed (the new secret, sealed by the vault
// under schemas.WebhookSecretPurpose) the tenant's secret. The secret it
// replaces keeps signing, beside the new one, until now+overlap (overlap 0:
// it ends at once and is not kept). Retiring secrets whose end has passed
// are deleted here. Recorded as webhook_secret_rotated with the overlap's
// end. It returns that end (now when overlap is 0).
func (s *Tenants) RotateWebhookSecret(ctx context.Context, id uuid.UUID, sealed []byte, overlap time.Duration, now time.Time) (time.Time, error) {
	if overlap < 0 || overlap > idv.MaxWebhookSecretOverlap {
		return time.Time{}, fmt.Errorf("tenants: rotate webhook secret of %s: overlap %s, want 0 to %s: %w",
			id, overlap, idv.MaxWebhookSecretOverlap, idv.ErrKeyOverlap)
	}
	now = now.UTC().Truncate(time.Microsecond)
	until := now.Add(overlap)
	err := inTx(ctx, s.db, tenantScope(id), func(tx *sqlx.Tx) error {
		var old []byte
		err := tx.GetContext(ctx, &old, `SELECT webhook_secret_sealed FROM tenants WHERE tenant_id = $1 FOR NO KEY UPDATE`, id)
		if err != nil {
			return rowErr(err, "tenants: %s", "tenants: lock %s", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_secrets_retiring WHERE tenant_id = $1 AND ends_at <= $2`, id, now); err != nil {
			return fmt.Errorf("tenants: delete ended webhook secrets of %s: %w", id, err)
		}
		if overlap > 0 && len(old) > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_secrets_retiring (tenant_id, secret_sealed, retired_at, ends_at)
				VALUES ($1, $2, $3, $4)`, id, old, now, until); err != nil {
				return fmt.Errorf("tenants: keep webhook secret of %s: %w", id, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET webhook_secret_sealed = $2 WHERE tenant_id = $1`, id, sealed); err != nil {
			return fmt.Errorf("tenants: set webhook secret of %s: %w", id, err)
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: id, At: now, Actor: idv.ActorOf(ctx, idv.ActorUnknown),
			Action: idv.AuditWebhookSecretRotated, Detail: map[string]string{
				"overlap_seconds": strconv.FormatInt(int64(overlap/time.Second), 10),
				"old_secret_ends": until.Format(time.RFC3339)}})
	})
	if err != nil {
		return time.Time{}, err
	}
	return until, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
