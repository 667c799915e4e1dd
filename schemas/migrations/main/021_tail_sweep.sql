-- The wipe's tail sweep (issue 17): an upload policy issued before a
-- session's wipe may still store an object under its prefix after the wipe
-- finished. Once the longest policy has expired, the retention sweep asks
-- the wipe stage once more to sweep the prefix; this records that it asked,
-- so it asks once per session.
ALTER TABLE sessions ADD COLUMN tail_requested_at timestamptz;
CREATE INDEX sessions_tail_pending ON sessions (deleted_at) WHERE deleted_at IS NOT NULL AND tail_requested_at IS NULL;
