-- The document fields the tenant's policy allows, extracted by a check and
-- sealed to the session's public key (docs/design.md invariant 4): unreadable once
-- the session key is destroyed, and deleted by the wipe.
ALTER TABLE check_results ADD COLUMN fields_sealed bytea;
