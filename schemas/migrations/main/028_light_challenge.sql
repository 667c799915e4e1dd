-- The light challenge and the challenge's timing (issue 22 points 1-3).
-- A session created with the liveness check under a policy asking for the
-- light challenge carries light_challenge = true. Each attempt's challenge,
-- once handed out (POST /v1/app/session/challenge), is recorded here: when,
-- on the server's clock, how often (at most 5 per attempt), the light
-- sequence drawn then, and the page's submission sent with the attempt
-- (frame times, light declined, advisory signals: derived values only, no
-- device fingerprint). No personal data; the wipe deletes the rows with
-- the captures, and a session's deletion cascades to them.
ALTER TABLE sessions ADD COLUMN light_challenge boolean NOT NULL DEFAULT false;

CREATE TABLE attempt_challenges (
    session_id uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    tenant_id  uuid NOT NULL REFERENCES tenants (tenant_id),
    attempt    integer NOT NULL CHECK (attempt BETWEEN 1 AND 5),
    -- NULL while the challenge was never handed out (a submission alone).
    issued_at  timestamptz,
    issued     integer NOT NULL DEFAULT 0 CHECK (issued BETWEEN 0 AND 5),
    -- {"frames": 8, "sequence": [{"colour": "#ffffff", "ms": 800}, ...]}
    light      jsonb,
    submission jsonb,
    -- When the object store stored the attempt's selfie and light frames,
    -- as the API saw them at the submit: {"selfie": [time, ...], "light": [...]}.
    uploaded   jsonb,
    PRIMARY KEY (session_id, attempt),
    CONSTRAINT issued_when CHECK ((issued_at IS NULL) = (issued = 0))
);
SELECT idv_isolate('attempt_challenges');
