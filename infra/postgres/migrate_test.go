package postgres_test

import (
	"context"
	"testing"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := context.Background()
	first, err := postgres.Migrate(ctx, db.DB, schemas.MainMigrations())
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 {
		t.Fatal("first run applied nothing")
	}
	var before string
	if err := db.Get(&before, schemaFingerprint); err != nil {
		t.Fatal(err)
	}
	second, err := postgres.Migrate(ctx, db.DB, schemas.MainMigrations())
	if err != nil {
		t.Fatal(err)
	}
	var after string
	if err := db.Get(&after, schemaFingerprint); err != nil {
		t.Fatal(err)
	}
	if len(second) != 0 || before != after {
		t.Fatalf("second run applied %v; schema changed: %v", second, before != after)
	}
}

// schemaFingerprint summarises every column of the public schema.
const schemaFingerprint = `SELECT md5(string_agg(table_name || '.' || column_name || ':' || data_type, ','
	ORDER BY table_name, column_name)) FROM information_schema.columns WHERE table_schema = 'public'`

func TestEveryTableCarriesTenantID(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	var missing []string
	err := db.Select(&missing, `SELECT t.table_name FROM information_schema.tables t
		WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
		-- Tables of IDV's own state that hold no tenant's data: the
		-- migrations applied, which sub-processor register entries have
		-- been announced (to whom is in subprocessor_announcements), and
		-- IDV's own incidents (whom they touch is in breach_tenants).
		AND t.table_name NOT IN ('schema_migrations', 'subprocessors_seen', 'breaches')
		AND NOT EXISTS (SELECT 1 FROM information_schema.columns c
			WHERE c.table_schema = 'public' AND c.table_name = t.table_name AND c.column_name = 'tenant_id')`)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Fatalf("tables without tenant_id: %v", missing)
	}
	var tables int
	db.Get(&tables, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`)
	if tables < 6 {
		t.Fatalf("only %d tables: migrations did not run", tables)
	}
}

func TestConcurrentMigrators(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := context.Background()
	errs := make(chan error, 4)
	applied := make(chan int, 4)
	for range 4 {
		go func() {
			names, err := postgres.Migrate(ctx, db.DB, schemas.MainMigrations())
			applied <- len(names)
			errs <- err
		}()
	}
	total := 0
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		total += <-applied
	}
	want, _ := postgres.Migrate(ctx, db.DB, schemas.MainMigrations())
	if len(want) != 0 {
		t.Fatal("migrations left unapplied")
	}
	var n int
	db.Get(&n, `SELECT count(*) FROM schema_migrations`)
	if total != n {
		t.Fatalf("four migrators applied %d migrations in all, %d recorded", total, n)
	}
}
