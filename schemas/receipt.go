package schemas

// The deletion receipt: what IDV signs when a session's personal data is
// gone (docs/design.md invariant 3). The wipe stage builds and signs it; the API
// hands out the exact signed bytes with the signature; a controller verifies
// them with the public key from GET /v1/receipt-signing-key.

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
)

// DeletionStatement is the text every receipt carries: what was done, what
// follows (the retention sweep destroys the epoch key once its hour is
// wiped) and what remains. It is true of every wipe IDV performs.
const DeletionStatement = "All personal data of this session held by IDV has been destroyed: " +
	"its private session key was deleted (crypto-shredding); every stored object version, delete marker and " +
	"unfinished upload under the session's storage prefix was deleted; its personal database rows were deleted. " +
	"The epoch key that wrapped the session key is destroyed once every session of the same expiry hour is wiped, " +
	"after which no earlier copy of the session key or of its sealed captures, backups included, can be opened. " +
	"IDV keeps only this receipt and a tombstone of ids, reason, decision and times."

// Receipt row names: the tables a wipe deletes rows from, as counted in
// DeletionReceipt.RowsDeleted.
const (
	ReceiptRowsSessionKeys = "session_keys"
	ReceiptRowsCaptures    = "captures"
)

// ReceiptRows are the tables a receipt may count rows of.
var ReceiptRows = []string{ReceiptRowsSessionKeys, ReceiptRowsCaptures}

// DeletionReceipt is the signed statement that a session's personal data is
// destroyed. It holds ids, the reason, the decision, times and counts, never
// personal data (docs/design.md invariant 1): it outlives the data it speaks of.
// Times are UTC with microsecond precision, as the database keeps them.
type DeletionReceipt struct {
	ReceiptID string `json:"receipt_id"`
	SessionID string `json:"session_id"`
	TenantID  string `json:"tenant_id"`
	Reason    string `json:"reason"`             // WipeExpired, WipeCustomerRequest or WipeDeclinedByUser
	Decision  string `json:"decision,omitempty"` // the session's decision, if it had one

	CreatedAt       time.Time `json:"created_at"`        // the session's
	ExpiresAt       time.Time `json:"expires_at"`        // the session's retention deadline
	WipeRequestedAt time.Time `json:"wipe_requested_at"` // when the wipe was asked for
	KeyDestroyedAt  time.Time `json:"key_destroyed_at"`  // when the session key was deleted
	DeletedAt       time.Time `json:"deleted_at"`        // when the wipe finished

	// ObjectsDeleted counts the object versions, delete markers and
	// unfinished uploads the attempt that finished the wipe removed; an
	// earlier attempt cut short after deleting objects leaves fewer (0) for
	// the last one. Storage under the session's prefix was listed empty
	// either way.
	ObjectsDeleted int `json:"objects_deleted"`
	// RowsDeleted counts deleted rows by table (ReceiptRows…).
	RowsDeleted map[string]int `json:"rows_deleted"`

	Statement string `json:"statement"` // DeletionStatement
}

// Validate checks that the receipt is complete and holds nothing but ids,
// codes, times and counts.
func (r DeletionReceipt) Validate() error {
	var errs []error
	for name, id := range map[string]string{"receipt_id": r.ReceiptID, "session_id": r.SessionID, "tenant_id": r.TenantID} {
		if u, err := uuid.Parse(id); err != nil || u == uuid.Nil || u.String() != id {
			errs = append(errs, fmt.Errorf("%s is not a lower-case UUID", name))
		}
	}
	if !slices.Contains(WipeReasons, r.Reason) {
		errs = append(errs, fmt.Errorf("reason %q is not a wipe reason", r.Reason))
	}
	if r.Decision != "" && !slices.Contains(Decisions, r.Decision) {
		errs = append(errs, fmt.Errorf("decision %q is not a decision", r.Decision))
	}
	for name, t := range map[string]time.Time{"created_at": r.CreatedAt, "expires_at": r.ExpiresAt,
		"wipe_requested_at": r.WipeRequestedAt, "key_destroyed_at": r.KeyDestroyedAt, "deleted_at": r.DeletedAt} {
		if t.IsZero() {
			errs = append(errs, fmt.Errorf("%s is missing", name))
		}
	}
	if r.ObjectsDeleted < 0 {
		errs = append(errs, fmt.Errorf("objects_deleted %d is negative", r.ObjectsDeleted))
	}
	for _, table := range slices.Sorted(maps.Keys(r.RowsDeleted)) {
		if !slices.Contains(ReceiptRows, table) {
			errs = append(errs, fmt.Errorf("rows_deleted: unknown table %q", table))
		}
		if r.RowsDeleted[table] < 0 {
			errs = append(errs, fmt.Errorf("rows_deleted: %s %d is negative", table, r.RowsDeleted[table]))
		}
	}
	if r.Statement != DeletionStatement {
		errs = append(errs, errors.New("statement is not IDV's deletion statement"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("deletion receipt: %w", errors.Join(errs...))
	}
	return nil
}

// MarshalStatement validates the receipt and returns the bytes to sign and
// keep: its JSON encoding, times in UTC. Those exact bytes, not a
// re-encoding, are what a signature covers.
func (r DeletionReceipt) MarshalStatement() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	for _, t := range []*time.Time{&r.CreatedAt, &r.ExpiresAt, &r.WipeRequestedAt, &r.KeyDestroyedAt, &r.DeletedAt} {
		*t = t.UTC()
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("deletion receipt: encode: %w", err)
	}
	return b, nil
}
