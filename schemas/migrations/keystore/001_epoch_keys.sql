-- The key store (its own database, IDV_KEYSTORE_URL): one random epoch key per
-- tenant and expiry hour (UTC), which wraps the private keys of that hour's
-- sessions (docs/design.md invariants 2 and 3). sealed_key is the epoch key encrypted
-- under the master key (AES-256-GCM, nonce first, associated data binding
-- tenant and epoch). Destroying an epoch nulls sealed_key and sets
-- destroyed_at; the row stays so that the hour is never created again.
-- Backups of this database must not outlive an hour.

CREATE TABLE epoch_keys (
    tenant_id    uuid NOT NULL,
    epoch        timestamptz NOT NULL
        CONSTRAINT epoch_on_the_hour CHECK (epoch = date_trunc('hour', epoch, 'UTC')),
    sealed_key   bytea
        CONSTRAINT sealed_key_length CHECK (length(sealed_key) = 12 + 32 + 16),
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    PRIMARY KEY (tenant_id, epoch),
    -- Key material exists exactly while the epoch is not destroyed.
    CONSTRAINT destroyed_means_no_key CHECK ((sealed_key IS NULL) = (destroyed_at IS NOT NULL))
);

-- Backstop for the vault's code: an epoch key is never replaced, and a
-- destroyed epoch never comes back. The only change allowed is destruction.
CREATE FUNCTION epoch_keys_only_destroy() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tenant_id <> OLD.tenant_id OR NEW.epoch <> OLD.epoch
       OR NEW.sealed_key IS NOT NULL
       OR (OLD.destroyed_at IS NOT NULL AND NEW.destroyed_at IS DISTINCT FROM OLD.destroyed_at) THEN
        RAISE EXCEPTION 'epoch_keys: an epoch key can only be destroyed, never changed or restored';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER epoch_keys_only_destroy BEFORE UPDATE ON epoch_keys
    FOR EACH ROW EXECUTE FUNCTION epoch_keys_only_destroy();
