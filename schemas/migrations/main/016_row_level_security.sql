-- Tenant isolation in the database (docs/design.md invariant 5): row-level
-- security is the backstop behind every store query's own tenant filter.
--
-- idv_app is the role the stores act as: it owns no table, cannot log in
-- and does not bypass row-level security. A transaction of the application
-- names its tenant (set_config('idv.tenant_id', …, true), transaction-local:
-- infra/postgres scope.go) and sees, changes and adds only that tenant's
-- rows; without a tenant it sees nothing and may add nothing.
--
-- idv_system is the narrow scope of the few jobs that must look across
-- tenants (the outbox relay, the retention sweep, the breach assessment, the
-- two credential lookups, …; the README lists them): it sees every row, and
-- is assumed only inside named helpers of infra/postgres.
--
-- Roles belong to the whole cluster, not to one database, and tests migrate
-- many databases at once: creating and granting them must tolerate a
-- concurrent migrator that did it first.
DO $$
BEGIN
    CREATE ROLE idv_app NOLOGIN NOBYPASSRLS NOSUPERUSER NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
DO $$
BEGIN
    CREATE ROLE idv_system NOLOGIN NOBYPASSRLS NOSUPERUSER NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
-- The migrating login (the tables' owner) may act as both; a separate
-- application login needs the same two grants (README, "Tenant isolation").
DO $$
BEGIN
    EXECUTE format('GRANT idv_app, idv_system TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO idv_app, idv_system;

-- idv_isolate puts a table holding tenant data under row-level security:
-- enabled and forced (the owner is held to it too), idv_app limited to the
-- tenant its transaction names, idv_system to every row, both granted what
-- the stores do with rows. A later migration adding such a table calls
-- SELECT idv_isolate('name'); the catalogue test (infra/postgres
-- isolation_test.go) fails for any table with a tenant_id it forgot.
CREATE FUNCTION idv_isolate(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    seq regclass;
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO idv_app, idv_system', tbl);
    -- The sequences of its serial and identity columns.
    FOR seq IN SELECT d.objid::regclass FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
        WHERE d.refobjid = tbl AND d.classid = 'pg_class'::regclass AND s.relkind = 'S' AND d.deptype IN ('a', 'i')
    LOOP
        EXECUTE format('GRANT USAGE ON SEQUENCE %s TO idv_app, idv_system', seq);
    END LOOP;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    -- NULLIF: once a transaction-local setting ends, the setting reads ''
    -- rather than NULL; '' must mean "no tenant" (no rows), not an error.
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %s TO idv_app
        USING (tenant_id = NULLIF(current_setting('idv.tenant_id', true), '')::uuid)
        WITH CHECK (tenant_id = NULLIF(current_setting('idv.tenant_id', true), '')::uuid)$p$, tbl);
    EXECUTE format('CREATE POLICY system_scope ON %s TO idv_system USING (true) WITH CHECK (true)', tbl);
END
$$;

-- Every table with a tenant_id column, whichever migration created it.
SELECT idv_isolate(c.oid::regclass)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY c.relname;

-- IDV's own tables without a tenant: the sub-processor register's memory
-- is written while announcing to one tenant; the breach register is read
-- and written only in the system scope.
GRANT SELECT, INSERT, UPDATE ON subprocessors_seen TO idv_app, idv_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON breaches TO idv_system;

-- The audit log is append-only for the application (the trigger of
-- migration 005 refuses it for everyone else).
REVOKE UPDATE, DELETE ON audit_events FROM idv_app, idv_system;
