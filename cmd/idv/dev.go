package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/infra/vault"
	"github.com/idv-oss/idv/infra/versitygw"
	"github.com/idv-oss/idv/producers/tenant"
)

// runDev runs every part in one process on local state under cfg.DevDir:
// PostgreSQL from DATABASE_URL (see devDatabases), an embedded S3 gateway
// over .idv/objects, the API; then a demo verification.
func runDev(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	exitAfterDemo := fs.Bool("exit-after-demo", false, "exit 0 once the demo verification is through")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("dev needs DATABASE_URL: run `go tool task dev`, which finds or starts PostgreSQL")
	}
	// The embedded gateway changes the working directory: resolve first.
	dir, err := filepath.Abs(cfg.DevDir)
	if err != nil {
		return fmt.Errorf("dev dir: %w", err)
	}
	cfg.DevDir = dir
	if err := os.MkdirAll(cfg.DevDir, 0o700); err != nil {
		return fmt.Errorf("dev dir: %w", err)
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "• "+format+"\n", a...) }

	master, err := devMasterKey(cfg)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL, cfg.KeyStoreURL, err = devDatabases(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	gw, err := versitygw.Start(ctx, filepath.Join(cfg.DevDir, "objects"))
	if err != nil {
		return fmt.Errorf("embedded S3 gateway: %w", err)
	}
	defer gw.Close()
	say("S3 gateway (embedded versitygw) at %s, objects under %s", gw.Endpoint, filepath.Join(cfg.DevDir, "objects"))
	oc := gw.ObjectsConfig("idv-dev")
	cfg.S3 = s3Config{Endpoint: oc.Endpoint, Region: oc.Region, AccessKey: oc.AccessKey, SecretKey: oc.SecretKey, Bucket: oc.Bucket}

	st, err := openStack(ctx, cfg, master)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.objects.EnsureBucket(ctx); err != nil {
		return err
	}
	main, keys, err := migrateAll(ctx, st.db, st.keys)
	if err != nil {
		return err
	}
	say("PostgreSQL: main database (%d new migrations) and key store database (%d new)", len(main), len(keys))

	dt, err := devTenant(ctx, st, cfg.DevDir)
	if err != nil {
		return err
	}
	say("dev tenant %s (credentials in %s)", dt.TenantID, filepath.Join(cfg.DevDir, "dev-tenant.json"))

	apiLn, err := listen("IDV_HTTP_ADDR", first(cfg.HTTPAddr, "127.0.0.1:0"))
	if err != nil {
		return err
	}
	opsLn, err := listen("IDV_OPS_ADDR", first(cfg.OpsAddr, "127.0.0.1:0"))
	if err != nil {
		return err
	}
	apiURL := "http://" + apiLn.Addr().String()
	say("API at %s; /metrics, /healthz, /readyz at http://%s", apiURL, opsLn.Addr())
	reg := newRegistry()
	partsCtx, stopParts := context.WithCancel(ctx)
	defer stopParts()
	errc := make(chan error, 1)
	go func() {
		errc <- runParts(partsCtx, log, apiPart(apiLn, st, cfg, log, reg), opsPart(opsLn, reg, st.checks()))
	}()

	if err := demo(ctx, apiURL, dt.APIKey, stdout, stderr); err != nil {
		stopParts()
		<-errc
		return fmt.Errorf("demo verification: %w", err)
	}
	printNext(stdout, apiURL, dt.APIKey)
	if *exitAfterDemo {
		stopParts()
		return <-errc
	}
	say("running; Ctrl-C stops")
	return <-errc
}

// devDatabases picks the main database and the key store on the server of
// serverURL: the database the URL names and <name>_keys, or idv_dev and
// idv_dev_keys when it names the server's default database. Both are created
// when missing.
func devDatabases(ctx context.Context, serverURL string) (main, keys string, err error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || name == "postgres" {
		name = "idv_dev"
	}
	if main, err = postgres.EnsureDatabase(ctx, serverURL, name); err != nil {
		return "", "", err
	}
	if keys, err = postgres.EnsureDatabase(ctx, serverURL, name+"_keys"); err != nil {
		return "", "", err
	}
	return main, keys, nil
}

// devMasterKey uses IDV_MASTER_KEY when set, else a key kept in the dev dir.
func devMasterKey(cfg config) (vault.MasterKey, error) {
	if cfg.MasterKey != "" {
		return cfg.masterKey()
	}
	return vault.LoadOrCreateMasterKeyFile(filepath.Join(cfg.DevDir, "master.key"))
}

// devTenant loads the dev tenant's credentials or creates the tenant. They
// are kept in the dev dir (0600) because the demo needs them again.
func devTenant(ctx context.Context, st *stack, dir string) (tenant.Created, error) {
	path := filepath.Join(dir, "dev-tenant.json")
	var dt tenant.Created
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &dt) == nil {
		if _, err := postgres.NewTenants(st.db).Get(ctx, dt.TenantID); err == nil {
			return dt, nil
		}
	}
	dt, err := tenant.Create(ctx, postgres.NewTenants(st.db), st.vault, tenant.Request{
		Name: "dev", WebhookURL: "http://127.0.0.1:9/idv-dev-webhooks", RetentionDays: 1,
		Fields: []string{"age_over_18", "document_valid", "document_type", "issuing_country"}, AllowSpecimen: true,
	})
	if err != nil {
		return dt, err
	}
	b, _ := json.MarshalIndent(dt, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return dt, fmt.Errorf("save dev tenant: %w", err)
	}
	return dt, nil
}

func printNext(w io.Writer, apiURL, apiKey string) {
	fmt.Fprintf(w, `
Next, try (the dev tenant's API key is also in the dev dir's dev-tenant.json):
  export IDV_API_KEY=%[2]s
  curl -s -X POST -H "Authorization: Bearer $IDV_API_KEY" %[1]s/v1/sessions
  go run ./cmd/idv capture --api %[1]s --token <app_token> --front doc.png --selfie me.png --mrz-file mrz.txt
  curl -s -H "Authorization: Bearer $IDV_API_KEY" %[1]s/v1/sessions/<id>

`, apiURL, apiKey)
}
