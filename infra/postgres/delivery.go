package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/idv-oss/idv"
)

// Deliveries stores webhook delivery attempts and the webhook state of
// tenants.
type Deliveries struct {
	db *sqlx.DB
	// recording groups the RecordAttempt calls of one tenant that arrive
	// while one of its batches runs.
	recording tenantBatches[idv.DeliveryAttempt]
}

// NewDeliveries returns the delivery store over db.
func NewDeliveries(db *sql.DB) *Deliveries { return &Deliveries{db: wrap(db)} }

// RecordAttempt appends an attempt. A webhook is recorded as delivered at
// most once (unique index webhook_delivered_once): recording a second
// delivery of the same webhook id, as two racing workers could, is a no-op.
// The calls of one tenant that arrive while one of its batches runs are
// recorded together by the next, in one INSERT (batches.go); each returns
// once its record has committed.
func (s *Deliveries) RecordAttempt(ctx context.Context, a idv.DeliveryAttempt) error {
	sc := tenantScope(a.TenantID)
	return s.recording.do(ctx, a.TenantID, a, func(ctx context.Context, batch []idv.DeliveryAttempt) []error {
		err := inTx(ctx, s.db, sc, func(tx *sqlx.Tx) error { return insertAttempts(ctx, tx, a.TenantID, batch) })
		return failAll(make([]error, len(batch)), err)
	})
}

