-- API keys after an offboarding's delete (issue 23): the delete removes the
-- tenant's api_keys rows, after which its keys got 401 unauthorized instead
-- of the documented 403 tenant_offboarding. The delete now keeps, for each
-- key, its id, its tenant, the hash of its secret and its end: enough to
-- answer the key's holder 403, and nothing that authenticates anything.
CREATE TABLE api_key_tombstones (
    key_id        text PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (tenant_id),
    secret_hash   bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    offboarded_at timestamptz NOT NULL
);
SELECT idv_isolate('api_key_tombstones');
