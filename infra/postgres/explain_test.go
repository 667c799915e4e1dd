package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgcount"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// explainRows is how many sessions per tenant the plan test seeds: enough
// that a sequential scan of a big table costs more than an index lookup.
const explainRows = 5000

// bigTables are the tables that grow with verifications: a hot query must
// not scan one of them whole.
var bigTables = []string{"sessions", "session_keys", "captures", "check_results", "outbox", "api_keys", "deletion_receipts"}

// TestHotQueriesUseIndexes runs the hot store methods — the session read
// (customer and app), the results, the wipe's session read, the
// decision's look at a session and its results, the API key
// lookup, the relay's outbox claim and the retention sweep's claim —
// through a counting pool, then EXPLAINs each statement they sent, as it
// was sent (its text and arguments, in the scope its transaction set:
// row-level security changes plans), on a database holding
// 4 × explainRows sessions with their keys, captures, results and
// published events; none may scan a big table sequentially.
func TestHotQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	owner, url := pgtest.NewDBURL(t, schemas.MainMigrations())
	f := &wipeFixture{db: owner, now: time.Now().UTC().Truncate(time.Microsecond)}
	var tenants []uuid.UUID
	var probe uuid.UUID
	for range 4 {
		tenant := f.newTenant(t)
		tenants = append(tenants, tenant)
		probe = f.newSession(t, tenant)
		seedSessions(t, owner, tenant, explainRows)
	}
	tenant := tenants[len(tenants)-1]
	if _, err := owner.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	c := pgcount.New()
	db, err := postgres.OpenApp(ctx, url, postgres.WithTap(c.Tap("main")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var keyID string
	if err := owner.GetContext(ctx, &keyID, `SELECT key_id FROM api_keys WHERE tenant_id = $1`, tenant); err != nil {
		t.Fatal(err)
	}
	sessions, results, wipes := postgres.NewSessions(db), postgres.NewResults(db), postgres.NewWipes(db)
	calls := map[string]func() error{
		"Sessions.Get":         func() error { _, err := sessions.Get(ctx, tenant, probe); return err },
		"Sessions.GetForApp":   func() error { _, err := sessions.GetForApp(ctx, probe); return err },
		"Results.List":         func() error { _, err := results.List(ctx, tenant, probe); return err },
		"Wipes.SessionForWipe": func() error { _, err := wipes.SessionForWipe(ctx, tenant, probe); return err },
		"Decisions.Decide": func() error {
			// The probe is not submitted: Decide looks at it and its
			// results, the statement of every check's event, and refuses.
			_, err := postgres.NewDecisions(db).Decide(ctx, tenant, probe, f.now, idv.DecideByOutcomes(tenant, probe, f.now))
			if errors.Is(err, idv.ErrConflict) {
				return nil
			}
			return err
		},
		"Tenants.APIKey": func() error { _, err := postgres.NewTenants(db).APIKey(ctx, keyID); return err },
		"Outbox.PublishBatch": func() error {
			_, _, err := postgres.NewOutbox(db).PublishBatch(ctx, 10, func(context.Context, idv.OutboxRow) error { return nil })
			return err
		},
		"Retention.ClaimExpired": func() error {
			_, err := postgres.NewRetention(db).ClaimExpired(ctx, f.now, 10, idv.Sweep)
			return err
		},
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range calls {
			if !yield(k) {
				return
			}
		}
	}) {
		c.Reset()
		if err := calls[name](); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		explained := 0
		for _, tx := range c.Txs() {
			for i, q := range tx.Queries {
				if !explainable(q) {
					continue
				}
				explained++
				plan := explain(t, owner, scopeOf(tx.Queries), q, tx.Args[i])
				if scans := seqScans(plan); len(scans) > 0 {
					t.Errorf("%s scans %v whole:\n%s\nplan: %s", name, scans, q, plan)
					return
				}
			}
		}
		if explained == 0 {
			t.Errorf("%s: no statement to explain was sent", name)
		}
		t.Logf("%s: %d statements explained, no sequential scan of a big table", name, explained)
	}
}

