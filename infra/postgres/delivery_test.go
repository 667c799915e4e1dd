package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
)

// Webhook attempts of one tenant recorded while one of its batches waits
// (here: on a delivered record of the same webhook id, uncommitted in the
// test's transaction) go in together with the next batch, in one INSERT:
// every attempt is stored as given (an absent session, status and error
// code as NULL), a webhook is recorded as delivered once, and each call
// returns its own outcome.
func TestRecordAttemptsTogether(t *testing.T) {
	t.Parallel()
	f := setupWipes(t)
	ctx := t.Context()
	counted, count := countedPool(t, f.url, "main")
	deliveries := postgres.NewDeliveries(counted)
	attempt := func(webhook, outcome string, status int, code string, session uuid.UUID) idv.DeliveryAttempt {
		return idv.DeliveryAttempt{TenantID: f.tenant, SessionID: session, WebhookID: webhook, EventType: "session.decided",
			Attempt: 1, StatusCode: status, Outcome: outcome, ErrorCode: code, Duration: 12 * time.Millisecond}
	}
	calls := []idv.DeliveryAttempt{
		attempt("wh-held", idv.DeliveryDelivered, 200, "", f.session),
		attempt("wh-a", idv.DeliveryDelivered, 204, "", f.session),
		attempt("wh-b", idv.DeliveryFailed, 0, "timeout", uuid.Nil),
		attempt("wh-a", idv.DeliveryDelivered, 200, "", f.session), // a racing second delivery
		attempt("wh-c", idv.DeliveryFailed, 503, "", f.session),
	}

	hold, err := f.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	var xid string
	if err := hold.GetContext(ctx, &xid, `INSERT INTO webhook_deliveries
		(tenant_id, webhook_id, event_type, attempt, outcome, duration_ms)
		VALUES ($1, 'wh-held', 'session.decided', 1, 'delivered', 1) RETURNING pg_current_xact_id()::text`, f.tenant); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, len(calls))
	queueBehind(t, hold, len(calls), func(i int) { errs[i] = deliveries.RecordAttempt(ctx, calls[i]) },
		func() bool { return f.count(t, lockWaiters, xid) > 0 },
		func() int { return postgres.AttemptsQueued(deliveries, f.tenant) }, nil)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		query string
		want  int
	}{
		{`SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1`, 4},
		{`SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = 'wh-held' AND status_code = 200`, 1},
		{`SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = 'wh-a' AND outcome = 'delivered'`, 1},
		{`SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = 'wh-b' AND session_id IS NULL
			AND status_code IS NULL AND error_code = 'timeout' AND outcome = 'failed' AND duration_ms = 12`, 1},
		{`SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = 'wh-c' AND status_code = 503
			AND error_code IS NULL AND session_id IS NOT NULL`, 1},
	} {
		if got := f.count(t, c.query, f.tenant); got != c.want {
			t.Errorf("%s: %d, want %d", c.query, got, c.want)
		}
	}
	// Two batches, each: BEGIN with its scope's two SET LOCALs (3), the
	// INSERT, COMMIT.
	assertBatches(t, count, nil, 2, 5)
}
