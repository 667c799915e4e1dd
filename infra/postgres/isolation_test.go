package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

// isolation is a migrated main database holding two tenants with rows in
// every table that has a tenant_id, seen through two pools: owner, the
// migrating login (a superuser here, which row-level security does not
// hold), and app, opened as the services open theirs (postgres.OpenApp).
type isolation struct {
	owner, app *sqlx.DB
	a, b       uuid.UUID // tenants
	sessions   map[uuid.UUID]uuid.UUID
	tables     []string // every table with a tenant_id column
}

func setupIsolation(t testing.TB) *isolation {
	t.Helper()
	ctx := t.Context()
	owner, url := pgtest.NewDBURL(t, schemas.MainMigrations())
	app, err := postgres.OpenApp(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	iso := &isolation{owner: owner, app: sqlx.NewDb(app, "postgres"), sessions: map[uuid.UUID]uuid.UUID{}}
	if err := owner.SelectContext(ctx, &iso.tables, `SELECT c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`); err != nil {
		t.Fatal(err)
	}
	f := &wipeFixture{db: owner, now: time.Now().UTC().Truncate(time.Microsecond)}
	var breach uuid.UUID
	if err := owner.GetContext(ctx, &breach, `INSERT INTO breaches (breach_id, opened_at, window_start, window_end,
		stages, nature, contact, updated_at) VALUES (gen_random_uuid(), now(), now() - interval '1 day', now(),
		'{storage}', 'seed', 'dpo@example.test', now()) RETURNING breach_id`); err != nil {
		t.Fatal(err)
	}
	f.exec(t, `INSERT INTO subprocessors_seen (subprocessor_id, effective_date) VALUES ('seed-sp', '2026-01-01')`)
	for _, tenant := range []*uuid.UUID{&iso.a, &iso.b} {
		*tenant = f.newTenant(t)
		session := f.newSession(t, *tenant)
		iso.sessions[*tenant] = session
		iso.seed(t, f, *tenant, session, breach)
	}
	return iso
}

// seed gives the tenant a row in each table newSession leaves empty.
func (iso *isolation) seed(t testing.TB, f *wipeFixture, tenant, session, breach uuid.UUID) {
	t.Helper()
	f.exec(t, `INSERT INTO outbox (tenant_id, msg_id, type, subject, body) VALUES ($1, $2, 'seed', 'idv.seed', '{}')`,
		tenant, "seed-"+tenant.String())
	f.exec(t, `INSERT INTO webhook_deliveries (tenant_id, session_id, webhook_id, event_type, attempt, outcome, duration_ms)
		VALUES ($1, $2, $3, 'session.decided', 1, 'failed', 5)`, tenant, session, "wh-"+tenant.String())
	receipt := uuid.New()
	f.exec(t, `INSERT INTO deletion_receipts (receipt_id, tenant_id, session_id, statement, signature, key_id)
		VALUES ($4, $1, $2, '\x7b7d', $3, 'seed')`, tenant, session, randomBytes(64), receipt)
	f.exec(t, `INSERT INTO api_key_tombstones (key_id, tenant_id, secret_hash, created_at, offboarded_at)
		VALUES ($1, $2, $3, now(), now())`, "tomb-"+tenant.String(), tenant, randomBytes(32))
	f.exec(t, `INSERT INTO deletion_addenda (addendum_id, receipt_id, tenant_id, session_id, statement, signature, key_id)
		VALUES (gen_random_uuid(), $4, $1, $2, '\x7b7d', $3, 'seed')`, tenant, session, randomBytes(64), receipt)
	f.exec(t, `INSERT INTO subprocessor_announcements (subprocessor_id, tenant_id, effective_date, announced_at)
		VALUES ('seed-sp', $1, '2026-01-01', now())`, tenant)
	f.exec(t, `INSERT INTO subprocessor_objections (objection_id, tenant_id, subprocessor_id, objected_at)
		VALUES (gen_random_uuid(), $1, 'seed-sp', now())`, tenant)
	f.exec(t, `INSERT INTO support_grants (grant_id, tenant_id, support_user, reason, granted_at, expires_at)
		VALUES (gen_random_uuid(), $1, 'ann', 'seed', now(), now() + interval '1 hour')`, tenant)
	f.exec(t, `INSERT INTO breach_tenants (breach_id, tenant_id, sessions, categories) VALUES ($1, $2, 1, '{}')`, breach, tenant)
	f.exec(t, `INSERT INTO data_subject_requests (dsr_id, tenant_id, session_id, kind, received_at)
		VALUES (gen_random_uuid(), $1, $2, 'access', now())`, tenant, session)
	f.exec(t, `INSERT INTO tenant_offboardings (tenant_id, started_at) VALUES ($1, now())`, tenant)
	f.exec(t, `INSERT INTO handoffs (code_hash, session_id, tenant_id, created_at, expires_at)
		VALUES ($1, $2, $3, now(), now() + interval '10 minutes')`, randomBytes(32), session, tenant)
	f.exec(t, `INSERT INTO attempt_challenges (session_id, tenant_id, attempt, issued_at, issued)
		VALUES ($1, $2, 1, now(), 1)`, session, tenant)
	f.exec(t, `INSERT INTO webhook_secrets_retiring (tenant_id, secret_sealed, retired_at, ends_at)
		VALUES ($1, $2, now(), now() + interval '1 hour')`, tenant, randomBytes(48))
	f.exec(t, `INSERT INTO audit_checkpoints (checkpoint_id, tenant_id, seq, statement, signature, key_id, created_at)
		VALUES (gen_random_uuid(), $1, 1, '\x7b7d', $2, 'seed', now())`, tenant, randomBytes(64))
	f.exec(t, `INSERT INTO tenant_logos (tenant_id, png, sha256, width, height, updated_at) VALUES ($1, $2, $3, 1, 1, now())`,
		tenant, randomBytes(16), randomBytes(32))
	if err := postgres.NewAudit(f.db.DB).Record(t.Context(), idv.AuditEntry{TenantID: tenant, Actor: idv.ActorOperator,
		Action: idv.AuditPersonalDataRead, SessionID: session}); err != nil {
		t.Fatal(err)
	}
}

// inTenant runs fn in a transaction of app in which tenant's context is set
// as the stores set it.
func (iso *isolation) inTenant(t testing.TB, tenant uuid.UUID, fn func(tx *sqlx.Tx)) {
	t.Helper()
	tx, err := iso.app.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(t.Context(), `SELECT set_config('idv.tenant_id', $1, true)`, tenant.String()); err != nil {
		t.Fatal(err)
	}
	fn(tx)
}

func count(t testing.TB, q sqlx.QueryerContext, query string, args ...any) int {
	t.Helper()
	var n int
	if err := sqlx.GetContext(t.Context(), q, &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// refused reports whether err is PostgreSQL refusing the statement for
// lack of privilege or by a row-level security policy (SQLSTATE 42501).
func refused(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "42501"
}

// TestIsolationCatalogue checks the catalogue, so that no table escapes:
// every table with a tenant_id has row-level security enabled and forced
// and a tenant policy for the application role; the application roles own
// nothing, cannot log in, are no superusers and do not bypass row-level
// security; the audit log is append-only for them.
func TestIsolationCatalogue(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	ctx := t.Context()
	var tables []struct {
		Name   string `db:"relname"`
		RLS    bool   `db:"relrowsecurity"`
		Force  bool   `db:"relforcerowsecurity"`
		Tenant bool   `db:"tenant_policy"`
		System bool   `db:"system_policy"`
	}
	if err := db.SelectContext(ctx, &tables, `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
		EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive
			AND p.polroles = ARRAY[(SELECT oid FROM pg_roles WHERE rolname = $1)]
			AND pg_get_expr(p.polqual, p.polrelid) LIKE '%current_setting(''idv.tenant_id''%'
			AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%current_setting(''idv.tenant_id''%') AS tenant_policy,
		EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
			AND p.polroles = ARRAY[(SELECT oid FROM pg_roles WHERE rolname = $2)]) AS system_policy
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
		postgres.AppRole, postgres.SystemRole); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 15 {
		t.Fatalf("%d tables with a tenant_id, want at least the 15 of migrations 001–013", len(tables))
	}
	for _, tb := range tables {
		if !tb.RLS || !tb.Force || !tb.Tenant || !tb.System {
			t.Errorf("table %s: row security %v, forced %v, tenant policy for %s %v, policy for %s %v: want all; a migration adding it must SELECT idv_isolate('%s')",
				tb.Name, tb.RLS, tb.Force, postgres.AppRole, tb.Tenant, postgres.SystemRole, tb.System, tb.Name)
		}
	}
	t.Logf("%d tables under row-level security", len(tables))

	var unusable []string
	if err := db.SelectContext(ctx, &unusable, `SELECT s.oid::regclass::text || ' for ' || r.rolname
		FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace, pg_roles r
		WHERE n.nspname = 'public' AND s.relkind = 'S' AND r.rolname IN ($1, $2)
		  AND NOT has_sequence_privilege(r.oid, s.oid, 'USAGE') ORDER BY 1`,
		postgres.AppRole, postgres.SystemRole); err != nil {
		t.Fatal(err)
	}
	if len(unusable) > 0 {
		t.Errorf("sequences the application roles cannot use: %v", unusable)
	}

	var owned []string
	if err := db.SelectContext(ctx, &owned, `SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
		WHERE r.rolname IN ($1, $2) ORDER BY 1`, postgres.AppRole, postgres.SystemRole); err != nil {
		t.Fatal(err)
	}
	if len(owned) > 0 {
		t.Errorf("the application roles own %v; they must own nothing", owned)
	}
	for _, role := range []string{postgres.AppRole, postgres.SystemRole} {
		var r struct {
			Super  bool `db:"rolsuper"`
			Bypass bool `db:"rolbypassrls"`
			Login  bool `db:"rolcanlogin"`
		}
		if err := db.GetContext(ctx, &r, `SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1`, role); err != nil {
			t.Fatalf("role %s: %v", role, err)
		}
		if r.Super || r.Bypass || r.Login {
			t.Errorf("role %s: superuser %v, bypasses RLS %v, can log in %v: want none", role, r.Super, r.Bypass, r.Login)
		}
		for _, priv := range []string{"UPDATE", "DELETE", "TRUNCATE"} {
			var has bool
			if err := db.GetContext(ctx, &has, `SELECT has_table_privilege($1, 'audit_events', $2)`, role, priv); err != nil {
				t.Fatal(err)
			}
			if has {
				t.Errorf("role %s may %s audit_events; the log is append-only", role, priv)
			}
		}
	}
}

// TestIsolationWithoutTenantSeesNothing: as the application role, with no
// tenant named, every table with a tenant_id reads empty although both
// tenants have rows in it, an unset or empty tenant is no error, nothing can
// be added, changed or removed, and a tenant named in one transaction is
// gone in the next on the same connection.
func TestIsolationWithoutTenantSeesNothing(t *testing.T) {
	t.Parallel()
	iso := setupIsolation(t)
	ctx := t.Context()
	for _, table := range iso.tables {
		if n := count(t, iso.owner, `SELECT count(DISTINCT tenant_id) FROM `+table); n != 2 {
			t.Errorf("table %s: rows of %d tenants, want 2: seed it in setupIsolation", table, n)
		}
		if n := count(t, iso.app, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("table %s: the application role without a tenant reads %d rows, want 0", table, n)
		}
	}
	// Once a transaction-local setting ends, the setting reads '' rather
	// than NULL: that too is no tenant, not an error.
	iso.inTenant(t, iso.a, func(tx *sqlx.Tx) {
		if n := count(t, tx, `SELECT count(*) FROM sessions`); n != 1 {
			t.Errorf("tenant A reads %d sessions, want its 1", n)
		}
	})
	tx := iso.app.MustBeginTx(ctx, nil)
	tx.MustExecContext(ctx, `SELECT set_config('idv.tenant_id', '', true)`)
	if n := count(t, tx, `SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("with an empty tenant: %d sessions, want 0", n)
	}
	tx.Rollback()

	conn, err := iso.app.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx1, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx1.MustExecContext(ctx, `SELECT set_config('idv.tenant_id', $1, true)`, iso.a.String())
	if n := count(t, tx1, `SELECT count(*) FROM sessions`); n != 1 {
		t.Errorf("tenant A reads %d sessions, want 1", n)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, `SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("after tenant A's transaction the same connection reads %d sessions, want 0: the tenant leaked", n)
	}
	if _, err := conn.ExecContext(ctx, `RESET ROLE`); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, `SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("after RESET ROLE: %d sessions, want 0 (the role is the connection's startup role)", n)
	}

	_, err = iso.app.ExecContext(ctx, `INSERT INTO outbox (tenant_id, msg_id, type, subject, body)
		VALUES ($1, 'sneak', 'seed', 'idv.seed', '{}')`, iso.a)
	if !refused(err) {
		t.Errorf("insert without a tenant: %v, want refused by row-level security", err)
	}
	_, err = iso.app.ExecContext(ctx, `INSERT INTO tenants (tenant_id, name, retention_days, webhook_url,
		webhook_secret_sealed, policy) VALUES ($1, 'Sneak', 7, 'https://x.test', '\x00', '{}')`, uuid.New())
	if !refused(err) {
		t.Errorf("tenant insert without a tenant: %v, want refused by row-level security", err)
	}
	for _, stmt := range []string{`UPDATE sessions SET status = status`, `DELETE FROM captures`, `DELETE FROM session_keys`} {
		res, err := iso.app.ExecContext(ctx, stmt)
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("%s without a tenant touched %d rows, want 0", stmt, n)
		}
	}

	// A superuser is not held to row-level security, but once it acts as
	// the application role (as every store transaction does) it is.
	if n := count(t, iso.owner, `SELECT count(*) FROM sessions`); n != 2 {
		t.Errorf("the owner reads %d sessions, want 2", n)
	}
	otx := iso.owner.MustBeginTx(ctx, nil)
	defer otx.Rollback()
	otx.MustExecContext(ctx, `SET LOCAL ROLE `+postgres.AppRole)
	if n := count(t, otx, `SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("a superuser acting as %s reads %d sessions, want 0", postgres.AppRole, n)
	}
}

// TestIsolationTenantCannotTouchAnother: with tenant A's context, tenant
// B's rows of every table cannot be read, changed or deleted, and a row
// cannot be written into B or moved to it.
func TestIsolationTenantCannotTouchAnother(t *testing.T) {
	t.Parallel()
	iso := setupIsolation(t)
	for _, table := range iso.tables {
		iso.inTenant(t, iso.a, func(tx *sqlx.Tx) {
			if n := count(t, tx, `SELECT count(*) FROM `+table+` WHERE tenant_id = $1`, iso.b); n != 0 {
				t.Errorf("table %s: tenant A reads %d rows of B, want 0", table, n)
			}
			if n := count(t, tx, `SELECT count(*) FROM `+table+` WHERE tenant_id <> $1`, iso.a); n != 0 {
				t.Errorf("table %s: tenant A reads %d rows of other tenants, want 0", table, n)
			}
			if n := count(t, tx, `SELECT count(*) FROM `+table); n == 0 {
				t.Errorf("table %s: tenant A reads none of its own rows", table)
			}
			for _, stmt := range []string{`UPDATE ` + table + ` SET tenant_id = tenant_id WHERE tenant_id = $1`,
				`DELETE FROM ` + table + ` WHERE tenant_id = $1`} {
				if _, err := tx.ExecContext(t.Context(), `SAVEPOINT s`); err != nil {
					t.Fatal(err)
				}
				res, err := tx.ExecContext(t.Context(), stmt, iso.b)
				switch {
				case table == "audit_events" && refused(err):
					// append-only: refused outright
				case err != nil:
					t.Errorf("%s: %v", stmt, err)
				default:
					if n, _ := res.RowsAffected(); n != 0 {
						t.Errorf("%s as tenant A touched %d rows of B, want 0", stmt, n)
					}
				}
				if _, err := tx.ExecContext(t.Context(), `ROLLBACK TO SAVEPOINT s`); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	iso.inTenant(t, iso.a, func(tx *sqlx.Tx) {
		_, err := tx.ExecContext(t.Context(), `INSERT INTO outbox (tenant_id, msg_id, type, subject, body)
			VALUES ($1, 'into-b', 'seed', 'idv.seed', '{}')`, iso.b)
		if !refused(err) {
			t.Errorf("tenant A inserting a row of B: %v, want refused", err)
		}
	})
	iso.inTenant(t, iso.a, func(tx *sqlx.Tx) {
		_, err := tx.ExecContext(t.Context(), `UPDATE support_grants SET tenant_id = $1`, iso.b)
		if !refused(err) {
			t.Errorf("tenant A moving its row to B: %v, want refused", err)
		}
	})

	// The stores: B's session through A's scope is not found, even by a
	// query without a tenant filter.
	sessions := postgres.NewSessions(iso.app.DB)
	if _, err := sessions.Get(t.Context(), iso.a, iso.sessions[iso.b]); !errors.Is(err, idv.ErrNotFound) {
		t.Errorf("Get of B's session for A: %v, want ErrNotFound", err)
	}
	if _, err := sessions.Get(t.Context(), iso.b, iso.sessions[iso.b]); err != nil {
		t.Errorf("Get of B's session for B: %v", err)
	}
	// The system scope's lookups see every tenant, as they must.
	for _, tenant := range []uuid.UUID{iso.a, iso.b} {
		if s, err := sessions.GetForApp(t.Context(), iso.sessions[tenant]); err != nil || s.TenantID != tenant {
			t.Errorf("GetForApp of %s's session: tenant %s, %v", tenant, s.TenantID, err)
		}
	}
	live, err := postgres.NewRetention(iso.app.DB).LiveEpochs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 2 {
		t.Errorf("LiveEpochs (system scope) sees %d tenants, want 2", len(live))
	}
	if !slices.Contains(iso.tables, "sessions") {
		t.Error("no sessions table among the isolated ones")
	}
}

// BenchmarkSessionGet measures what the tenant scope costs a lookup: the
// store's Get (a transaction that sets the role and tenant, then the query)
// against the same query sent alone, unscoped, by the owner.
func BenchmarkSessionGet(b *testing.B) {
	iso := setupIsolation(b)
	ctx := context.Background()
	id := iso.sessions[iso.a]
	b.Run("scoped", func(b *testing.B) {
		sessions := postgres.NewSessions(iso.app.DB)
		for b.Loop() {
			if _, err := sessions.Get(ctx, iso.a, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unscoped", func(b *testing.B) {
		for b.Loop() {
			s := map[string]any{}
			if err := iso.owner.QueryRowxContext(ctx, `SELECT session_id, tenant_id, status, checks, selfie_frames, challenge,
				chip_challenge, retention_days, created_at, expires_at, app_token_hash, app_token_expires_at, submitted_at,
				decision, decided_at, wipe_reason, wipe_requested_at, deleted_at,
				(SELECT receipt_id FROM deletion_receipts r WHERE r.session_id = sessions.session_id) AS receipt_id
				FROM sessions WHERE session_id = $1 AND tenant_id = $2`, id, iso.a).MapScan(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestOpenAppActsAsAppRole: a pool from OpenApp, given a URL or a
// key=value connection string, acts as the application role over the
// login it names.
func TestOpenAppActsAsAppRole(t *testing.T) {
	t.Parallel()
	_, url := pgtest.NewDBURL(t, schemas.MainMigrations())
	kv, err := pq.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	for _, dsn := range []string{url, kv} {
		db, err := postgres.OpenApp(t.Context(), dsn)
		if err != nil {
			t.Fatalf("OpenApp(%q): %v", dsn, err)
		}
		var who struct {
			Current string `db:"current_user"`
			Session string `db:"session_user"`
		}
		err = sqlx.NewDb(db, "postgres").GetContext(t.Context(), &who, `SELECT current_user AS current_user, session_user AS session_user`)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if who.Current != postgres.AppRole || who.Session == postgres.AppRole {
			t.Errorf("OpenApp(%q): current user %s over login %s, want %s over the login", dsn, who.Current, who.Session, postgres.AppRole)
		}
	}
}

// TestServiceLoginOwningNothing runs the stores as production should: over
// a login that owns nothing and may only act as the two roles (README,
// "Tenant isolation"). Tenant and system scopes work; the login's own
// rights, should a statement drop the role, reach no table.
func TestServiceLoginOwningNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	owner, dbURL := pgtest.NewDBURL(t, schemas.MainMigrations())
	login := "idv_test_service_" + strings.ToLower(rand.Text()[:10])
	if _, err := owner.ExecContext(ctx, `CREATE ROLE `+login+` LOGIN NOINHERIT PASSWORD 'service'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.ExecContext(context.Background(), `DROP ROLE `+login) })
	if _, err := owner.ExecContext(ctx, `GRANT `+postgres.AppRole+`, `+postgres.SystemRole+` TO `+login); err != nil {
		t.Fatal(err)
	}
	u, err := neturl.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.UserPassword(login, "service")
	app, err := postgres.OpenApp(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })

	f := &wipeFixture{db: sqlx.NewDb(app, "postgres"), now: time.Now().UTC().Truncate(time.Microsecond)}
	tenant := f.newTenant(t)
	if _, err := postgres.NewTenants(app).Get(ctx, tenant); err != nil {
		t.Errorf("Get in the tenant's scope: %v", err)
	}
	if _, err := postgres.NewTenants(app).FindByName(ctx, "Tenant "+tenant.String()[:8]); err != nil {
		t.Errorf("FindByName in the system scope: %v", err)
	}
	if n := count(t, f.db, `SELECT count(*) FROM tenants`); n != 0 {
		t.Errorf("outside the stores' scopes the service reads %d tenants, want 0", n)
	}
	conn, err := f.db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET ROLE NONE`); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(ctx, `SELECT count(*) FROM tenants`)
	if !refused(err) {
		t.Errorf("the login itself reading tenants: %v, want permission denied", err)
	}
	conn.ExecContext(ctx, `RESET ROLE`)
}
