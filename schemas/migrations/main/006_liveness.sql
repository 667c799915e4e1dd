-- Active liveness (issue 5). The challenge the server drew for a session
-- (schemas.Challenge steps, e.g. {turn_left,blink}); NULL when the session
-- does not ask for the liveness check. It is an instruction, not personal
-- data.
ALTER TABLE sessions ADD COLUMN challenge text[];

-- Signals a check records without deciding on them (the passive-liveness
-- score): numbers by name, never personal data.
ALTER TABLE check_results ADD COLUMN advisory jsonb;
