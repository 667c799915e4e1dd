-- Master-key rotation (docs/operating.md, "Rotating the master key").
--
-- master_key_id names the master key an epoch key is sealed under
-- (vault.MasterKeyID: 16 hex digits derived from the key, not the key).
-- Rows from before this migration have none; `idv vault rotate-master` finds
-- their key by trying each configured one and stamps them.
ALTER TABLE epoch_keys ADD COLUMN master_key_id text
    CONSTRAINT master_key_id_format CHECK (master_key_id ~ '^[0-9a-f]{16}$');

-- The backstop of 001 stays, with one exception: a live epoch key may be
-- re-sealed (the same key under another master key), and only together with
-- a change of master_key_id, so re-sealing under the same master key, a
-- replacement by someone who cannot name another key, and any change of a
-- destroyed epoch are still refused. The old row version, sealed under the
-- old master key, is recorded in epoch_key_leftovers by the trigger of 002
-- and rewritten away by the vault's next PurgeDestroyed.
CREATE OR REPLACE FUNCTION epoch_keys_only_destroy() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tenant_id = OLD.tenant_id AND NEW.epoch = OLD.epoch
       AND OLD.destroyed_at IS NULL AND NEW.destroyed_at IS NULL
       AND NEW.sealed_key IS NOT NULL AND NEW.master_key_id IS NOT NULL
       AND NEW.master_key_id IS DISTINCT FROM OLD.master_key_id THEN
        RETURN NEW; -- re-sealed under another master key
    END IF;
    IF NEW.tenant_id <> OLD.tenant_id OR NEW.epoch <> OLD.epoch
       OR NEW.sealed_key IS NOT NULL
       OR (OLD.destroyed_at IS NOT NULL AND NEW.destroyed_at IS DISTINCT FROM OLD.destroyed_at) THEN
        RAISE EXCEPTION 'epoch_keys: an epoch key can only be destroyed or re-sealed under another master key, never changed or restored';
    END IF;
    RETURN NEW;
END
$$;

-- The public halves of the signing keys (one per purpose: 'receipt' now),
-- recorded so that signatures stay verifiable after the master key they were
-- derived from is retired. Public keys only: nothing here signs or opens.
CREATE TABLE signing_keys (
    key_id     text PRIMARY KEY CONSTRAINT key_id_format CHECK (key_id ~ '^[0-9a-f]{16}$'),
    purpose    text NOT NULL CONSTRAINT purpose_format CHECK (purpose ~ '^[a-z]+$'),
    algorithm  text NOT NULL DEFAULT 'Ed25519',
    public_key bytea NOT NULL CONSTRAINT public_key_length CHECK (length(public_key) = 32),
    first_seen timestamptz NOT NULL DEFAULT now()
);
