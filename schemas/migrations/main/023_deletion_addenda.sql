-- Deletion addenda (issue 17 point 5): the wipe's tail sweep deletes what
-- landed under a wiped session's storage prefix after its receipt was
-- signed, and signs an addendum to that receipt saying so (the receipt
-- itself, signed bytes, is never changed). Ids, a time and a count only.
CREATE TABLE deletion_addenda (
    addendum_id uuid PRIMARY KEY,
    receipt_id  uuid NOT NULL REFERENCES deletion_receipts (receipt_id),
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
    session_id  uuid NOT NULL REFERENCES sessions (session_id),
    statement   bytea NOT NULL,
    signature   bytea NOT NULL CHECK (length(signature) = 64),
    key_id      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deletion_addenda_receipt ON deletion_addenda (receipt_id);
SELECT idv_isolate('deletion_addenda');
