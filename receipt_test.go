package idv_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

func goodReceipt() schemas.DeletionReceipt {
	at := time.Date(2026, 3, 8, 12, 0, 0, 123456000, time.UTC)
	return schemas.DeletionReceipt{
		ReceiptID: "0a1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f", SessionID: "6f1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f",
		TenantID: "0b1c9a52-8a1e-4a8e-9d0f-0c1b2a3d4e5f", Reason: schemas.WipeExpired, Decision: schemas.DecisionApproved,
		CreatedAt: at.AddDate(0, 0, -8), ExpiresAt: at.AddDate(0, 0, -1).Truncate(time.Hour),
		WipeRequestedAt: at.Add(-2 * time.Minute), KeyDestroyedAt: at.Add(-time.Minute), DeletedAt: at,
		ObjectsDeleted: 5, RowsDeleted: map[string]int{schemas.ReceiptRowsSessionKeys: 1, schemas.ReceiptRowsCaptures: 5},
		Statement: schemas.DeletionStatement,
	}
}

func TestReceiptRoundTrip(t *testing.T) {
	t.Parallel()
	r := goodReceipt()
	r.CreatedAt = r.CreatedAt.In(time.FixedZone("CET", 3600)) // written in UTC whatever the zone
	statement, err := r.MarshalStatement()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(statement, []byte("+01:00")) {
		t.Errorf("statement keeps a local zone: %s", statement)
	}
	got, err := idv.ParseReceipt(statement)
	if err != nil {
		t.Fatal(err)
	}
	want := goodReceipt()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
	// Exactly the contract's fields.
	var fields map[string]any
	if err := json.Unmarshal(statement, &fields); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range fields {
		names = append(names, k)
	}
	wantNames := "created_at decision deleted_at expires_at key_destroyed_at objects_deleted reason receipt_id rows_deleted session_id statement tenant_id wipe_requested_at"
	slices.Sort(names)
	if got := strings.Join(names, " "); got != wantNames {
		t.Errorf("statement fields %s, want %s", got, wantNames)
	}
	// No decision: the field is left out, and the receipt is still valid.
	r = goodReceipt()
	r.Decision = ""
	statement, err = r.MarshalStatement()
	if err != nil || bytes.Contains(statement, []byte(`"decision"`)) {
		t.Errorf("undecided receipt %s, %v", statement, err)
	}
}

func TestReceiptValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]func(r *schemas.DeletionReceipt){
		"session id not a UUID":    func(r *schemas.DeletionReceipt) { r.SessionID = "WILLEKE DE BRUIJN" },
		"upper-case UUID":          func(r *schemas.DeletionReceipt) { r.TenantID = strings.ToUpper(r.TenantID) },
		"nil receipt id":           func(r *schemas.DeletionReceipt) { r.ReceiptID = "00000000-0000-0000-0000-000000000000" },
		"unknown reason":           func(r *schemas.DeletionReceipt) { r.Reason = "because" },
		"unknown decision":         func(r *schemas.DeletionReceipt) { r.Decision = "maybe" },
		"no deleted_at":            func(r *schemas.DeletionReceipt) { r.DeletedAt = time.Time{} },
		"no key_destroyed_at":      func(r *schemas.DeletionReceipt) { r.KeyDestroyedAt = time.Time{} },
		"negative objects":         func(r *schemas.DeletionReceipt) { r.ObjectsDeleted = -1 },
		"rows of an unknown table": func(r *schemas.DeletionReceipt) { r.RowsDeleted = map[string]int{"document_number": 1} },
		"another statement":        func(r *schemas.DeletionReceipt) { r.Statement = "Nothing was deleted." },
	}
	for name, spoil := range tests {
		r := goodReceipt()
		spoil(&r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: valid", name)
		}
		if _, err := r.MarshalStatement(); err == nil {
			t.Errorf("%s: marshalled", name)
		}
	}
	if err := goodReceipt().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParseReceiptRefusesExtraFields(t *testing.T) {
	t.Parallel()
	statement, err := goodReceipt().MarshalStatement()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(statement, &m)
	m["full_name"] = "somebody"
	extra, _ := json.Marshal(m)
	if _, err := idv.ParseReceipt(extra); err == nil || !strings.Contains(err.Error(), "full_name") {
		t.Errorf("a receipt with a personal field parsed: %v", err)
	}
	if _, err := idv.ParseReceipt(append(statement, []byte(`{}`)...)); err == nil {
		t.Error("trailing data parsed")
	}
}

