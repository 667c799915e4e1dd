package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// AddendumStatement is the text every deletion addendum carries: the
// receipt it amends stays true of everything IDV held when it was signed;
// objects that landed under the session's prefix afterwards (an upload
// through a policy issued before the wipe) were deleted too.
const AddendumStatement = "After the deletion receipt this addendum amends was signed, objects landed under the " +
	"session's storage prefix (uploads through a pre-signed policy issued before the wipe). They were sealed to the " +
	"session's public key, whose private key was already destroyed, so nobody could open them; every version, delete " +
	"marker and unfinished upload of them was deleted. The storage prefix was listed empty afterwards."

// DeletionAddendum is the signed statement of the wipe's tail sweep: it
// deleted ObjectsDeleted objects under the prefix of a session whose
// deletion receipt Amends was signed before. Like the receipt it holds ids,
// times and a count, never personal data.
type DeletionAddendum struct {
	AddendumID     string    `json:"addendum_id"`
	Amends         string    `json:"amends"` // the receipt_id of the session's deletion receipt
	SessionID      string    `json:"session_id"`
	TenantID       string    `json:"tenant_id"`
	ObjectsDeleted int       `json:"objects_deleted"`
	DeletedAt      time.Time `json:"deleted_at"` // when the sweep finished
	Statement      string    `json:"statement"`  // AddendumStatement
}

// Validate checks that the addendum is complete and holds nothing but ids, a
// time and a count.
func (a DeletionAddendum) Validate() error {
	var errs []error
	for _, f := range []struct{ name, id string }{{"addendum_id", a.AddendumID}, {"amends", a.Amends},
		{"session_id", a.SessionID}, {"tenant_id", a.TenantID}} {
		if u, err := uuid.Parse(f.id); err != nil || u == uuid.Nil || u.String() != f.id {
			errs = append(errs, fmt.Errorf("%s is not a lower-case UUID", f.name))
		}
	}
	if a.ObjectsDeleted < 1 {
		errs = append(errs, fmt.Errorf("objects_deleted %d: an addendum is written only when objects were deleted", a.ObjectsDeleted))
	}
	if a.DeletedAt.IsZero() {
		errs = append(errs, errors.New("deleted_at is missing"))
	}
	if a.Statement != AddendumStatement {
		errs = append(errs, errors.New("statement is not IDV's addendum statement"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("deletion addendum: %w", errors.Join(errs...))
	}
	return nil
}

// MarshalStatement validates the addendum and returns the bytes to sign and
// keep: its JSON encoding, the time in UTC.
func (a DeletionAddendum) MarshalStatement() ([]byte, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	a.DeletedAt = a.DeletedAt.UTC()
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("deletion addendum: encode: %w", err)
	}
	return b, nil
}
