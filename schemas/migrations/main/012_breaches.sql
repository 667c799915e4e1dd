-- The breach register (GDPR art. 33(2); the seeds' agreement, art. 7: the
-- controller is told within 24 hours). A breach is IDV's own incident, so
-- it belongs to no one tenant; breach_tenants holds, per tenant, what IDV
-- computed from its own records (sessions alive in the window, categories
-- of data) and when the tenant was notified. Texts describe the incident,
-- never a data subject.
CREATE TABLE breaches (
    breach_id     uuid PRIMARY KEY,
    opened_at     timestamptz NOT NULL, -- when IDV became aware: the 24 hours run from here
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL CHECK (window_end > window_start),
    tenant_scope  uuid[],               -- NULL: every tenant
    stages        text[] NOT NULL CHECK (cardinality(stages) > 0),
    nature        text NOT NULL CHECK (length(nature) BETWEEN 1 AND 4000),
    consequences  text NOT NULL DEFAULT '' CHECK (length(consequences) <= 4000),
    measures      text NOT NULL DEFAULT '' CHECK (length(measures) <= 4000),
    contact       text NOT NULL CHECK (length(contact) BETWEEN 1 AND 500),
    updated_at    timestamptz NOT NULL,
    rounds        integer NOT NULL DEFAULT 0 -- notifications sent: 1 the first, more for updates
);

CREATE TABLE breach_tenants (
    breach_id      uuid NOT NULL REFERENCES breaches (breach_id),
    tenant_id      uuid NOT NULL REFERENCES tenants (tenant_id),
    sessions       integer NOT NULL CHECK (sessions >= 0), -- approximate number of data subjects
    categories     text[] NOT NULL,
    notified_round integer NOT NULL DEFAULT 0,
    notified_at    timestamptz,
    PRIMARY KEY (breach_id, tenant_id)
);