func TestVerifyReceipt(t *testing.T) {
	t.Parallel()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	statement, err := goodReceipt().MarshalStatement()
	if err != nil {
		t.Fatal(err)
	}
	sig := ed25519.Sign(priv, statement)
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	tampered := bytes.Replace(statement, []byte(`"objects_deleted":5`), []byte(`"objects_deleted":6`), 1)
	tests := []struct {
		name      string
		pub       ed25519.PublicKey
		statement []byte
		sig       []byte
		want      bool
	}{
		{"good", pub, statement, sig, true},
		{"tampered statement", pub, tampered, sig, false},
		{"re-encoded statement", pub, append(append([]byte{}, statement...), '\n'), sig, false},
		{"other key", otherPub, statement, sig, false},
		{"short key", pub[:31], statement, sig, false},
		{"no key", nil, statement, sig, false},
		{"short signature", pub, statement, sig[:63], false},
		{"no signature", pub, statement, nil, false},
	}
	for _, tt := range tests {
		if got := idv.VerifyReceipt(tt.pub, tt.statement, tt.sig); got != tt.want {
			t.Errorf("%s: VerifyReceipt = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzParseReceipt(f *testing.F) {
	good, err := goodReceipt().MarshalStatement()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"receipt_id":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, statement []byte) { roundTrips(t, statement, idv.ParseReceipt) })
}

// statement is a signed statement type: it marshals to the bytes IDV signs.
type statement interface{ MarshalStatement() ([]byte, error) }

// roundTrips checks, for a fuzz input, that whatever parse accepts is valid
// and survives a round trip: marshalled, parsed again and marshalled again,
// the bytes do not change.
func roundTrips[T statement](t *testing.T, input []byte, parse func([]byte) (T, error)) {
	t.Helper()
	v, err := parse(input)
	if err != nil {
		return
	}
	again, err := v.MarshalStatement()
	if err != nil {
		t.Fatalf("parsed %T does not marshal: %v", v, err)
	}
	v2, err := parse(again)
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	if again2, err := v2.MarshalStatement(); err != nil || !bytes.Equal(again, again2) {
		t.Fatalf("round trip changed %s into %s (%v)", again, again2, err)
	}
}

// goodAddendum is a valid deletion addendum.
func goodAddendum() schemas.DeletionAddendum {
	return schemas.DeletionAddendum{AddendumID: uuid.NewString(), Amends: uuid.NewString(), SessionID: uuid.NewString(),
		TenantID: uuid.NewString(), ObjectsDeleted: 2, DeletedAt: time.Date(2026, 12, 6, 14, 0, 0, 123000, time.UTC),
		Statement: schemas.AddendumStatement}
}

func TestParseAddendum(t *testing.T) {
	good, err := goodAddendum().MarshalStatement()
	if err != nil {
		t.Fatal(err)
	}
	if a, err := idv.ParseAddendum(good); err != nil || a.ObjectsDeleted != 2 {
		t.Fatalf("a good addendum: %+v, %v", a, err)
	}
	bad := map[string]func(*schemas.DeletionAddendum){
		"no objects":      func(a *schemas.DeletionAddendum) { a.ObjectsDeleted = 0 },
		"upper-case id":   func(a *schemas.DeletionAddendum) { a.Amends = strings.ToUpper(a.Amends) },
		"nil session":     func(a *schemas.DeletionAddendum) { a.SessionID = uuid.Nil.String() },
		"no time":         func(a *schemas.DeletionAddendum) { a.DeletedAt = time.Time{} },
		"other statement": func(a *schemas.DeletionAddendum) { a.Statement = schemas.DeletionStatement },
	}
	for name, spoil := range bad {
		a := goodAddendum()
		spoil(&a)
		if _, err := a.MarshalStatement(); err == nil {
			t.Errorf("%s: marshalled", name)
		}
		b, _ := json.Marshal(a)
		if _, err := idv.ParseAddendum(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	for name, b := range map[string][]byte{"unknown field": append(good[:len(good)-1:len(good)-1], []byte(`,"name":"x"}`)...),
		"data after": append(append([]byte{}, good...), []byte(`{}`)...), "a receipt": mustMarshal(t, goodReceipt())} {
		if _, err := idv.ParseAddendum(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func mustMarshal(t *testing.T, r schemas.DeletionReceipt) []byte {
	t.Helper()
	b, err := r.MarshalStatement()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseAddendum(f *testing.F) {
	good, err := goodAddendum().MarshalStatement()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"objects_deleted":-1}`))
	f.Fuzz(func(t *testing.T, statement []byte) { roundTrips(t, statement, idv.ParseAddendum) })
}
