package tenant_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/idv-oss/idv/credential"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/postgres/pgtest"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/producers/tenant"
	"github.com/idv-oss/idv/schemas"
)

func TestCreateRefusesBadInstructions(t *testing.T) {
	good := tenant.Request{Name: "Acme", WebhookURL: "https://acme.example/hook", RetentionDays: 7}
	cases := []struct {
		name string
		edit func(*tenant.Request)
		want string
	}{
		{"retention 0", func(r *tenant.Request) { r.RetentionDays = 0 }, "outside 1..28"},
		{"retention 29", func(r *tenant.Request) { r.RetentionDays = 29 }, "outside 1..28"},
		{"unknown field", func(r *tenant.Request) { r.Fields = []string{"full_name", "shoe_size"} }, `unknown field "shoe_size" (valid: full_name, sex,`},
		{"relative URL", func(r *tenant.Request) { r.WebhookURL = "/hook" }, "absolute http(s) URL"},
		{"ftp URL", func(r *tenant.Request) { r.WebhookURL = "ftp://acme.example/" }, "absolute http(s) URL"},
		{"credentials in URL", func(r *tenant.Request) { r.WebhookURL = "https://u:p@acme.example/" }, "credentials"},
		{"no name", func(r *tenant.Request) { r.Name = " " }, "name"},
		{"http outside development", func(r *tenant.Request) { r.WebhookURL = "http://acme.example/hook"; r.RequireHTTPS = true }, "must be https://"},
		{"loopback http outside development", func(r *tenant.Request) { r.WebhookURL = "http://127.0.0.1:9/hook"; r.RequireHTTPS = true }, "must be https://"},
	}
	for _, c := range cases {
		req := good
		c.edit(&req)
		_, err := tenant.Create(context.Background(), nil, nil, req)
		if !errors.Is(err, tenant.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestWebhookSchemeRule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	keys := pgtest.NewDB(t, schemas.KeyStoreMigrations())
	master, _ := vault.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	v := vault.New(master, keys.DB)
	store := postgres.NewTenants(db.DB)
	for _, c := range []struct {
		url       string
		httpsOnly bool
	}{
		{"https://acme.example/hook", true},
		{"http://127.0.0.1:9/hook", false}, // development: the receiver on loopback
	} {
		created, err := tenant.Create(ctx, store, v, tenant.Request{Name: "Acme", WebhookURL: c.url, RetentionDays: 7, RequireHTTPS: c.httpsOnly})
		if err != nil {
			t.Fatalf("%s (https only %v): %v", c.url, c.httpsOnly, err)
		}
		if got, err := store.Get(ctx, created.TenantID); err != nil || got.WebhookURL != c.url {
			t.Fatalf("%s stored as %q: %v", c.url, got.WebhookURL, err)
		}
	}
}

func TestCreateStoresHashAndSealedSecretOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t, schemas.MainMigrations())
	keys := pgtest.NewDB(t, schemas.KeyStoreMigrations())
	master, _ := vault.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	v := vault.New(master, keys.DB)
	store := postgres.NewTenants(db.DB)
	c, err := tenant.Create(ctx, store, v, tenant.Request{Name: "Acme", WebhookURL: "https://acme.example/hook",
		RetentionDays: 7, Fields: []string{"age_over_18"}})
	if err != nil {
		t.Fatal(err)
	}
	key, err := credential.Parse(credential.APIKey, c.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := store.APIKey(ctx, key.ID)
	if err != nil || stored.TenantID != c.TenantID || !key.Matches(stored.SecretHash) {
		t.Fatalf("stored key %+v: %v", stored, err)
	}
	if bytes.Contains(stored.SecretHash, key.Secret) {
		t.Fatal("API key secret stored in the clear")
	}
	got, err := store.Get(ctx, c.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(c.WebhookSecret, "whsec_"))
	if len(secret) < 24 || bytes.Contains(got.WebhookSecretSealed, secret) {
		t.Fatalf("webhook secret of %d bytes, stored in the clear: %v", len(secret), bytes.Contains(got.WebhookSecretSealed, secret))
	}
	opened, err := v.OpenSecret(c.TenantID, schemas.WebhookSecretPurpose, got.WebhookSecretSealed)
	if err != nil || !bytes.Equal(opened, secret) {
		t.Fatalf("sealed webhook secret does not open to the one shown: %v", err)
	}
	if got.RetentionDays != 7 || len(got.Policy.Fields) != 1 || got.Policy.SelfieFrames != schemas.DefaultSelfieFrames {
		t.Fatalf("tenant stored as %+v", got)
	}
}
