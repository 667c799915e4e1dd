package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

const webhookUsage = `usage: idv tenant webhook show --tenant ID
       idv tenant webhook set-url --tenant ID --url URL
       idv tenant webhook rotate-secret --tenant ID [--overlap 24h]`

// runTenantWebhook shows a tenant's webhook endpoint, changes its URL and
// rotates its secret as the operator, with the rules and audit entries of
// the tenant's own /v1/webhook routes (actor operator:cli): the URL passes
// idv.CheckWebhookURL, loosened for private addresses only under
// IDV_WEBHOOK_ALLOW_PRIVATE (development); a new secret is printed once.
func runTenantWebhook(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs, err := verbFlagSet("tenant webhook", webhookUsage, args, stderr, "show", "set-url", "rotate-secret")
	if err != nil {
		return err
	}
	verb := args[0]
	id := fs.String("tenant", "", "tenant id (required)")
	rawURL := fs.String("url", "", "set-url: the new webhook URL")
	overlap := fs.Duration("overlap", idv.DefaultWebhookSecretOverlap, "rotate-secret: how long the old secret still signs, 0 to 168h")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	tenantID, err := parseID("tenant", *id)
	if err != nil {
		return err
	}
	if (verb == "set-url") != (*rawURL != "") {
		return fmt.Errorf("--url goes with set-url, and only with it")
	}
	if *overlap < 0 || *overlap > idv.MaxWebhookSecretOverlap {
		return fmt.Errorf("--overlap must be 0 to %s", idv.MaxWebhookSecretOverlap)
	}
	if verb == "set-url" {
		if err := idv.CheckWebhookURL(*rawURL, cfg.WebhookAllowPrivate); err != nil {
			return err
		}
	}
	return withStack(ctx, cfg, "tenant webhook "+verb, needDatabases, func(st *stack) error {
		tenants := postgres.NewTenants(st.db)
		ctx := idv.WithActor(ctx, idv.ActorOperator)
		now := time.Now()
		switch verb {
		case "set-url":
			changed, err := tenants.ChangeWebhookURL(ctx, tenantID, *rawURL, now)
			if err != nil {
				return err
			}
			if !changed {
				fmt.Fprintln(stdout, "webhook URL unchanged")
			}
		case "rotate-secret":
			secret := make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return fmt.Errorf("webhook secret: %w", err)
			}
			if _, err := tenants.Get(ctx, tenantID); err != nil {
				return err
			}
			sealed, err := st.vault.SealSecret(tenantID, schemas.WebhookSecretPurpose, secret)
			if err != nil {
				return fmt.Errorf("webhook secret: seal: %w", err)
			}
			until, err := tenants.RotateWebhookSecret(ctx, tenantID, sealed, *overlap, now)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "webhook secret rotated; the old one signs beside it until %s\n\nShown once; give it to the tenant now:\n  webhook secret: %s%s\n\n",
				until.UTC().Format(time.RFC3339), schemas.WebhookSecretPrefix, base64.StdEncoding.EncodeToString(secret))
		}
		e, err := tenants.Webhook(ctx, tenantID, now)
		if err != nil {
			return err
		}
		printWebhook(stdout, e)
		return nil
	})
}

// printWebhook shows the endpoint, never a secret.
func printWebhook(w io.Writer, e idv.WebhookEndpoint) {
	state, overlap, refusal := "enabled", "none", "none"
	if e.DisabledAt != nil {
		state = "disabled since " + e.DisabledAt.UTC().Format(time.RFC3339) + " (410 Gone; set-url re-enables)"
	}
	if e.OverlapUntil != nil {
		overlap = "until " + e.OverlapUntil.UTC().Format(time.RFC3339)
	}
	if e.LastRefusedAt != nil {
		refusal = e.LastRefusal + " at " + e.LastRefusedAt.UTC().Format(time.RFC3339) + " (not retried; set-url clears)"
	}
	fmt.Fprintf(w, "url:            %s\nstate:          %s\nsecret overlap: %s\nlast refusal:   %s\n", e.URL, state, overlap, refusal)
}