// insertAttempts appends the tenant's attempts as within tx, in one
// statement.
func insertAttempts(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, as []idv.DeliveryAttempt) error {
	var (
		sessions              = make([]uuid.NullUUID, len(as))
		webhooks, types, outs = make([]string, len(as)), make([]string, len(as)), make([]string, len(as))
		codes                 = make([]sql.NullString, len(as))
		attempts, durations   = make([]int64, len(as)), make([]int64, len(as))
		statuses              = make([]sql.NullInt64, len(as))
	)
	for i, a := range as {
		if a.TenantID != tenantID {
			return fmt.Errorf("deliveries: record %s of tenant %s with those of %s", a.WebhookID, a.TenantID, tenantID)
		}
		sessions[i] = uuid.NullUUID{UUID: a.SessionID, Valid: a.SessionID != uuid.Nil}
		webhooks[i], types[i], outs[i] = a.WebhookID, a.EventType, a.Outcome
		codes[i] = sql.NullString{String: a.ErrorCode, Valid: a.ErrorCode != ""}
		attempts[i], durations[i] = int64(max(a.Attempt, 1)), a.Duration.Milliseconds()
		statuses[i] = sql.NullInt64{Int64: int64(a.StatusCode), Valid: a.StatusCode != 0}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries
		(tenant_id, session_id, webhook_id, event_type, attempt, status_code, outcome, error_code, duration_ms)
		SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::integer[], $6::integer[], $7::text[],
			$8::text[], $9::integer[])
		ON CONFLICT (webhook_id) WHERE outcome = 'delivered' DO NOTHING`,
		tenantID, pq.Array(sessions), pq.Array(webhooks), pq.Array(types), pq.Array(attempts), pq.Array(statuses),
		pq.Array(outs), pq.Array(codes), pq.Array(durations)); err != nil {
		if len(as) == 1 {
			return fmt.Errorf("deliveries: record %s attempt %d: %w", as[0].WebhookID, as[0].Attempt, err)
		}
		return fmt.Errorf("deliveries: record %d attempts (%s first): %w", len(as), as[0].WebhookID, err)
	}
	return nil
}

// RefuseDelivery records a delivery the address rules refused (a's outcome
// refused, its error code an idv.Refusal… code), in one transaction: the
// attempt, the endpoint's last refusal (GET /v1/webhook) and the tenant's
// audit entry webhook_delivery_refused by system:notify, whose detail names
// the webhook-id, event type and code, so the tenant can tell which
// webhooks it will not get.
func (s *Deliveries) RefuseDelivery(ctx context.Context, a idv.DeliveryAttempt, at time.Time) error {
	if a.Outcome != idv.DeliveryRefused || !slices.Contains(idv.DeliveryRefusals, a.ErrorCode) {
		return fmt.Errorf("deliveries: refuse %s: outcome %q, code %q: not a refusal", a.WebhookID, a.Outcome, a.ErrorCode)
	}
	at = at.UTC().Truncate(time.Microsecond)
	return inTx(ctx, s.db, tenantScope(a.TenantID), func(tx *sqlx.Tx) error {
		if err := insertAttempts(ctx, tx, a.TenantID, []idv.DeliveryAttempt{a}); err != nil {
			return err
		}
		n, err := execCount(ctx, tx, `UPDATE tenants SET webhook_refused_at = $2, webhook_refusal = $3
			WHERE tenant_id = $1`, a.TenantID, at, a.ErrorCode)
		if err != nil {
			return fmt.Errorf("deliveries: record refusal of %s: %w", a.TenantID, err)
		}
		if n == 0 {
			return fmt.Errorf("deliveries: tenant %s: %w", a.TenantID, idv.ErrNotFound)
		}
		return appendAudit(ctx, tx, idv.AuditEntry{TenantID: a.TenantID, At: at, Actor: idv.ActorNotify,
			Action: idv.AuditWebhookDeliveryRefused, SessionID: a.SessionID, Detail: map[string]string{
				"webhook_id": a.WebhookID, "event_type": a.EventType, "code": a.ErrorCode}})
	})
}

// Plan reads, in one statement, what the notifier needs before it sends
// the tenant's webhook webhookID at now: whether it was delivered, the
// tenant's endpoint, sealed secret, disabled time and policy, and the
// rotated-out secrets whose end is after now, newest first (a secret
// whose end has passed is never returned, whether or not a rotation has
// deleted it yet). ErrNotFound: no such tenant.
func (s *Deliveries) Plan(ctx context.Context, tenantID uuid.UUID, webhookID string, now time.Time) (idv.DeliveryPlan, error) {
	var row struct {
		URL        string        `db:"webhook_url"`
		Secret     []byte        `db:"webhook_secret_sealed"`
		DisabledAt *time.Time    `db:"webhook_disabled_at"`
		Policy     []byte        `db:"policy"`
		Delivered  bool          `db:"delivered"`
		Retiring   pq.ByteaArray `db:"retiring"`
	}
	err := scopedGet(ctx, s.db, tenantScope(tenantID), &row, `SELECT t.webhook_url, t.webhook_secret_sealed,
			t.webhook_disabled_at, t.policy,
			EXISTS (SELECT 1 FROM webhook_deliveries d
				WHERE d.tenant_id = t.tenant_id AND d.webhook_id = $2 AND d.outcome = 'delivered') AS delivered,
			ARRAY(SELECT r.secret_sealed FROM webhook_secrets_retiring r
				WHERE r.tenant_id = t.tenant_id AND r.ends_at > $3 ORDER BY r.retired_at DESC) AS retiring
		FROM tenants t WHERE t.tenant_id = $1`, tenantID, webhookID, now)
	if err != nil {
		return idv.DeliveryPlan{}, rowErr(err, "deliveries: tenant %s", "deliveries: plan for %s", tenantID)
	}
	p := idv.DeliveryPlan{Delivered: row.Delivered, Retiring: row.Retiring,
		Target: idv.WebhookTarget{URL: row.URL, SecretSealed: row.Secret, DisabledAt: row.DisabledAt}}
	if err := json.Unmarshal(row.Policy, &p.Target.Policy); err != nil {
		return idv.DeliveryPlan{}, fmt.Errorf("deliveries: policy of %s: %w", tenantID, err)
	}
	return p, nil
}

// DisableWebhook stops deliveries to the tenant's endpoint (it answered 410
// Gone). Disabling twice keeps the first time.
func (s *Deliveries) DisableWebhook(ctx context.Context, tenantID uuid.UUID) error {
	res, err := scopedExec(ctx, s.db, tenantScope(tenantID), `UPDATE tenants SET webhook_disabled_at = COALESCE(webhook_disabled_at, now())
		WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return fmt.Errorf("deliveries: disable webhook of %s: %w", tenantID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("deliveries: tenant %s: %w", tenantID, idv.ErrNotFound)
	}
	return nil
}
