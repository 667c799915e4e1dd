package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
)

// adminSetup is an operator's environment: migrated databases and tenants
// made with `idv tenant create`.
type adminSetup struct {
	t       *testing.T
	vars    map[string]string
	db      *sqlx.DB
	tenants []string
}

func newAdminSetup(t *testing.T, tenants ...string) *adminSetup {
	t.Helper()
	mainURL := pgtest.NewURL(t)
	a := &adminSetup{t: t, vars: map[string]string{"DATABASE_URL": mainURL, "IDV_KEYSTORE_URL": pgtest.NewURL(t),
		"IDV_MASTER_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}}
	a.run("migrate")
	for _, name := range tenants {
		out := a.run("tenant", "create", "--name", name, "--webhook-url", "https://acme.example/hook", "--retention-days", "7")
		m := regexp.MustCompile(`tenant created: ([0-9a-f-]{36})`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("tenant create printed:\n%s", out)
		}
		a.tenants = append(a.tenants, m[1])
	}
	db, err := postgres.Open(context.Background(), mainURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a.db = sqlx.NewDb(db, "postgres")
	return a
}

// run runs an idv command and fails the test if it fails.
func (a *adminSetup) run(args ...string) string {
	a.t.Helper()
	out, err := a.try(args...)
	if err != nil {
		a.t.Fatalf("idv %v: %v\n%s", args, err, out)
	}
	return out
}

// try runs an idv command and returns its output and error.
func (a *adminSetup) try(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut, env(a.vars))
	return out.String() + errOut.String(), err
}
