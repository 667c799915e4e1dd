-- The pipeline: per-check results, the decision, webhook delivery records.
-- Results hold codes, scores and model hashes; no personal data.

ALTER TABLE sessions
    ADD COLUMN decision text CHECK (decision IN
        ('approved', 'declined', 'review', 'resubmission_requested', 'expired', 'declined_by_user')),
    ADD COLUMN decided_at timestamptz,
    ADD CONSTRAINT decided_together CHECK ((decision IS NULL) = (decided_at IS NULL));

-- One row per (session, check): a stage that runs twice finds its result and
-- does nothing more (docs/design.md invariant 7).
CREATE TABLE check_results (
    session_id   uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
    check_name   text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('passed', 'failed', 'resubmit', 'review')),
    reasons      text[] NOT NULL DEFAULT '{}',
    score        double precision,
    threshold    double precision,
    engine       text NOT NULL,
    models       jsonb NOT NULL DEFAULT '{}',
    completed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, check_name)
);

ALTER TABLE tenants ADD COLUMN webhook_disabled_at timestamptz;

-- One row per delivery attempt. session_id is not a foreign key: the record
-- outlives the session's personal data, and holds ids and codes only.
CREATE TABLE webhook_deliveries (
    delivery_id  bigserial PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
    session_id   uuid,
    webhook_id   text NOT NULL,
    event_type   text NOT NULL,
    attempt      integer NOT NULL CHECK (attempt >= 1),
    attempted_at timestamptz NOT NULL DEFAULT now(),
    status_code  integer,
    outcome      text NOT NULL CHECK (outcome IN ('delivered', 'failed', 'refused', 'disabled')),
    error_code   text,
    duration_ms  integer NOT NULL
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id);
CREATE INDEX webhook_deliveries_tenant ON webhook_deliveries (tenant_id, attempted_at DESC);
CREATE UNIQUE INDEX webhook_delivered_once ON webhook_deliveries (webhook_id) WHERE outcome = 'delivered';
