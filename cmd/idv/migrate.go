package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// runMigrate applies the migrations of both databases and, with
// IDV_NATS_URL set, declares stream IDV and the stages' consumers as the
// broker's operator.
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
	b, err := openBroker(ctx, cfg, "idv-migrate", broker.RoleOperator)
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

// migrateAll applies both databases' migrations, as the logins that own
// their tables, and reports what it applied.
func migrateAll(ctx context.Context, cfg config) (main, keystore []string, err error) {
	if main, err = migrate(ctx, first(cfg.MigrateURL, cfg.DatabaseURL), schemas.MainMigrations()); err != nil {
		return nil, nil, fmt.Errorf("main database: %w", err)
	}
	if keystore, err = migrate(ctx, cfg.KeyStoreURL, schemas.KeyStoreMigrations()); err != nil {
		return main, nil, fmt.Errorf("key store: %w", err)
	}
	return main, keystore, nil
}

func migrate(ctx context.Context, url string, migrations fs.FS) ([]string, error) {
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return postgres.Migrate(ctx, db, migrations)
}
