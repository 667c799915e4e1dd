-- The audit log (docs/design.md invariant 6): every read of personal data, erasure
-- request, decline, deletion and policy change, append-only and
-- hash-chained per tenant. An entry holds ids and codes only.
--
-- hash = SHA-256(prev_hash || canonical encoding of the entry's fields),
-- prev_hash = the hash of the tenant's previous entry (32 zero bytes for
-- the first). Writers serialise appends per tenant with a transaction-level
-- advisory lock (infra/postgres/audit.go); the unique index on
-- (tenant_id, prev_hash) refuses a fork should a writer ever skip it.
-- session_id is not a foreign key: the record outlives the session.
CREATE TABLE audit_events (
    seq        bigserial PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (tenant_id),
    at         timestamptz NOT NULL,
    actor      text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    action     text NOT NULL CHECK (action ~ '^[a-z_]{1,64}$'),
    session_id uuid,
    detail     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
    prev_hash  bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash       bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, seq);
CREATE UNIQUE INDEX audit_events_chain ON audit_events (tenant_id, prev_hash);

-- Append-only: nobody changes or removes an entry, the application role
-- included. Only a superuser who disables the trigger can (and the chain
-- then shows it: `idv audit verify`).
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
