-- Active authentication of a document's chip (issue 7): the nonce the
-- server drew for the session (RND.IFD, 8 random bytes), which the app hands
-- to the chip's INTERNAL AUTHENTICATE. NULL for sessions created before it.
-- A nonce, not personal data.
ALTER TABLE sessions ADD COLUMN chip_challenge bytea;
