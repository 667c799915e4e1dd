-- Support access (docs/design.md invariant 6; the seeds' annex: 24-hour, logged
-- support access). There is no standing access: a support user reads a
-- tenant's sessions only under a grant that names the user, the tenant and
-- the reason, and ends by itself at expires_at, at most 24 hours after it
-- was granted. Every grant, revocation and read is in the audit log.
CREATE TABLE support_grants (
    grant_id     uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id),
    support_user text NOT NULL CHECK (support_user ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
    reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    granted_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CONSTRAINT support_grant_time_boxed CHECK (
        expires_at > granted_at AND expires_at <= granted_at + interval '24 hours')
);
CREATE INDEX support_grants_live ON support_grants (expires_at) WHERE revoked_at IS NULL;
