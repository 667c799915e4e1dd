package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/producers/tenant"
)

// runMigrate applies the migrations of both databases and, with
// IDV_NATS_URL set, declares stream IDV and the stages' consumers.
func runMigrate(ctx context.Context, cfg config, stdout io.Writer) error {
	if cfg.DatabaseURL == "" || cfg.KeyStoreURL == "" {
		return fmt.Errorf("migrate needs IDV_DATABASE_URL (or DATABASE_URL) and IDV_KEYSTORE_URL")
	}
	main, keystore, err := migrateAll(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "main database: %d migration(s) applied %v\nkey store: %d migration(s) applied %v\n",
		len(main), main, len(keystore), keystore)
	if cfg.NATSURL == "" {
		fmt.Fprintln(stdout, "JetStream: IDV_NATS_URL not set, stream and consumers not declared")
		return nil
	}
	b, err := openBroker(ctx, cfg, "idv-migrate")
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.declare(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "JetStream: stream IDV (%d replica(s), max age %s) and consumers %v declared\n",
		cfg.StreamReplicas, cfg.StreamMaxAge, stageNames(pipeline))
	return nil
}

func runKeygen(stdout io.Writer) error {
	k, err := vault.GenerateMasterKey()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, k)
	return nil
}

func runTenant(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "create":
			return runTenantCreate(ctx, args[1:], cfg, stdout, stderr)
		case "set-retention":
			return runTenantSetRetention(ctx, args[1:], cfg, stdout, stderr)
		case "policy":
			return runTenantPolicy(ctx, args[1:], cfg, stdout, stderr)
		case "offboard":
			return runTenantOffboard(ctx, args[1:], cfg, stdout, stderr)
		}
	}
	return fmt.Errorf("usage: idv tenant create --name N --webhook-url U --retention-days D [--fields f1,f2,...]\n" +
		"       idv tenant set-retention --tenant ID --days D\n" +
		"       idv tenant policy show|set --tenant ID [settings]\n" +
		"       idv tenant offboard --tenant ID --recipient PUBKEY --export DIR | --delete --confirm ID [--no-export]")
}

func runTenantCreate(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	fs.SetOutput(stderr)
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
	if err := cfg.requireDatabases(); err != nil {
		return err
	}
	st, err := openConfigured(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	created, err := tenant.Create(ctx, postgres.NewTenants(st.db), st.vault, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tenant created: %s\n\nShown once; store them now:\n  API key:        %s\n  webhook secret: %s\n",
		created.TenantID, created.APIKey, created.WebhookSecret)
	return nil
}

// runTenantSetRetention changes a tenant's retention; lowering it shortens
// the tenant's existing sessions too.
func runTenantSetRetention(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tenant set-retention", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("tenant", "", "tenant id (required)")
	days := fs.Int("days", 0, "new retention in days, 1..28 (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tenantID, err := uuid.Parse(*id)
	if err != nil {
		return fmt.Errorf("--tenant must be a tenant id (a UUID)")
	}
	if err := cfg.requireDatabases(); err != nil {
		return err
	}
	st, err := openConfigured(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx = idv.WithActor(ctx, idv.ActorOperator)
	n, err := tenant.SetRetention(ctx, postgres.NewTenants(st.db), postgres.NewSessions(st.db), st.vault, tenantID, *days)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tenant %s: retention %d days; %d existing session(s) shortened and re-keyed\n", tenantID, *days, n)
	return nil
}

// runAudit verifies a tenant's audit chain: `idv audit verify --tenant ID`
// prints how many entries verified and OK, or the first entry that does not
// and fails.
func runAudit(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("usage: idv audit verify --tenant ID")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("tenant", "", "tenant id (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	tenantID, err := uuid.Parse(*id)
	if err != nil {
		return fmt.Errorf("--tenant must be a tenant id (a UUID)")
	}
	db, err := openMainDB(ctx, cfg, "audit verify")
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := postgres.NewAudit(db).Verify(ctx, tenantID)
	var brk *idv.AuditBreak
	if errors.As(err, &brk) {
		fmt.Fprintf(stdout, "tenant %s: audit log BROKEN at seq %d (%d entries before it verified): %s\n",
			tenantID, brk.Seq, n, brk.Reason)
		return fmt.Errorf("audit log of tenant %s broken at seq %d", tenantID, brk.Seq)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tenant %s: %d audit entries, chain OK\n", tenantID, n)
	return nil
}

// openMainDB opens the main database for a command that needs nothing else.
func openMainDB(ctx context.Context, cfg config, command string) (*sqlx.DB, error) {
	if cfg.DatabaseURL == "" {
		return nil, fmt.Errorf("%s needs IDV_DATABASE_URL (or DATABASE_URL)", command)
	}
	db, err := postgres.OpenApp(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("main database: %w (has `idv migrate` run?)", err)
	}
	return db, nil
}
