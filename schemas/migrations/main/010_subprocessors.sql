-- The sub-processor register lives in configuration (IDV_SUBPROCESSORS_FILE);
-- these tables remember which entries IDV has announced, to whom, and the
-- tenants' objections (GDPR art. 28(2); the seeds' agreement, art. 5).
-- An entry is announced once, when `idv subprocessors sync` first sees it,
-- to every tenant existing then; tenants created later accepted the
-- register as it stood.
CREATE TABLE subprocessors_seen (
    subprocessor_id text PRIMARY KEY CHECK (subprocessor_id ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    effective_date  date NOT NULL,
    seen_at         timestamptz -- set once every tenant has its announcement
);

CREATE TABLE subprocessor_announcements (
    subprocessor_id text NOT NULL REFERENCES subprocessors_seen (subprocessor_id),
    tenant_id       uuid NOT NULL REFERENCES tenants (tenant_id),
    effective_date  date NOT NULL,
    announced_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, subprocessor_id)
);

-- A tenant's objection to a sub-processor; one per tenant and entry. The
-- reason is the tenant's own text about the sub-processor, not personal data.
CREATE TABLE subprocessor_objections (
    objection_id    uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (tenant_id),
    subprocessor_id text NOT NULL,
    reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    objected_at     timestamptz NOT NULL,
    UNIQUE (tenant_id, subprocessor_id)
);
