package offboard

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/capture"
	"github.com/idv-oss/idv/producers/offboard/archive"
	"github.com/idv-oss/idv/schemas"
	"github.com/idv-oss/idv/seal"
)

// sessionFile is sessions/<id>/session.json: the session's metadata, its
// decision and check results, and where each capture is in the archive.
type sessionFile struct {
	SessionID string `json:"session_id"`
	schemas.SessionState
	Decision        *string               `json:"decision"`
	DecidedAt       *time.Time            `json:"decided_at"`
	WipeReason      *string               `json:"wipe_reason"`
	WipeRequestedAt *time.Time            `json:"wipe_requested_at"`
	Results         []schemas.CheckResult `json:"results"`
	Captures        []captureFile         `json:"captures"`
	Fields          map[string]any        `json:"fields"` // by check: the extracted fields, decrypted
	Unavailable     string                `json:"unavailable,omitempty"`
}

// captureFile describes one capture: File is its decrypted content's name
// in the archive, empty with Unavailable (a reason code) when it could not
// be opened. Size and SealedSHA256 are of the sealed bytes, as declared.
type captureFile struct {
	Attempt      int    `json:"attempt"`
	Kind         string `json:"kind"`
	Index        int    `json:"index"`
	File         string `json:"file,omitempty"`
	SealedSize   int64  `json:"sealed_size"`
	SealedSHA256 string `json:"sealed_sha256"`
	Unavailable  string `json:"unavailable,omitempty"`
}

// Reasons a session's data is missing from the archive.
const (
	unavailableKeyDestroyed = "session_key_destroyed" // its wipe is under way
)

// writeSession adds one session: every capture decrypted, then
// session.json with the results and the decrypted fields. It returns how
// many captures it added.
func (e *Exporter) writeSession(ctx context.Context, aw *archive.Writer, s idv.Session) (int, error) {
	dir := "sessions/" + s.ID.String() + "/"
	f := sessionFile{SessionID: s.ID.String(), SessionState: schemas.SessionState{Status: string(s.Status), Checks: s.Checks,
		SelfieFrames: s.SelfieFrames, RetentionDays: s.RetentionDays, CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
		SubmittedAt: s.SubmittedAt, Attempt: s.Attempt, MaxAttempts: s.MaxAttempts}, Decision: (*string)(s.Decision), DecidedAt: s.DecidedAt, WipeReason: s.WipeReason,
		WipeRequestedAt: s.WipeRequestedAt, Results: []schemas.CheckResult{}, Captures: []captureFile{}, Fields: map[string]any{}}
	results, err := e.Results.List(ctx, s.TenantID, s.ID)
	if err != nil {
		return 0, err
	}
	for _, r := range results {
		f.Results = append(f.Results, r.View())
	}
	captures, err := e.Sessions.Captures(ctx, s.TenantID, s.ID)
	if err != nil {
		return 0, err
	}
	key, err := capture.SessionKey(ctx, e.Sessions, e.Keys, s.TenantID, s.ID)
	if errors.Is(err, capture.ErrKeyGone) {
		f.Unavailable = unavailableKeyDestroyed
	} else if err != nil {
		return 0, err
	}
	added := 0
	for _, c := range captures {
		cf := captureFile{Attempt: c.Attempt, Kind: string(c.Kind), Index: c.Index, SealedSize: c.Size, SealedSHA256: hex.EncodeToString(c.SHA256)}
		if key == nil {
			cf.Unavailable = unavailableKeyDestroyed
		} else if err := e.writeCapture(ctx, aw, dir, key, c, &cf); err != nil {
			return added, err
		}
		if cf.File != "" {
			added++
		}
		f.Captures = append(f.Captures, cf)
	}
	if key != nil {
		if err := openFields(key, results, f.Fields); err != nil {
			return added, fmt.Errorf("offboard: session %s: %w", s.ID, err)
		}
	}
	return added, aw.AddJSON(dir+"session.json", f)
}

// writeCapture opens one capture as the check stages do and adds its
// plaintext, which is cleared once written.
func (e *Exporter) writeCapture(ctx context.Context, aw *archive.Writer, dir string, key *seal.SessionKey,
	c idv.Capture, cf *captureFile) error {
	plain, reason, err := capture.Open(ctx, e.Objects, key, c)
	if err != nil {
		return fmt.Errorf("offboard: session %s: %w", c.SessionID, err)
	}
	if reason != "" {
		cf.Unavailable = reason
		return nil
	}
	defer clear(plain)
	cf.File = fmt.Sprintf("%scaptures/%s-%d", dir, c.Kind, c.Index)
	if c.Attempt > 1 { // the first attempt's names are those of the archives made before attempts
		cf.File = fmt.Sprintf("%scaptures/attempt-%d/%s-%d", dir, c.Attempt, c.Kind, c.Index)
	}
	return aw.Add(cf.File, int64(len(plain)), bytes.NewReader(plain))
}

// openFields opens each check's sealed fields into fields[check]: all of
// them, since the tenant's policy allowed each when it was extracted.
func openFields(key *seal.SessionKey, results []idv.Result, fields map[string]any) error {
	for _, r := range results {
		if r.FieldsSealed == nil {
			continue
		}
		plain, err := seal.Open(key, seal.FieldsInfo(key.SessionID(), r.Check), r.FieldsSealed)
		if err != nil {
			return fmt.Errorf("open fields of %s: %w", r.Check, err)
		}
		var got map[string]any
		err = json.Unmarshal(plain, &got)
		clear(plain)
		if err != nil {
			return fmt.Errorf("decode fields of %s: %w", r.Check, err)
		}
		fields[r.Check] = got
	}
	return nil
}
