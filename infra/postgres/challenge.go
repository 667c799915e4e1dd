package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// An attempt's challenge record (attempt_challenges, migration 028): when
// it was handed out and how often, the light sequence drawn, and the
// page's submission. The wipe deletes the rows with the captures.

// IssueChallenge records c as its attempt's challenge, handed out at
// c.IssuedAt, replacing the one handed out before and counting it.
// ErrConflict when the session is no longer open or at another attempt,
// ErrChallengeLimit once the attempt's challenge was handed out
// schemas.MaxChallengeIssues times.
func (s *Sessions) IssueChallenge(ctx context.Context, c idv.AttemptChallenge) (idv.AttemptChallenge, error) {
	light, err := jsonOrNil(c.Light)
	if err != nil {
		return idv.AttemptChallenge{}, fmt.Errorf("challenges: encode light of %s: %w", c.SessionID, err)
	}
	err = inTx(ctx, s.db, tenantScope(c.TenantID), func(tx *sqlx.Tx) error {
		attempt, err := lockOpen(ctx, tx, c.TenantID, c.SessionID)
		if err != nil {
			return err
		}
		if attempt != c.Attempt {
			return fmt.Errorf("challenges: issue for %s: attempt %d, the session is at %d: %w", c.SessionID, c.Attempt, attempt, idv.ErrConflict)
		}
		var issued []int
		if err := tx.SelectContext(ctx, &issued, `INSERT INTO attempt_challenges AS a (session_id, tenant_id, attempt, issued_at, issued, light)
			VALUES ($1, $2, $3, $4, 1, $5)
			ON CONFLICT (session_id, attempt) DO UPDATE
			SET issued_at = EXCLUDED.issued_at, issued = a.issued + 1, light = EXCLUDED.light
			WHERE a.issued < $6
			RETURNING a.issued`, c.SessionID, c.TenantID, c.Attempt, c.IssuedAt, jsonbOrNull(light), schemas.MaxChallengeIssues); err != nil {
			return fmt.Errorf("challenges: issue for %s: %w", c.SessionID, err)
		}
		if len(issued) == 0 {
			return fmt.Errorf("challenges: %s attempt %d: %w", c.SessionID, c.Attempt, idv.ErrChallengeLimit)
		}
		c.Issued = issued[0]
		return nil
	})
	if err != nil {
		return idv.AttemptChallenge{}, err
	}
	// Before its submit an attempt has no submission: the record is c.
	return c, nil
}

// storeSubmission stores the attempt's submission and its frames' upload
// times, within tx (the submit's), beside the challenge handed out, or
// alone if none was.
func storeSubmission(ctx context.Context, tx *sqlx.Tx, tenantID, id uuid.UUID, attempt int, s submitted) error {
	b, err := json.Marshal(s.sub)
	if err != nil {
		return fmt.Errorf("challenges: encode submission of %s: %w", id, err)
	}
	u, err := json.Marshal(s.uploaded)
	if err != nil {
		return fmt.Errorf("challenges: encode upload times of %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO attempt_challenges AS a (session_id, tenant_id, attempt, submission, uploaded)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (session_id, attempt) DO UPDATE SET submission = EXCLUDED.submission, uploaded = EXCLUDED.uploaded`,
		id, tenantID, attempt, string(b), string(u)); err != nil {
		return fmt.Errorf("challenges: store submission of %s: %w", id, err)
	}
	return nil
}

// challengeRow is an attempt_challenges row as sqlx scans it.
type challengeRow struct {
	SessionID  uuid.UUID  `db:"session_id"`
	TenantID   uuid.UUID  `db:"tenant_id"`
	Attempt    int        `db:"attempt"`
	IssuedAt   *time.Time `db:"issued_at"`
	Issued     int        `db:"issued"`
	Light      []byte     `db:"light"`
	Submission []byte     `db:"submission"`
	Uploaded   []byte     `db:"uploaded"`
}

func (r challengeRow) challenge() (idv.AttemptChallenge, error) {
	c := idv.AttemptChallenge{SessionID: r.SessionID, TenantID: r.TenantID, Attempt: r.Attempt, IssuedAt: r.IssuedAt, Issued: r.Issued}
	if r.Light != nil {
		c.Light = new(schemas.LightSequence)
		if err := json.Unmarshal(r.Light, c.Light); err != nil {
			return c, fmt.Errorf("challenges: light of %s: %w", r.SessionID, err)
		}
	}
	if r.Submission != nil {
		c.Submission = new(schemas.Submission)
		if err := json.Unmarshal(r.Submission, c.Submission); err != nil {
			return c, fmt.Errorf("challenges: submission of %s: %w", r.SessionID, err)
		}
	}
	if r.Uploaded != nil {
		if err := json.Unmarshal(r.Uploaded, &c.Uploaded); err != nil {
			return c, fmt.Errorf("challenges: upload times of %s: %w", r.SessionID, err)
		}
	}
	return c, nil
}

// Challenge reads an attempt's challenge record: the zero record (nothing
// handed out, no submission) for an attempt that has none.
func (s *Sessions) Challenge(ctx context.Context, tenantID, id uuid.UUID, attempt int) (idv.AttemptChallenge, error) {
	var rows []challengeRow
	err := scopedSelect(ctx, s.db, tenantScope(tenantID), &rows, `SELECT session_id, tenant_id, attempt, issued_at, issued,
		light, submission, uploaded FROM attempt_challenges WHERE session_id = $1 AND tenant_id = $2 AND attempt = $3`, id, tenantID, attempt)
	if err != nil {
		return idv.AttemptChallenge{}, fmt.Errorf("challenges: get %s attempt %d: %w", id, attempt, err)
	}
	if len(rows) == 0 {
		return idv.AttemptChallenge{SessionID: id, TenantID: tenantID, Attempt: attempt}, nil
	}
	return rows[0].challenge()
}

// jsonOrNil is v as JSON, nil for a nil pointer.
func jsonOrNil[T any](v *T) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}
