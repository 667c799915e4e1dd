-- Signing keys rotated apart from the master key (docs/operating.md,
-- "Signing keys").
--
-- A purpose's signing key is derived from the master key and the purpose's
-- generation; generation 0 is the key derived before generations existed, so
-- its key id is unchanged. `idv vault rotate-signing` moves a purpose to the
-- next generation and records both public keys in signing_keys; every
-- signer reads the current generation at each signature.
CREATE TABLE signing_key_generations (
    purpose    text PRIMARY KEY CONSTRAINT purpose_format CHECK (purpose ~ '^[a-z]+$'),
    generation integer NOT NULL CONSTRAINT generation_positive CHECK (generation > 0),
    rotated_at timestamptz NOT NULL DEFAULT now()
);

-- The generation a recorded public key was derived for (0 for rows from
-- before this migration, all of which were).
ALTER TABLE signing_keys ADD COLUMN generation integer NOT NULL DEFAULT 0
    CONSTRAINT generation_not_negative CHECK (generation >= 0);
