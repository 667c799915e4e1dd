-- Attempts (issue 16): a check that ends with a reason the person can fix
-- returns the session to them for a new attempt (status retake_requested)
-- instead of ending it resubmission_requested. Captures and results belong
-- to one attempt, so a new attempt is checked and decided afresh and an old
-- capture cannot stand in for a new one. Sessions created before this
-- migration have one attempt and allow one (max_attempts 1): nothing about
-- them changes.
ALTER TABLE sessions DROP CONSTRAINT sessions_status_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_status_check
    CHECK (status IN ('created', 'retake_requested', 'submitted', 'decided', 'expired', 'deleted'));

ALTER TABLE sessions
    ADD COLUMN attempt integer NOT NULL DEFAULT 1,
    ADD COLUMN max_attempts integer NOT NULL DEFAULT 1,
    -- What the last attempt's checks asked the person to take again, as
    -- [{"capture": "document", "reasons": ["blurry"]}]: codes only.
    ADD COLUMN retake jsonb NOT NULL DEFAULT '[]',
    ADD CONSTRAINT attempts_range CHECK (attempt BETWEEN 1 AND max_attempts AND max_attempts BETWEEN 1 AND 5);

ALTER TABLE captures ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1);
ALTER TABLE captures DROP CONSTRAINT captures_pkey;
ALTER TABLE captures ADD PRIMARY KEY (session_id, attempt, kind, idx);

ALTER TABLE check_results ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1);
ALTER TABLE check_results DROP CONSTRAINT check_results_pkey;
ALTER TABLE check_results ADD PRIMARY KEY (session_id, attempt, check_name);
