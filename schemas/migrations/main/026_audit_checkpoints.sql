-- Periodic audit checkpoints (issue 23 point 2): the retention sweep signs
-- the head of a tenant's audit chain once an interval has passed since its
-- last one, if the chain grew since (idv.PeriodicCheckpoints), and stores
-- it here with its idv.audit.checkpoint event in one transaction; the
-- notifier sends the stored bytes as the audit.checkpoint webhook. Ids, a
-- sequence number, the signed statement (ids, a hash, times) and its
-- signature only. seq is the head entry's (audit_events.seq).
CREATE TABLE audit_checkpoints (
    checkpoint_id uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (tenant_id),
    seq           bigint NOT NULL CHECK (seq > 0),
    statement     bytea NOT NULL,
    signature     bytea NOT NULL CHECK (length(signature) = 64),
    key_id        text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX audit_checkpoints_tenant ON audit_checkpoints (tenant_id, created_at);
SELECT idv_isolate('audit_checkpoints');
