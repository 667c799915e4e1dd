package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/credential"
	"github.com/idv-oss/idv/infra/postgres"
)

const keysUsage = `usage: idv tenant keys list --tenant ID
       idv tenant keys create --tenant ID
       idv tenant keys revoke --tenant ID --key KEY_ID
       idv tenant keys rotate --tenant ID --key KEY_ID [--overlap 24h]`

// runTenantKeys lists, creates, revokes and rotates a tenant's API keys as
// the operator, with the rules and audit entries of the tenant's own
// /v1/api-keys routes (actor operator:cli). A new key's text is printed
// once; a listing shows ids and prefixes only.
func runTenantKeys(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("tenant keys", keysUsage, args, stderr, "list", "create", "revoke", "rotate")
	if err != nil {
		return err
	}
	verb := args[0]
	id := fs.String("tenant", "", "tenant id (required)")
	keyID := fs.String("key", "", "key id, the hex after idv_sk_ (revoke, rotate)")
	overlap := fs.Duration("overlap", idv.DefaultKeyOverlap, "rotate: how long the old key keeps working, 0 to 168h")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	tenantID, err := parseID("tenant", *id)
	if err != nil {
		return err
	}
	switch needsKey := verb == "revoke" || verb == "rotate"; {
	case needsKey && *keyID == "":
		return fmt.Errorf("tenant keys %s needs --key", verb)
	case !needsKey && *keyID != "":
		return fmt.Errorf("tenant keys %s takes no --key", verb)
	}
	if *overlap < 0 || *overlap > idv.MaxKeyOverlap {
		return fmt.Errorf("--overlap must be 0 to %s", idv.MaxKeyOverlap)
	}
	return withStack(ctx, cfg, "tenant keys "+verb, needMainDB, func(st *stack) error {
		tenants := postgres.NewTenants(st.db)
		if _, err := tenants.Get(ctx, tenantID); err != nil {
			return err
		}
		ctx := idv.WithActor(ctx, idv.ActorOperator)
		now := time.Now()
		switch verb {
		case "create":
			cred, err := newKeyCredential()
			if err != nil {
				return err
			}
			k, err := idv.CreateAPIKey(ctx, tenants, tenantID, idv.APIKey{ID: cred.ID, SecretHash: cred.Hash()}, now)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "API key %s created for tenant %s\n\nShown once; store it now:\n  API key: %s\n", k.ID, tenantID, cred)
		case "revoke":
			k, err := idv.RevokeAPIKey(ctx, tenants, tenantID, *keyID, now)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "API key %s revoked at %s\n", k.ID, k.RevokedAt.UTC().Format(time.RFC3339))
		case "rotate":
			cred, err := newKeyCredential()
			if err != nil {
				return err
			}
			old, k, err := idv.RotateAPIKey(ctx, tenants, tenantID, *keyID, idv.APIKey{ID: cred.ID, SecretHash: cred.Hash()}, *overlap, now)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "API key %s replaces %s, which works until %s\n\nShown once; store it now:\n  API key: %s\n",
				k.ID, old.ID, old.RevokedAt.UTC().Format(time.RFC3339), cred)
		}
		keys, err := tenants.APIKeys(ctx, tenantID)
		if err != nil {
			return err
		}
		if verb != "list" {
			fmt.Fprintln(stdout)
		}
		printKeys(stdout, keys, now)
		return nil
	})
}

func newKeyCredential() (credential.Credential, error) {
	c, err := credential.New(credential.APIKey, credential.NewID(8))
	if err != nil {
		return c, fmt.Errorf("api key: %w", err)
	}
	return c, nil
}

// printKeys shows keys by id and prefix, never a secret or its hash.
func printKeys(w io.Writer, keys []idv.APIKey, now time.Time) {
	fmt.Fprintf(w, "%-16s  %-23s  %-8s  %-20s  %s\n", "ID", "PREFIX", "STATE", "CREATED", "ENDS")
	for _, k := range keys {
		ends := "-"
		if k.RevokedAt != nil {
			ends = k.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%-16s  %-23s  %-8s  %-20s  %s\n", k.ID, credential.APIKey+"_"+k.ID, k.State(now),
			k.CreatedAt.UTC().Format(time.RFC3339), ends)
	}
}
