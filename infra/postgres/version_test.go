package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/schemas"
)

func TestCheckServerVersion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		num      int
		spelled  string
		tooOld   bool
		wantText string
	}{
		{num: 90624, spelled: "9.6.24", tooOld: true, wantText: "PostgreSQL 9.6.24, IDV needs 15.0 or later"},
		{num: 130015, spelled: "13.15", tooOld: true, wantText: "PostgreSQL 13.15, IDV needs 15.0 or later"},
		{num: 149999, spelled: "14.9999", tooOld: true},
		{num: 150000, spelled: "15.0"},
		{num: 150020, spelled: "15.20"},
		{num: 170004, spelled: "17.4"},
	} {
		if got := postgres.VersionString(tt.num); got != tt.spelled {
			t.Errorf("VersionString(%d) = %q, want %q", tt.num, got, tt.spelled)
		}
		err := postgres.CheckServerVersion(tt.num)
		if tt.tooOld != errors.Is(err, postgres.ErrServerTooOld) {
			t.Errorf("CheckServerVersion(%d) = %v, want too old: %v", tt.num, err, tt.tooOld)
		}
		if tt.wantText != "" && (err == nil || !strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), "upgrade")) {
			t.Errorf("CheckServerVersion(%d) = %v, want it to say %q and what to do", tt.num, err, tt.wantText)
		}
	}
}

// The test server passes the check Open makes, so every test's server is
// one IDV supports.
func TestServerVersion(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	num, err := postgres.ServerVersion(context.Background(), db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if num < postgres.MinServerVersion {
		t.Fatalf("server_version_num %d below %d, and Open did not refuse it", num, postgres.MinServerVersion)
	}
}

func TestPending(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDB(t)
	ctx := context.Background()
	before, err := postgres.Pending(ctx, db.DB, schemas.KeyStoreMigrations())
	if err != nil {
		t.Fatal(err)
	}
	applied, err := postgres.Migrate(ctx, db.DB, schemas.KeyStoreMigrations())
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 || !slices.Equal(before, applied) {
		t.Fatalf("pending before Migrate %v, Migrate applied %v: want the same, not empty", before, applied)
	}
	after, err := postgres.Pending(ctx, db.DB, schemas.KeyStoreMigrations())
	if err != nil || len(after) != 0 {
		t.Fatalf("pending after Migrate: %v, %v", after, err)
	}
}
