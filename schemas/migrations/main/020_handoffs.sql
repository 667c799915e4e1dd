-- Desktop-to-phone hand-off (issue 16): a session opened where there is no
-- camera is continued on a phone through a short, single-use code. The
-- phone gets its own app token, whose hash is kept here beside the
-- session's own, so the desktop keeps following the session. Codes and
-- tokens are random secrets kept only as SHA-256 hashes; no personal data.
CREATE TABLE handoffs (
    code_hash      bytea PRIMARY KEY CHECK (length(code_hash) = 32),
    session_id     uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    tenant_id      uuid NOT NULL REFERENCES tenants (tenant_id),
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    redeemed_at    timestamptz,
    app_token_hash bytea CHECK (length(app_token_hash) = 32),
    CONSTRAINT redeemed_with_token CHECK ((redeemed_at IS NULL) = (app_token_hash IS NULL))
);
CREATE INDEX handoffs_session ON handoffs (session_id);
SELECT idv_isolate('handoffs');
