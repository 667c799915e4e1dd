-- Requests a data subject makes through the app about its session (GDPR
-- arts. 15–21; the seeds' agreement, art. 8: the processor forwards them
-- to the controller). IDV records the kind only, no free text: the
-- controller knows whom it invited to the session and answers through its
-- own channel. The row goes with the session's other rows at the wipe.
CREATE TABLE data_subject_requests (
    dsr_id      uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
    session_id  uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure', 'objection')),
    received_at timestamptz NOT NULL
);
CREATE INDEX data_subject_requests_session ON data_subject_requests (tenant_id, session_id);
