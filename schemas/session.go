package schemas

import "time"

// SessionState is a session's status, what was asked of it and when it was
// created, expires and was submitted, as IDV shows them to the tenant: in
// GET /v1/sessions/{id} and in the offboarding archive's session.json, each
// of which embeds it after the session's id.
type SessionState struct {
	Status        string     `json:"status"`
	Checks        []string   `json:"checks"`
	SelfieFrames  int        `json:"selfie_frames"`
	RetentionDays int        `json:"retention_days"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpiresAt     time.Time  `json:"expires_at"`
	SubmittedAt   *time.Time `json:"submitted_at"`
	// Attempt is the person's current attempt, MaxAttempts how many the
	// session allows.
	Attempt     int `json:"attempt"`
	MaxAttempts int `json:"max_attempts"`
}
