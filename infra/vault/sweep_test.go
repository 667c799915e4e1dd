package vault_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/schemas"
)

func TestEpochsListsLiveEpochsUpTo(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(s)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(master, pgtest.NewDB(t, schemas.KeyStoreMigrations()).DB)
	now := time.Now().UTC().Truncate(time.Hour)
	a, b := uuid.New(), uuid.New()
	keys := map[idv.Epoch]idv.WrappedKey{}
	for _, e := range []idv.Epoch{
		{TenantID: a, Hour: now.Add(-3 * time.Hour)}, {TenantID: b, Hour: now.Add(-3 * time.Hour)}, {TenantID: a, Hour: now.Add(-time.Hour)},
		{TenantID: a, Hour: now}, {TenantID: b, Hour: now.Add(time.Hour)},
	} {
		// Any time within the hour lands in its epoch.
		k, err := v.NewSessionKey(ctx, e.TenantID, uuid.New(), e.Hour.Add(17*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		keys[e] = k
	}
	// Listed up to and including the given time, oldest first; the later
	// hour is not.
	got, err := v.Epochs(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []idv.Epoch{{TenantID: a, Hour: now.Add(-3 * time.Hour)}, {TenantID: b, Hour: now.Add(-3 * time.Hour)}, {TenantID: a, Hour: now.Add(-time.Hour)}, {TenantID: a, Hour: now}}
	slices.SortStableFunc(want[:2], func(x, y idv.Epoch) int { return slices.Compare(x.TenantID[:], y.TenantID[:]) })
	if !equalEpochs(got, want) {
		t.Fatalf("epochs up to %v: %v, want %v", now, got, want)
	}
	for _, e := range got {
		if e.Hour.Location() != time.UTC {
			t.Fatalf("epoch hour %v not in UTC", e.Hour)
		}
	}

	// A destroyed epoch is no longer listed, and its keys no longer open.
	gone := idv.Epoch{TenantID: a, Hour: now.Add(-time.Hour)}
	if err := v.DestroyEpoch(ctx, gone.TenantID, gone.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Unwrap(ctx, keys[gone]); !errors.Is(err, idv.ErrEpochDestroyed) {
		t.Fatalf("unwrap under a destroyed epoch: %v, want ErrEpochDestroyed", err)
	}
	got, err = v.Epochs(ctx, now.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(append(want, idv.Epoch{TenantID: b, Hour: now.Add(time.Hour)}), func(e idv.Epoch) bool { return e == gone })
	if !equalEpochs(got, want) {
		t.Fatalf("epochs after destroying one: %v, want %v", got, want)
	}
	if got, err := v.Epochs(ctx, now.Add(-4*time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("epochs before the first: %v, %v", got, err)
	}
}

func equalEpochs(got, want []idv.Epoch) bool {
	return slices.EqualFunc(got, want, func(x, y idv.Epoch) bool { return x.TenantID == y.TenantID && x.Hour.Equal(y.Hour) })
}
