-- A tenant's logo for the hosted capture page (issue 21 point 2), kept
-- apart from the policy JSON: the PNG IDV re-encoded from the tenant's
-- upload (at most 512 × 512 pixels and 64 KiB, checked again here), its
-- SHA-256 (the name and ETag it is served under) and its size. A logo is
-- the tenant's, never a person's data. One per tenant; offboarding
-- deletes it with the tenant's other rows.
CREATE TABLE tenant_logos (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (tenant_id),
    png        bytea NOT NULL CHECK (length(png) BETWEEN 8 AND 65536),
    sha256     bytea NOT NULL CHECK (length(sha256) = 32),
    width      integer NOT NULL CHECK (width BETWEEN 1 AND 512),
    height     integer NOT NULL CHECK (height BETWEEN 1 AND 512),
    updated_at timestamptz NOT NULL
);
SELECT idv_isolate('tenant_logos');
