-- Destroying an epoch key writes a new row version without the key, but the
-- old version, key bytes included, stays in epoch_keys' pages. VACUUM does
-- not clear it: pruning marks the space free and compacts the page, and
-- whatever ends up in the page's free gap keeps its bytes until something is
-- written over them (TestPurgeLeavesNoKeyBytes in infra/vault logs how many
-- a plain VACUUM leaves). The vault's PurgeDestroyed therefore rewrites the
-- table after each retention round, which leaves only live row versions in
-- a new file; this table tells it whether there is anything to purge.
--
-- One row per transaction that nulled or deleted an epoch key, with its
-- transaction id: the rewrite drops that transaction's old row versions
-- only once no transaction or snapshot older than it is left (the vacuum
-- horizon), so the purge waits for that before rewriting and then deletes
-- the rows. A row per transaction (not one shared row) so that concurrent
-- destroyers never wait on each other here.
CREATE TABLE epoch_key_leftovers (
    xid         xid8 PRIMARY KEY,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- pg_current_xact_id() is the top-level transaction id. A destruction made
-- inside a subtransaction (a savepoint; the vault makes none) has a later
-- id of its own, which the purge's wait would not see.
CREATE FUNCTION epoch_keys_record_leftover() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO epoch_key_leftovers (xid) VALUES (pg_current_xact_id()) ON CONFLICT (xid) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER epoch_keys_record_leftover AFTER UPDATE OR DELETE ON epoch_keys
    FOR EACH ROW WHEN (OLD.sealed_key IS NOT NULL) EXECUTE FUNCTION epoch_keys_record_leftover();

-- Epoch keys destroyed before this migration may have left bytes behind;
-- this transaction is later than all of them.
INSERT INTO epoch_key_leftovers (xid)
SELECT pg_current_xact_id() WHERE EXISTS (SELECT 1 FROM epoch_keys WHERE destroyed_at IS NOT NULL);
