package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/producers/tenant"
)

func runTenant(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "create":
			return runTenantCreate(ctx, args[1:], cfg, stdout, stderr)
		case "set-retention":
			return runTenantSetRetention(ctx, args[1:], cfg, stdout, stderr)
		case "policy":
			return runTenantPolicy(ctx, args[1:], cfg, stdout, stderr)
		case "keys":
			return runTenantKeys(ctx, args[1:], cfg, stdout, stderr)
		case "webhook":
			return runTenantWebhook(ctx, args[1:], cfg, stdout, stderr)
		case "offboard":
			return runTenantOffboard(ctx, args[1:], cfg, stdout, stderr)
		}
	}
	return fmt.Errorf("usage: idv tenant create --name N --webhook-url U --retention-days D [--fields f1,f2,...]\n" +
		"       idv tenant set-retention --tenant ID --days D\n" +
		"       idv tenant policy show|set --tenant ID [settings]\n" +
		"       idv tenant keys list|create|revoke|rotate --tenant ID [--key KEY_ID] [--overlap 24h]\n" +
		"       idv tenant offboard --tenant ID --recipient PUBKEY --export DIR | --delete --confirm ID [--no-export]")
}

func runTenantCreate(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs := newFlagSet("tenant create", stderr)
	var req tenant.Request
	var fields string
	fs.StringVar(&req.Name, "name", "", "the customer's name (required)")
	fs.StringVar(&req.WebhookURL, "webhook-url", "", "where results are sent (required)")
	fs.IntVar(&req.RetentionDays, "retention-days", 0, "days until a session's personal data is gone, 1..28 (required)")
	fs.StringVar(&fields, "fields", "", "comma-separated policy fields IDV may extract, store and return")
	checks := fs.String("checks", "", "comma-separated checks sessions run (document, face; default document)")
	fs.IntVar(&req.SelfieFrames, "selfie-frames", 0, "selfie frames per session (default 5)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fields != "" {
		req.Fields = strings.Split(fields, ",")
	}
	if *checks != "" {
		req.Checks = strings.Split(*checks, ",")
	}
	req.RequireHTTPS = !cfg.WebhookAllowPrivate // development keeps http to its loopback receiver
	return withStack(ctx, cfg, "tenant create", needDatabases, func(st *stack) error {
		created, err := tenant.Create(ctx, postgres.NewTenants(st.db), st.vault, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tenant created: %s\n\nShown once; store them now:\n  API key:        %s\n  webhook secret: %s\n",
			created.TenantID, created.APIKey, created.WebhookSecret)
		return nil
	})
}

// runTenantSetRetention changes a tenant's retention; lowering it shortens
// the tenant's existing sessions too.
func runTenantSetRetention(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs := newFlagSet("tenant set-retention", stderr)
	id := fs.String("tenant", "", "tenant id (required)")
	days := fs.Int("days", 0, "new retention in days, 1..28 (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tenantID, err := parseID("tenant", *id)
	if err != nil {
		return err
	}
	return withStack(ctx, cfg, "tenant set-retention", needDatabases, func(st *stack) error {
		ctx := idv.WithActor(ctx, idv.ActorOperator)
		n, err := tenant.SetRetention(ctx, postgres.NewTenants(st.db), postgres.NewSessions(st.db), st.vault, tenantID, *days)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tenant %s: retention %d days; %d existing session(s) shortened and re-keyed\n", tenantID, *days, n)
		return nil
	})
}
