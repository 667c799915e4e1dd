-- Intake: tenants, their API keys, sessions with their wrapped key pairs,
-- declared captures, and the transactional outbox. Every table holding
-- tenant data carries tenant_id (docs/design.md invariant 5).

CREATE TABLE tenants (
    tenant_id             uuid PRIMARY KEY,
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    retention_days        integer NOT NULL
        CONSTRAINT retention_days_range CHECK (retention_days BETWEEN 1 AND 28),
    webhook_url           text NOT NULL,
    webhook_secret_sealed bytea NOT NULL,
    policy                jsonb NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now()
);

-- API keys are stored only as SHA-256 hashes of their 32-byte random secret.
CREATE TABLE api_keys (
    key_id      text PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE sessions (
    session_id           uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants (tenant_id),
    status               text NOT NULL
        CHECK (status IN ('created', 'submitted', 'decided', 'expired', 'deleted')),
    checks               text[] NOT NULL,
    selfie_frames        integer NOT NULL CHECK (selfie_frames BETWEEN 1 AND 20),
    retention_days       integer NOT NULL
        CONSTRAINT retention_days_range CHECK (retention_days BETWEEN 1 AND 28),
    created_at           timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL,
    app_token_hash       bytea NOT NULL,
    app_token_expires_at timestamptz NOT NULL,
    submitted_at         timestamptz,
    -- expires_at = created_at + retention, truncated down to the hour
    -- (docs/design.md invariant 3); never later than 28 days after creation. Days are
    -- counted as 24 hours so the server's time zone and DST change nothing.
    CONSTRAINT expires_within_retention CHECK (
        expires_at = date_trunc('hour', created_at + make_interval(hours => retention_days * 24), 'UTC')
        AND expires_at <= created_at + interval '672 hours')
);
CREATE INDEX sessions_tenant_created ON sessions (tenant_id, created_at DESC);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The session's HPKE private key, wrapped by the vault under the epoch key of
-- the session's expiry hour. Deleting this row is crypto-shredding.
CREATE TABLE session_keys (
    session_id   uuid PRIMARY KEY REFERENCES sessions (session_id) ON DELETE CASCADE,
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
    epoch        timestamptz NOT NULL,
    public_key   bytea NOT NULL,
    wrapped_key  bytea NOT NULL
);

-- A capture slot the app declared: size and SHA-256 are of the sealed bytes.
CREATE TABLE captures (
    session_id  uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
    kind        text NOT NULL,
    idx         integer NOT NULL CHECK (idx >= 0),
    object_key  text NOT NULL,
    size        bigint NOT NULL CHECK (size > 0),
    sha256      bytea NOT NULL CHECK (length(sha256) = 32),
    declared_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, kind, idx)
);

-- Events waiting for the relay; written in the same transaction as the
-- state change they announce (docs/design.md invariant 7). Bodies hold ids only.
CREATE TABLE outbox (
    seq          bigserial PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
    msg_id       text NOT NULL UNIQUE,
    type         text NOT NULL,
    subject      text NOT NULL,
    body         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
