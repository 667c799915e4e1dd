-- Offboarding a tenant (GDPR art. 28(3)(g): at the end of the service the
-- processor returns the personal data and deletes it). `idv tenant offboard
-- --export` marks the tenant offboarding (its API keys are refused with
-- tenant_offboarding, its app tokens expire) and writes an archive sealed to
-- the tenant's own key; `--delete` destroys every epoch key of the tenant in
-- the key store, every object under its storage prefix and its rows.
--
-- What stays, none of it personal data: the tenant row, stripped of its
-- webhook endpoint and secret (the audit chain references it); the audit
-- chain, append-only and hash-chained (docs/design.md invariant 6); breach_tenants
-- (IDV's own breach register, GDPR art. 33(5)); and the offboarding row
-- below with its signed receipt (ids, counts, times, the chain's head).
ALTER TABLE tenants ADD COLUMN offboarding_at timestamptz;

-- One row per offboarded tenant: each step of the delete records its
-- completion here, so an interrupted delete resumes where it stopped.
CREATE TABLE tenant_offboardings (
    tenant_id           uuid PRIMARY KEY REFERENCES tenants (tenant_id),
    started_at          timestamptz NOT NULL,
    exported_at         timestamptz,          -- the last archive written
    export_sha256       bytea CHECK (length(export_sha256) = 32),
    export_sessions     integer CHECK (export_sessions >= 0),
    no_export           boolean NOT NULL DEFAULT false, -- deleted without an archive, as instructed
    epoch_keys          integer CHECK (epoch_keys >= 0), -- live epoch keys, counted before destroying them
    epochs_destroyed_at timestamptz,
    objects_deleted     bigint NOT NULL DEFAULT 0 CHECK (objects_deleted >= 0),
    objects_deleted_at  timestamptz,
    receipt_id          uuid UNIQUE,
    statement           bytea,                -- the receipt's signed bytes (schemas.OffboardingReceipt)
    signature           bytea CHECK (length(signature) = 64),
    key_id              text,
    finished_at         timestamptz,
    CONSTRAINT finished_with_receipt CHECK ((finished_at IS NULL) = (statement IS NULL)
        AND (statement IS NULL) = (signature IS NULL) AND (signature IS NULL) = (receipt_id IS NULL))
);

-- Row-level security (migration 016): the table holds tenant data.
SELECT idv_isolate('tenant_offboardings');
