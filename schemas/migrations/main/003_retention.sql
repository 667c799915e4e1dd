-- Retention and erasure. A session moves created/submitted/decided →
-- expired (its wipe is requested: the deadline passed, the customer asked,
-- or the person declined) → deleted (wiped: key destroyed, objects and
-- personal rows gone). The deleted session row is the tombstone: ids,
-- tenant, decision and timestamps, no personal data.

ALTER TABLE sessions
    ADD COLUMN wipe_reason text CHECK (wipe_reason IN ('expired', 'customer_request', 'declined_by_user')),
    ADD COLUMN wipe_requested_at timestamptz,
    ADD COLUMN key_destroyed_at timestamptz,
    ADD COLUMN deleted_at timestamptz,
    ADD CONSTRAINT wipe_requested_together CHECK ((wipe_reason IS NULL) = (wipe_requested_at IS NULL));

-- What the retention scan looks at: sessions whose wipe nobody asked for yet.
CREATE INDEX sessions_due ON sessions (expires_at) WHERE wipe_requested_at IS NULL;
-- What the overdue gauge and the epoch sweep look at: sessions not yet wiped.
CREATE INDEX sessions_not_deleted ON sessions (expires_at) WHERE deleted_at IS NULL;

-- A deletion receipt: a statement without personal data (ids, reason,
-- times, counts), signed by IDV with Ed25519. The statement is kept as the
-- exact bytes that were signed.
CREATE TABLE deletion_receipts (
    receipt_id  uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
    session_id  uuid NOT NULL UNIQUE REFERENCES sessions (session_id),
    statement   bytea NOT NULL,
    signature   bytea NOT NULL CHECK (length(signature) = 64),
    key_id      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deletion_receipts_tenant ON deletion_receipts (tenant_id, created_at DESC);
