package appclient

import (
	"context"
	"net/http"

	"github.com/idv-oss/idv/schemas"
)

// Challenge asks for the current attempt's challenge; each call draws a
// new light sequence, replacing the one before (at most
// schemas.MaxChallengeIssues per attempt).
func (c *Client) Challenge(ctx context.Context) (schemas.IssuedChallenge, error) {
	var ch schemas.IssuedChallenge
	err := c.do(ctx, http.MethodPost, "/v1/app/session/challenge", struct{}{}, &ch)
	return ch, err
}

// SubmitWith submits the uploaded captures with what the app recorded
// while taking them: capture times, the light challenge declined,
// advisory signals.
func (c *Client) SubmitWith(ctx context.Context, sub schemas.Submission) (Submitted, error) {
	var s Submitted
	err := c.do(ctx, http.MethodPost, "/v1/app/session/submit", sub, &s)
	return s, err
}
