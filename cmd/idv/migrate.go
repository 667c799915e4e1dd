package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/infra/objects"
	"github.com/idv-oss/idv/infra/postgres"
	"github.com/idv-oss/idv/schemas"
)

// runMigrate prepares everything a part needs, one line per step: the
// migrations of both databases; with IDV_S3_ENDPOINT set, the bucket and its
// lifecycle backstop rule; with IDV_NATS_URL set, stream IDV and the stages'
// consumers, declared as the broker's operator. Each step is idempotent: a
// second run says that everything is already there.
func runMigrate(ctx context.Context, cfg config, stdout io.Writer) error {
	if cfg.DatabaseURL == "" || cfg.KeyStoreURL == "" {
		return fmt.Errorf("migrate needs IDV_DATABASE_URL (or DATABASE_URL) and IDV_KEYSTORE_URL")
	}
	main, keystore, err := migrateAll(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, migrationsLine("main database", main))
	fmt.Fprintln(stdout, migrationsLine("key store", keystore))
	if err := prepareBucket(ctx, cfg.S3, stdout); err != nil {
		return err
	}
	if cfg.NATSURL == "" {
		fmt.Fprintln(stdout, "JetStream: IDV_NATS_URL not set, stream and consumers not declared")
		return nil
	}
	b, err := openBroker(ctx, cfg, "idv-migrate", broker.RoleOperator)
	if err != nil {
		return err
	}
	defer b.Close()
	d, err := b.declareFound(ctx, cfg)
	if err != nil {
		return err
	}
	stream := fmt.Sprintf("stream IDV (%d replica(s), max age %s)", cfg.StreamReplicas, cfg.StreamMaxAge)
	if d.streamExisted {
		fmt.Fprintf(stdout, "JetStream: %s declared, already there\n", stream)
	} else {
		fmt.Fprintf(stdout, "JetStream: %s declared, created\n", stream)
	}
	switch names := stageNames(pipeline); {
	case len(d.newConsumers) == 0:
		fmt.Fprintf(stdout, "JetStream: consumers %v declared, all already there\n", names)
	case len(d.newConsumers) == len(names):
		fmt.Fprintf(stdout, "JetStream: consumers %v declared, all created\n", names)
	default:
		fmt.Fprintf(stdout, "JetStream: consumers %v declared, %v created, the others already there\n", names, d.newConsumers)
	}
	return nil
}

// migrationsLine is migrate's line about one database.
func migrationsLine(db string, applied []string) string {
	if len(applied) == 0 {
		return db + ": 0 migration(s) applied, already up to date"
	}
	return fmt.Sprintf("%s: %d migration(s) applied %v", db, len(applied), applied)
}

// prepareBucket creates the bucket cfg names unless it exists and sets its
// lifecycle backstop (objects.RetentionBackstop), saying what it did. A
// store without lifecycle rules (versitygw) is reported, not an error: the
// wipe is the mechanism, the rule only a backstop.
func prepareBucket(ctx context.Context, cfg s3Config, stdout io.Writer) error {
	if cfg.Endpoint == "" {
		fmt.Fprintln(stdout, "S3: IDV_S3_ENDPOINT not set, bucket not prepared")
		return nil
	}
	store, err := objects.New(objects.Config{Endpoint: cfg.Endpoint, Region: cfg.Region,
		AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey, Bucket: cfg.Bucket, CAFile: cfg.CAFile})
	if err != nil {
		return fmt.Errorf("S3 (IDV_S3_…): %w", err)
	}
	created, err := store.CreateBucket(ctx)
	if err != nil {
		return fmt.Errorf("S3 at %s: %w (check IDV_S3_ENDPOINT, IDV_S3_REGION, the credentials, and that they may create the bucket or that it exists)", cfg.Endpoint, err)
	}
	if created {
		fmt.Fprintf(stdout, "S3: bucket %s created at %s\n", cfg.Bucket, cfg.Endpoint)
	} else {
		fmt.Fprintf(stdout, "S3: bucket %s already there at %s\n", cfg.Bucket, cfg.Endpoint)
	}
	b := objects.RetentionBackstop()
	changed, err := store.EnsureBackstop(ctx, b)
	switch {
	case errors.Is(err, objects.ErrNotSupported):
		fmt.Fprintf(stdout, "S3: lifecycle backstop not set: this store does not support lifecycle rules (NotImplemented); the wipe deletes every object regardless, set an equivalent rule with the store's own tools if it has any (%s)\n", b)
	case err != nil:
		return fmt.Errorf("S3: lifecycle backstop on bucket %s: %w (the credentials need s3:GetLifecycleConfiguration and s3:PutLifecycleConfiguration)", cfg.Bucket, err)
	case changed:
		fmt.Fprintf(stdout, "S3: lifecycle backstop %s set on bucket %s: %s\n", objects.BackstopRuleID, cfg.Bucket, b)
	default:
		fmt.Fprintf(stdout, "S3: lifecycle backstop %s already there on bucket %s: %s\n", objects.BackstopRuleID, cfg.Bucket, b)
	}
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

// found is what declareFound found before declaring: whether stream IDV
// was there, and the stages whose consumer was not.
type found struct {
	streamExisted bool
	newConsumers  []string
}

// declareFound is declare, first looking up what is already there.
func (b *brokerConn) declareFound(ctx context.Context, cfg config) (found, error) {
	var f found
	js, err := b.as(broker.RoleOperator)
	if err != nil {
		return f, err
	}
	_, err = js.Stream(ctx, broker.StreamName)
	switch {
	case err == nil:
		f.streamExisted = true
	case !errors.Is(err, jetstream.ErrStreamNotFound):
		return f, fmt.Errorf("jetstream: look up stream %s: %w", broker.StreamName, err)
	}
	for _, name := range stageNames(pipeline) {
		if !f.streamExisted {
			f.newConsumers = append(f.newConsumers, name)
			continue
		}
		_, err := js.Consumer(ctx, broker.StreamName, name)
		switch {
		case errors.Is(err, jetstream.ErrConsumerNotFound):
			f.newConsumers = append(f.newConsumers, name)
		case err != nil:
			return f, fmt.Errorf("jetstream: look up consumer %s: %w", name, err)
		}
	}
	return f, b.declare(ctx, cfg)
}