// seedSessions adds n decided sessions of tenant with a key, three
// captures, a document result and a published event each, a deletion
// receipt for those over two days old (most), and n/10 revoked API keys,
// in a few statements.
func seedSessions(t *testing.T, db *sqlx.DB, tenant uuid.UUID, n int) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO sessions (session_id, tenant_id, status, checks, selfie_frames, retention_days, created_at, expires_at,
			app_token_hash, app_token_expires_at, submitted_at)
		SELECT gen_random_uuid(), $1, 'decided', '{document}', 2, 7, c, date_trunc('hour', c + interval '168 hours', 'UTC'),
			sha256(random()::text::bytea), c + interval '1 hour', c
		FROM (SELECT now() - (g * interval '1 minute') AS c FROM generate_series(1, $2) g) s`,
		`INSERT INTO session_keys (session_id, tenant_id, epoch, public_key, wrapped_key)
		SELECT session_id, tenant_id, expires_at, sha256(session_id::text::bytea), sha256(session_id::text::bytea)
		FROM sessions WHERE tenant_id = $1 AND session_id NOT IN (SELECT session_id FROM session_keys)`,
		`INSERT INTO captures (session_id, tenant_id, kind, idx, object_key, size, sha256)
		SELECT session_id, tenant_id, k, 0, tenant_id || '/' || session_id || '/' || k, 2048, sha256(session_id::text::bytea)
		FROM sessions, unnest(ARRAY['document_front', 'selfie', 'mrz']) k WHERE tenant_id = $1 ON CONFLICT DO NOTHING`,
		`INSERT INTO api_keys (key_id, tenant_id, secret_hash, created_at, revoked_at)
		SELECT 'seed' || g || substr(md5($1::uuid::text), 1, 8), $1::uuid, sha256(g::text::bytea), now(), now()
		FROM generate_series(1, $2::int / 10) g`,
		`INSERT INTO check_results (session_id, tenant_id, check_name, outcome, engine)
		SELECT session_id, tenant_id, 'document', 'passed', 'seed/1' FROM sessions
		WHERE tenant_id = $1 ON CONFLICT DO NOTHING`,
		`INSERT INTO deletion_receipts (receipt_id, tenant_id, session_id, statement, signature, key_id)
		SELECT gen_random_uuid(), tenant_id, session_id, '{}', sha512(session_id::text::bytea), 'seed'
		FROM sessions WHERE tenant_id = $1 AND created_at < now() - interval '2 days'
		ON CONFLICT DO NOTHING`,
		`INSERT INTO outbox (tenant_id, msg_id, type, subject, body, published_at)
		SELECT tenant_id, 'seed-' || session_id, 'idv.session.decided', 'idv.session.decided.' || session_id, '{}', now()
		FROM sessions WHERE tenant_id = $1`,
	} {
		args := []any{tenant}
		if strings.Contains(q, "$2") {
			args = append(args, n)
		}
		if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
			t.Fatalf("seed: %v\n%s", err, q)
		}
	}
}

// explainable reports whether q is a statement of the store's own (not the
// scope's entry, nor a notify).
func explainable(q string) bool {
	q = strings.TrimSpace(q)
	return !strings.HasPrefix(q, "SET LOCAL ") && !strings.HasPrefix(q, "SELECT pg_notify") &&
		!strings.HasPrefix(q, "NOTIFY")
}

// scopeOf is the transaction's scope entry, which names its role
// and tenant, or "" for a statement sent outside one.
func scopeOf(queries []string) string {
	for _, q := range queries {
		if strings.HasPrefix(strings.TrimSpace(q), "SET LOCAL ") {
			return q
		}
	}
	return ""
}

// explain is the JSON plan of q with args, in the scope set by the
// entry scope, in a transaction rolled back after.
func explain(t *testing.T, db *sqlx.DB, scope, q string, args []any) string {
	t.Helper()
	tx, err := db.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if scope != "" {
		if _, err := tx.ExecContext(t.Context(), scope); err != nil {
			t.Fatal(err)
		}
	}
	var plan string
	if err := tx.GetContext(t.Context(), &plan, `EXPLAIN (FORMAT JSON) `+q, args...); err != nil {
		t.Fatalf("explain: %v\n%s", err, q)
	}
	return plan
}

// seqScans lists the big tables plan scans sequentially.
func seqScans(plan string) []string {
	var root []map[string]any
	if err := json.Unmarshal([]byte(plan), &root); err != nil {
		return []string{fmt.Sprintf("(plan does not parse: %v)", err)}
	}
	var found []string
	var walk func(node map[string]any)
	walk = func(node map[string]any) {
		if node["Node Type"] == "Seq Scan" {
			if rel, _ := node["Relation Name"].(string); slices.Contains(bigTables, rel) {
				found = append(found, rel)
			}
		}
		children, _ := node["Plans"].([]any)
		for _, ch := range children {
			if m, ok := ch.(map[string]any); ok {
				walk(m)
			}
		}
	}
	for _, r := range root {
		if p, ok := r["Plan"].(map[string]any); ok {
			walk(p)
		}
	}
	return found
}
